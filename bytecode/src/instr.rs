//! Decoded instructions: the form every consumer (verifier, interpreter,
//! lowering, disassembler) works with, so that no one re-implements operand
//! decoding.

use crate::opcode::{Opcode, Operands};

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    Push(u32),
    Pop,
    Add,
    Sub,
    Mul,
    Div,
    Print(u8),
    Jump(u32),
    JumpIf(u32),
    Call(u8),
    Ret,
    Halt,
    JumpIfNot(u32),
    Dup,
    PushNil,
    PushTrue,
    PushFalse,
    Mod,
    Neg,
    Not,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    GetLocal(u16),
    SetLocal(u16),
    GetGlobal(u32),
    SetGlobal(u32),
    CallDirect { func: u32, argc: u8 },
    CallBuiltin { builtin: u16, argc: u8 },
    PushFunc(u32),
    PushBuiltin(u16),
    Concat(u16),
    MakeList(u16),
    MakeObject(u16),
    Index,
    SetIndex,
    GetField(u32),
    SetField(u32),
    GetFieldOpt(u32),
    IndexOpt,
    MakeCell,
    CellGet,
    CellSet,
    MakeClosure { func: u32, captures: u8 },
    GetCapture(u16),
    IterPrep,
    RangePrep,
    Len,
}

/// Why bytes could not be decoded as an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The byte at this offset is not an opcode.
    UnknownOpcode { pc: u32, byte: u8 },
    /// The instruction at this offset runs past the end of the code.
    Truncated { pc: u32, opcode: Opcode },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::UnknownOpcode { pc, byte } => {
                write!(f, "unknown opcode 0x{byte:02x} at offset {pc}")
            }
            DecodeError::Truncated { pc, opcode } => write!(
                f,
                "instruction {} at offset {pc} runs past the end of the code",
                opcode.mnemonic()
            ),
        }
    }
}

impl Instr {
    /// The opcode of this instruction.
    pub fn opcode(&self) -> Opcode {
        match self {
            Instr::Push(_) => Opcode::Push,
            Instr::Pop => Opcode::Pop,
            Instr::Add => Opcode::Add,
            Instr::Sub => Opcode::Sub,
            Instr::Mul => Opcode::Mul,
            Instr::Div => Opcode::Div,
            Instr::Print(_) => Opcode::Print,
            Instr::Jump(_) => Opcode::Jump,
            Instr::JumpIf(_) => Opcode::JumpIf,
            Instr::Call(_) => Opcode::Call,
            Instr::Ret => Opcode::Ret,
            Instr::Halt => Opcode::Halt,
            Instr::JumpIfNot(_) => Opcode::JumpIfNot,
            Instr::Dup => Opcode::Dup,
            Instr::PushNil => Opcode::PushNil,
            Instr::PushTrue => Opcode::PushTrue,
            Instr::PushFalse => Opcode::PushFalse,
            Instr::Mod => Opcode::Mod,
            Instr::Neg => Opcode::Neg,
            Instr::Not => Opcode::Not,
            Instr::Eq => Opcode::Eq,
            Instr::Ne => Opcode::Ne,
            Instr::Lt => Opcode::Lt,
            Instr::Le => Opcode::Le,
            Instr::Gt => Opcode::Gt,
            Instr::Ge => Opcode::Ge,
            Instr::GetLocal(_) => Opcode::GetLocal,
            Instr::SetLocal(_) => Opcode::SetLocal,
            Instr::GetGlobal(_) => Opcode::GetGlobal,
            Instr::SetGlobal(_) => Opcode::SetGlobal,
            Instr::CallDirect { .. } => Opcode::CallDirect,
            Instr::CallBuiltin { .. } => Opcode::CallBuiltin,
            Instr::PushFunc(_) => Opcode::PushFunc,
            Instr::PushBuiltin(_) => Opcode::PushBuiltin,
            Instr::Concat(_) => Opcode::Concat,
            Instr::MakeList(_) => Opcode::MakeList,
            Instr::MakeObject(_) => Opcode::MakeObject,
            Instr::Index => Opcode::Index,
            Instr::SetIndex => Opcode::SetIndex,
            Instr::GetField(_) => Opcode::GetField,
            Instr::SetField(_) => Opcode::SetField,
            Instr::GetFieldOpt(_) => Opcode::GetFieldOpt,
            Instr::IndexOpt => Opcode::IndexOpt,
            Instr::MakeCell => Opcode::MakeCell,
            Instr::CellGet => Opcode::CellGet,
            Instr::CellSet => Opcode::CellSet,
            Instr::MakeClosure { .. } => Opcode::MakeClosure,
            Instr::GetCapture(_) => Opcode::GetCapture,
            Instr::IterPrep => Opcode::IterPrep,
            Instr::RangePrep => Opcode::RangePrep,
            Instr::Len => Opcode::Len,
        }
    }

    /// Size of the encoded instruction in bytes.
    pub fn size(&self) -> usize {
        self.opcode().size()
    }

    /// The jump target, for jumps.
    pub fn jump_target(&self) -> Option<u32> {
        match *self {
            Instr::Jump(t) | Instr::JumpIf(t) | Instr::JumpIfNot(t) => Some(t),
            _ => None,
        }
    }

    /// How many values the instruction pops and pushes.
    pub fn stack_effect(&self) -> (usize, usize) {
        match *self {
            Instr::Push(_)
            | Instr::PushNil
            | Instr::PushTrue
            | Instr::PushFalse
            | Instr::GetLocal(_)
            | Instr::GetGlobal(_)
            | Instr::PushFunc(_)
            | Instr::PushBuiltin(_)
            | Instr::GetCapture(_) => (0, 1),
            Instr::Pop | Instr::SetLocal(_) | Instr::SetGlobal(_) => (1, 0),
            Instr::JumpIf(_) | Instr::JumpIfNot(_) => (1, 0),
            Instr::Add
            | Instr::Sub
            | Instr::Mul
            | Instr::Div
            | Instr::Mod
            | Instr::Eq
            | Instr::Ne
            | Instr::Lt
            | Instr::Le
            | Instr::Gt
            | Instr::Ge => (2, 1),
            Instr::Neg
            | Instr::Not
            | Instr::GetField(_)
            | Instr::GetFieldOpt(_)
            | Instr::MakeCell
            | Instr::CellGet
            | Instr::IterPrep
            | Instr::Len => (1, 1),
            Instr::Index | Instr::IndexOpt => (2, 1),
            Instr::SetField(_) | Instr::CellSet => (2, 0),
            Instr::SetIndex => (3, 0),
            Instr::RangePrep => (2, 3),
            Instr::MakeList(n) => (n as usize, 1),
            Instr::MakeObject(n) => (2 * n as usize, 1),
            Instr::MakeClosure { captures, .. } => (captures as usize, 1),
            Instr::Dup => (1, 2),
            Instr::Print(n) => (n as usize, 1),
            Instr::Call(n) => (n as usize + 1, 1),
            Instr::CallDirect { argc, .. } | Instr::CallBuiltin { argc, .. } => (argc as usize, 1),
            Instr::Concat(n) => (n as usize, 1),
            Instr::Ret => (1, 0),
            Instr::Jump(_) | Instr::Halt => (0, 0),
        }
    }

    /// Decode the instruction at `pc` in `code`.
    pub fn decode(code: &[u8], pc: usize) -> Result<Instr, DecodeError> {
        let byte = code[pc];
        let op = Opcode::from_byte(byte).ok_or(DecodeError::UnknownOpcode {
            pc: pc as u32,
            byte,
        })?;
        let end = pc + op.size();
        if end > code.len() {
            return Err(DecodeError::Truncated {
                pc: pc as u32,
                opcode: op,
            });
        }
        let ops = &code[pc + 1..end];
        let u8_at = |i: usize| ops[i];
        let u16_at = |i: usize| u16::from_le_bytes([ops[i], ops[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([ops[i], ops[i + 1], ops[i + 2], ops[i + 3]]);
        Ok(match op {
            Opcode::Push => Instr::Push(u32_at(0)),
            Opcode::Pop => Instr::Pop,
            Opcode::Add => Instr::Add,
            Opcode::Sub => Instr::Sub,
            Opcode::Mul => Instr::Mul,
            Opcode::Div => Instr::Div,
            Opcode::Print => Instr::Print(u8_at(0)),
            Opcode::Jump => Instr::Jump(u32_at(0)),
            Opcode::JumpIf => Instr::JumpIf(u32_at(0)),
            Opcode::Call => Instr::Call(u8_at(0)),
            Opcode::Ret => Instr::Ret,
            Opcode::Halt => Instr::Halt,
            Opcode::JumpIfNot => Instr::JumpIfNot(u32_at(0)),
            Opcode::Dup => Instr::Dup,
            Opcode::PushNil => Instr::PushNil,
            Opcode::PushTrue => Instr::PushTrue,
            Opcode::PushFalse => Instr::PushFalse,
            Opcode::Mod => Instr::Mod,
            Opcode::Neg => Instr::Neg,
            Opcode::Not => Instr::Not,
            Opcode::Eq => Instr::Eq,
            Opcode::Ne => Instr::Ne,
            Opcode::Lt => Instr::Lt,
            Opcode::Le => Instr::Le,
            Opcode::Gt => Instr::Gt,
            Opcode::Ge => Instr::Ge,
            Opcode::GetLocal => Instr::GetLocal(u16_at(0)),
            Opcode::SetLocal => Instr::SetLocal(u16_at(0)),
            Opcode::GetGlobal => Instr::GetGlobal(u32_at(0)),
            Opcode::SetGlobal => Instr::SetGlobal(u32_at(0)),
            Opcode::CallDirect => Instr::CallDirect {
                func: u32_at(0),
                argc: u8_at(4),
            },
            Opcode::CallBuiltin => Instr::CallBuiltin {
                builtin: u16_at(0),
                argc: u8_at(2),
            },
            Opcode::PushFunc => Instr::PushFunc(u32_at(0)),
            Opcode::PushBuiltin => Instr::PushBuiltin(u16_at(0)),
            Opcode::Concat => Instr::Concat(u16_at(0)),
            Opcode::MakeList => Instr::MakeList(u16_at(0)),
            Opcode::MakeObject => Instr::MakeObject(u16_at(0)),
            Opcode::Index => Instr::Index,
            Opcode::SetIndex => Instr::SetIndex,
            Opcode::GetField => Instr::GetField(u32_at(0)),
            Opcode::SetField => Instr::SetField(u32_at(0)),
            Opcode::GetFieldOpt => Instr::GetFieldOpt(u32_at(0)),
            Opcode::IndexOpt => Instr::IndexOpt,
            Opcode::MakeCell => Instr::MakeCell,
            Opcode::CellGet => Instr::CellGet,
            Opcode::CellSet => Instr::CellSet,
            Opcode::MakeClosure => Instr::MakeClosure {
                func: u32_at(0),
                captures: u8_at(4),
            },
            Opcode::GetCapture => Instr::GetCapture(u16_at(0)),
            Opcode::IterPrep => Instr::IterPrep,
            Opcode::RangePrep => Instr::RangePrep,
            Opcode::Len => Instr::Len,
        })
    }

    /// Append the encoding of this instruction to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.opcode() as u8);
        match *self {
            Instr::Push(x)
            | Instr::Jump(x)
            | Instr::JumpIf(x)
            | Instr::JumpIfNot(x)
            | Instr::GetGlobal(x)
            | Instr::SetGlobal(x)
            | Instr::PushFunc(x)
            | Instr::GetField(x)
            | Instr::SetField(x)
            | Instr::GetFieldOpt(x) => out.extend_from_slice(&x.to_le_bytes()),
            Instr::Print(n) | Instr::Call(n) => out.push(n),
            Instr::GetLocal(x)
            | Instr::SetLocal(x)
            | Instr::PushBuiltin(x)
            | Instr::Concat(x)
            | Instr::MakeList(x)
            | Instr::MakeObject(x)
            | Instr::GetCapture(x) => out.extend_from_slice(&x.to_le_bytes()),
            Instr::CallDirect { func, argc: n } | Instr::MakeClosure { func, captures: n } => {
                out.extend_from_slice(&func.to_le_bytes());
                out.push(n);
            }
            Instr::CallBuiltin { builtin, argc } => {
                out.extend_from_slice(&builtin.to_le_bytes());
                out.push(argc);
            }
            _ => debug_assert_eq!(self.opcode().operands(), Operands::None),
        }
    }
}

/// Iterate over `(pc, instruction)` pairs of a code block, stopping at the
/// first decode error (which is yielded).
pub fn instructions(code: &[u8]) -> impl Iterator<Item = Result<(u32, Instr), DecodeError>> + '_ {
    let mut pc = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pc >= code.len() {
            return None;
        }
        match Instr::decode(code, pc) {
            Ok(instr) => {
                let at = pc as u32;
                pc += instr.size();
                Some(Ok((at, instr)))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let all = [
            Instr::Push(7),
            Instr::Print(3),
            Instr::CallDirect { func: 9, argc: 2 },
            Instr::CallBuiltin {
                builtin: 5,
                argc: 1,
            },
            Instr::GetLocal(300),
            Instr::Concat(4),
            Instr::MakeList(3),
            Instr::MakeObject(2),
            Instr::GetField(11),
            Instr::SetField(12),
            Instr::GetFieldOpt(13),
            Instr::MakeClosure {
                func: 4,
                captures: 2,
            },
            Instr::GetCapture(1),
            Instr::RangePrep,
            Instr::Halt,
        ];
        let mut code = Vec::new();
        for i in &all {
            i.encode(&mut code);
        }
        let back: Vec<Instr> = instructions(&code).map(|r| r.unwrap().1).collect();
        assert_eq!(back, all);
    }

    #[test]
    fn every_opcode_decodes_to_itself() {
        for &op in Opcode::ALL {
            let mut code = vec![op as u8];
            code.resize(op.size(), 1);
            let instr = Instr::decode(&code, 0).unwrap();
            assert_eq!(instr.opcode(), op);
            let mut again = Vec::new();
            instr.encode(&mut again);
            assert_eq!(again, code, "{op:?}");
        }
    }

    #[test]
    fn truncated_operand_is_an_error() {
        let code = [Opcode::Push as u8, 1, 0];
        assert!(matches!(
            Instr::decode(&code, 0),
            Err(DecodeError::Truncated { pc: 0, .. })
        ));
    }
}
