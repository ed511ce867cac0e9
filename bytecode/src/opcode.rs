//! The instruction set: one byte of opcode, then fixed little-endian operands.
//!
//! The core opcodes 0x01–0x0C keep the numbers of the original ilusm design;
//! every extension is numbered after them. Adding an opcode means adding a
//! line to the `opcodes!` table below: decoding, encoding, operand sizes, stack
//! effects and the disassembler all derive from that one table.

/// The operand shapes an instruction may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operands {
    /// No operands.
    None,
    /// One u8 (an argument count).
    U8,
    /// One u16 (a local slot, a builtin id, a value count).
    U16,
    /// One u32 (a constant index, a global slot, a jump target, a function index).
    U32,
    /// u32 then u8 (a function index and an argument count).
    U32U8,
    /// u16 then u8 (a builtin id and an argument count).
    U16U8,
}

impl Operands {
    /// Bytes of operands following the opcode byte.
    pub const fn size(self) -> usize {
        match self {
            Operands::None => 0,
            Operands::U8 => 1,
            Operands::U16 => 2,
            Operands::U32 => 4,
            Operands::U32U8 => 5,
            Operands::U16U8 => 3,
        }
    }
}

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $name:ident = $byte:literal, $mnemonic:literal, $operands:ident; )*) => {
        /// A bytecode opcode. See the module documentation and `docs/bytecode.md`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $( $(#[$doc])* $name = $byte, )*
        }

        impl Opcode {
            /// Every opcode, in numeric order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$name),*];

            /// The opcode for a byte, or `None` for an unknown byte.
            pub fn from_byte(byte: u8) -> Option<Opcode> {
                match byte {
                    $( $byte => Some(Opcode::$name), )*
                    _ => None,
                }
            }

            /// The lowercase name the disassembler prints.
            pub fn mnemonic(self) -> &'static str {
                match self { $( Opcode::$name => $mnemonic, )* }
            }

            /// The shape of the operands that follow the opcode byte.
            pub fn operands(self) -> Operands {
                match self { $( Opcode::$name => Operands::$operands, )* }
            }
        }
    };
}

opcodes! {
    /// `push K`: push constant K (u32 index into the constant pool).
    Push = 0x01, "push", U32;
    /// Discard the top of the stack.
    Pop = 0x02, "pop", None;
    /// `a b -> a+b` (numbers add, strings concatenate, see spec §4).
    Add = 0x03, "add", None;
    /// `a b -> a-b`.
    Sub = 0x04, "sub", None;
    /// `a b -> a*b`.
    Mul = 0x05, "mul", None;
    /// `a b -> a/b` (float division; dividing by zero is an error).
    Div = 0x06, "div", None;
    /// `print N`: pop N values, print them separated by spaces and a newline, push nil.
    Print = 0x07, "print", U8;
    /// `jump T`: continue at byte offset T of this function.
    Jump = 0x08, "jump", U32;
    /// `jump_if T`: pop; jump to T if the value is truthy.
    JumpIf = 0x09, "jump_if", U32;
    /// `call N`: `f a1..aN -> result`; f is any value (errors if not callable).
    Call = 0x0A, "call", U8;
    /// Pop the result and return it to the caller.
    Ret = 0x0B, "ret", None;
    /// End the program (exit status 0).
    Halt = 0x0C, "halt", None;
    /// `jump_if_not T`: pop; jump to T if the value is falsy.
    JumpIfNot = 0x0D, "jump_if_not", U32;
    /// Duplicate the top of the stack.
    Dup = 0x0E, "dup", None;
    /// Push nil.
    PushNil = 0x0F, "push_nil", None;
    /// Push tru.
    PushTrue = 0x10, "push_tru", None;
    /// Push fls.
    PushFalse = 0x11, "push_fls", None;
    /// `a b -> a%b` (remainder with the sign of the dividend).
    Mod = 0x12, "mod", None;
    /// `a -> -a`.
    Neg = 0x13, "neg", None;
    /// `a -> !a` (tru or fls by truthiness).
    Not = 0x14, "not", None;
    /// `a b -> a==b` (deep equality).
    Eq = 0x15, "eq", None;
    /// `a b -> a!=b`.
    Ne = 0x16, "ne", None;
    /// `a b -> a<b` (numbers or strings).
    Lt = 0x17, "lt", None;
    /// `a b -> a<=b`.
    Le = 0x18, "le", None;
    /// `a b -> a>b`.
    Gt = 0x19, "gt", None;
    /// `a b -> a>=b`.
    Ge = 0x1A, "ge", None;
    /// `get_local L`: push local slot L (u16; parameters are slots 0..arity).
    GetLocal = 0x1B, "get_local", U16;
    /// `set_local L`: pop into local slot L.
    SetLocal = 0x1C, "set_local", U16;
    /// `get_global G`: push global slot G; errors `undefined name` if unassigned.
    GetGlobal = 0x1D, "get_global", U32;
    /// `set_global G`: pop into global slot G.
    SetGlobal = 0x1E, "set_global", U32;
    /// `call_direct F N`: call function F with N arguments (N == arity, checked by the verifier).
    CallDirect = 0x1F, "call_direct", U32U8;
    /// `call_builtin B N`: call builtin B with N arguments (arity checked at run time).
    CallBuiltin = 0x20, "call_builtin", U16U8;
    /// `push_func F`: push function F as a value.
    PushFunc = 0x21, "push_func", U32;
    /// `push_builtin B`: push builtin B as a value.
    PushBuiltin = 0x22, "push_builtin", U16;
    /// `concat N`: pop N values, push the concatenation of `str` of each (string interpolation).
    Concat = 0x23, "concat", U16;
    /// `make_list N`: pop N values (the first pushed is element 0), push a new list of them.
    MakeList = 0x24, "make_list", U16;
    /// `make_object N`: pop N key/value pairs (each key, a string, pushed before its value),
    /// push a new object with them in that order.
    MakeObject = 0x25, "make_object", U16;
    /// `a i -> a[i]` (list element, object value by string key, string code point).
    Index = 0x26, "index", None;
    /// `a i v ->`: `a[i] = v`.
    SetIndex = 0x27, "set_index", None;
    /// `get_field K`: `a -> a.K` (K a string constant).
    GetField = 0x28, "get_field", U32;
    /// `set_field K`: `a v ->`, `a.K = v`.
    SetField = 0x29, "set_field", U32;
    /// `get_field_opt K`: `a -> a?.K` (nil when a is nil).
    GetFieldOpt = 0x2A, "get_field_opt", U32;
    /// `a i -> a?[i]` (nil when a is nil or i is out of range).
    IndexOpt = 0x2B, "index_opt", None;
    /// `v -> cell`: a new cell holding v.
    MakeCell = 0x2C, "make_cell", None;
    /// `cell -> v`: the value in a cell.
    CellGet = 0x2D, "cell_get", None;
    /// `cell v ->`: store v in the cell.
    CellSet = 0x2E, "cell_set", None;
    /// `make_closure F N`: pop N cells, push a closure of function F over them
    /// (N == F's num_captures, checked by the verifier).
    MakeClosure = 0x2F, "make_closure", U32U8;
    /// `get_capture I`: push captured cell I of the running closure (I < num_captures).
    GetCapture = 0x30, "get_capture", U16;
    /// `coll -> list`: what a `<-` loop walks (a list itself, a string's code points,
    /// an object's keys); anything else is an error.
    IterPrep = 0x31, "iter_prep", None;
    /// `a b -> a b step`: check that both range bounds are integers; step is 1 if
    /// a <= b, else -1.
    RangePrep = 0x32, "range_prep", None;
    /// `a -> len(a)`.
    Len = 0x33, "len", None;
}

impl Opcode {
    /// Whether control never falls through to the next instruction.
    pub fn is_terminator(self) -> bool {
        matches!(self, Opcode::Jump | Opcode::Ret | Opcode::Halt)
    }

    /// Size in bytes of the whole instruction (opcode byte plus operands).
    pub fn size(self) -> usize {
        1 + self.operands().size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_opcodes_keep_their_numbers() {
        let core = [
            (Opcode::Push, 0x01),
            (Opcode::Pop, 0x02),
            (Opcode::Add, 0x03),
            (Opcode::Sub, 0x04),
            (Opcode::Mul, 0x05),
            (Opcode::Div, 0x06),
            (Opcode::Print, 0x07),
            (Opcode::Jump, 0x08),
            (Opcode::JumpIf, 0x09),
            (Opcode::Call, 0x0A),
            (Opcode::Ret, 0x0B),
            (Opcode::Halt, 0x0C),
        ];
        for (op, byte) in core {
            assert_eq!(op as u8, byte, "{op:?}");
        }
    }

    #[test]
    fn from_byte_round_trips() {
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_byte(op as u8), Some(op));
        }
        assert_eq!(Opcode::from_byte(0x00), None);
        assert_eq!(Opcode::from_byte(0xFF), None);
    }
}
