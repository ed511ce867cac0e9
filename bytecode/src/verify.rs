//! The verifier: every [`Module`] passes [`verify`] before the interpreter or
//! the native lowering sees it (ARCHITECTURE.md, "Verified before run"), and
//! every `.ilbc` file goes through [`load`] (decode, then verify).
//!
//! # What is checked
//!
//! Module: the entry index names a function of arity 0; no number constant
//! has a NaN payload in the range the runtime reserves for tagged values
//! (bits `>= 0xFFF9_0000_0000_0000`).
//!
//! Each function: its file index is valid; `num_locals >= arity`; the code is
//! non-empty and every instruction decodes (unreachable ones too); every
//! operand is in range (constants, globals, locals, functions, builtins);
//! `call_direct` passes exactly the callee's arity; `get_field`,
//! `set_field` and `get_field_opt` name a string constant; `make_closure F N`
//! passes exactly F's `num_captures` cells; `push_func` and `call_direct`
//! name only functions without captures; `get_capture I` has
//! `I < num_captures`; `halt` occurs only in the entry function; every jump lands on an instruction start of the same
//! function; the line table is non-empty, starts at pc 0, has strictly
//! increasing pcs, all inside the code.
//!
//! Stack depth, by abstract interpretation over the control-flow graph from
//! pc 0 at depth 0: the depth at each reachable instruction is the same on
//! every path, never goes below zero, never exceeds [`MAX_STACK`]; `ret`
//! finds at least one value; and no path falls off the end of the code (the
//! last instruction of every path is `jump`, `ret` or `halt`). Unreachable
//! instructions get no depth and are not checked for it.
//!
//! The result, [`VerifiedInfo`], records the depth at every reachable
//! instruction so that back ends need not recompute it.

use crate::builtins::BUILTINS;
use crate::file::{decode, LoadError};
use crate::instr::{instructions, DecodeError, Instr};
use crate::module::{Constant, Function, Module};

/// The largest operand stack depth a function may reach.
pub const MAX_STACK: u32 = 65535;

/// Number constants at or above these bits would be read as tagged values
/// by the runtime's NaN-boxing, so they are rejected.
pub const NUMBER_LIMIT: u64 = 0xFFF9_0000_0000_0000;

/// Why a module failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// Index and name of the function the problem is in, if it is in one.
    pub function: Option<(u32, String)>,
    /// Byte offset in that function's code, if the problem is at an instruction.
    pub offset: Option<u32>,
    /// What is wrong, without the location (e.g. `stack underflow (pop from depth 0)`).
    pub detail: String,
}

impl std::fmt::Display for VerifyError {
    /// `function 'NAME' at offset PC: DETAIL`, `function 'NAME': DETAIL` or
    /// `DETAIL`, depending on what is known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((_, name)) = &self.function {
            write!(f, "function '{}'", name.escape_debug())?;
            if let Some(pc) = self.offset {
                write!(f, " at offset {pc}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.detail)
    }
}

impl std::error::Error for VerifyError {}

/// What verification learned about one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The deepest the operand stack gets in this function (0 if it never
    /// holds a value). Locals are not counted.
    pub max_stack: u32,
    /// Indexed by byte offset (`depth_at.len() == code.len()`): the operand
    /// stack depth on entry to the instruction starting there, the same on
    /// every path. `None` for bytes that are not the start of an
    /// instruction and for unreachable instructions.
    pub depth_at: Vec<Option<u32>>,
    /// The distinct targets of the jumps in reachable code, in increasing
    /// order. Each has a depth in `depth_at`; these are where a lowering
    /// needs block boundaries (besides fall-through after a conditional jump).
    pub jump_targets: Vec<u32>,
}

impl FunctionInfo {
    /// The stack depth on entry to the instruction at `pc`, or `None` if no
    /// reachable instruction starts there.
    pub fn depth(&self, pc: u32) -> Option<u32> {
        self.depth_at.get(pc as usize).copied().flatten()
    }

    /// Whether a reachable instruction starts at `pc`.
    pub fn is_reachable(&self, pc: u32) -> bool {
        self.depth(pc).is_some()
    }
}

/// The result of a successful verification: one [`FunctionInfo`] per
/// function, in the order of [`Module::functions`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedInfo {
    pub functions: Vec<FunctionInfo>,
}

impl VerifiedInfo {
    /// The information about function `index`.
    pub fn function(&self, index: u32) -> Option<&FunctionInfo> {
        self.functions.get(index as usize)
    }
}

/// Decode a `.ilbc` file and verify the module in it.
pub fn load(bytes: &[u8]) -> Result<(Module, VerifiedInfo), LoadError> {
    let module = decode(bytes)?;
    let info = verify(&module)?;
    Ok((module, info))
}

/// Check every invariant a back end relies on (see the module
/// documentation). Never panics, whatever the module holds.
pub fn verify(m: &Module) -> Result<VerifiedInfo, VerifyError> {
    for (k, c) in m.constants.iter().enumerate() {
        if let Constant::Num(n) = c {
            let bits = n.to_bits();
            if bits >= NUMBER_LIMIT {
                return Err(module_error(format!(
                    "constant k{k} is a NaN with reserved payload bits 0x{bits:016x}"
                )));
            }
        }
    }
    let nfuncs = m.functions.len();
    let entry = match m.functions.get(m.entry as usize) {
        Some(f) => f,
        None => {
            return Err(module_error(format!(
                "entry function index {} out of range ({nfuncs} functions)",
                m.entry
            )))
        }
    };
    if entry.num_captures != 0 {
        return Err(module_error(format!(
            "entry function '{}' has {} captures (must be 0)",
            entry.name.escape_debug(),
            entry.num_captures
        )));
    }
    if entry.arity != 0 {
        return Err(module_error(format!(
            "entry function '{}' has arity {} (must be 0)",
            entry.name.escape_debug(),
            entry.arity
        )));
    }
    let mut functions = Vec::with_capacity(nfuncs);
    for (index, f) in m.functions.iter().enumerate() {
        let index = u32::try_from(index)
            .map_err(|_| module_error(format!("too many functions ({nfuncs})")))?;
        let v = FunctionVerifier {
            m,
            f,
            index,
            is_entry: index == m.entry,
        };
        functions.push(v.run()?);
    }
    Ok(VerifiedInfo { functions })
}

fn module_error(detail: String) -> VerifyError {
    VerifyError {
        function: None,
        offset: None,
        detail,
    }
}

struct FunctionVerifier<'a> {
    m: &'a Module,
    f: &'a Function,
    index: u32,
    is_entry: bool,
}

impl FunctionVerifier<'_> {
    fn err(&self, offset: Option<u32>, detail: String) -> VerifyError {
        VerifyError {
            function: Some((self.index, self.f.name.clone())),
            offset,
            detail,
        }
    }

    fn at(&self, pc: u32, detail: String) -> VerifyError {
        self.err(Some(pc), detail)
    }

    fn run(&self) -> Result<FunctionInfo, VerifyError> {
        let f = self.f;
        if f.file as usize >= self.m.files.len() {
            return Err(self.err(
                None,
                format!(
                    "file index {} out of range ({} files)",
                    f.file,
                    self.m.files.len()
                ),
            ));
        }
        if f.num_locals < u16::from(f.arity) {
            return Err(self.err(
                None,
                format!("num_locals {} is less than arity {}", f.num_locals, f.arity),
            ));
        }
        if !f.local_names.is_empty() && f.local_names.len() != usize::from(f.num_locals) {
            return Err(self.err(
                None,
                format!(
                    "{} local names for num_locals {}",
                    f.local_names.len(),
                    f.num_locals
                ),
            ));
        }
        if f.code.is_empty() {
            return Err(self.err(None, "empty code".to_string()));
        }
        let len = match u32::try_from(f.code.len()) {
            Ok(len) => len,
            Err(_) => return Err(self.err(None, "code longer than 4 GiB".to_string())),
        };
        self.check_lines(len)?;

        // Decode everything, reachable or not, and check operands.
        let mut instr_at: Vec<Option<Instr>> = vec![None; f.code.len()];
        let mut decoded = Vec::new();
        for item in instructions(&f.code) {
            let (pc, instr) = item.map_err(|e| self.decode_error(e))?;
            self.check_operands(pc, &instr)?;
            if let Some(slot) = instr_at.get_mut(pc as usize) {
                *slot = Some(instr);
            }
            decoded.push((pc, instr));
        }
        for &(pc, instr) in &decoded {
            if let Some(t) = instr.jump_target() {
                if t >= len {
                    return Err(self.at(
                        pc,
                        format!("jump target {t} is outside the function (code length {len})"),
                    ));
                }
                if !matches!(instr_at.get(t as usize), Some(Some(_))) {
                    return Err(self.at(
                        pc,
                        format!("jump target {t} is not the start of an instruction"),
                    ));
                }
            }
        }
        self.check_depths(&instr_at, len)
    }

    fn decode_error(&self, e: DecodeError) -> VerifyError {
        match e {
            DecodeError::UnknownOpcode { pc, byte } => {
                self.at(pc, format!("unknown opcode 0x{byte:02x}"))
            }
            DecodeError::Truncated { pc, opcode } => {
                let have = self.f.code.len().saturating_sub(pc as usize + 1);
                self.at(
                    pc,
                    format!(
                        "truncated instruction: {} needs {} operand bytes but only {have} remain",
                        opcode.mnemonic(),
                        opcode.operands().size()
                    ),
                )
            }
        }
    }

    fn check_lines(&self, len: u32) -> Result<(), VerifyError> {
        let lines = &self.f.lines;
        match lines.first() {
            None => {
                return Err(self.err(None, "line table is empty (must start at pc 0)".into()));
            }
            Some(e) if e.pc != 0 => {
                return Err(self.err(
                    None,
                    format!("line table starts at pc {} (must start at pc 0)", e.pc),
                ));
            }
            Some(_) => {}
        }
        let mut prev: Option<u32> = None;
        for (j, e) in lines.iter().enumerate() {
            if let Some(p) = prev {
                if e.pc <= p {
                    return Err(self.err(
                        None,
                        format!(
                            "line table entry {j} has pc {}, not after the previous entry's pc {p}",
                            e.pc
                        ),
                    ));
                }
            }
            if e.pc >= len {
                return Err(self.err(
                    None,
                    format!(
                        "line table entry {j} has pc {}, outside the code (length {len})",
                        e.pc
                    ),
                ));
            }
            prev = Some(e.pc);
        }
        Ok(())
    }

    fn check_operands(&self, pc: u32, instr: &Instr) -> Result<(), VerifyError> {
        let m = self.m;
        let out_of_range = |what: &str, index: u64, count: usize, unit: &str| {
            self.at(pc, format!("{what} {index} out of range ({count} {unit})"))
        };
        match *instr {
            Instr::Push(k) if k as usize >= m.constants.len() => Err(out_of_range(
                "constant index",
                k.into(),
                m.constants.len(),
                "constants",
            )),
            Instr::GetGlobal(g) | Instr::SetGlobal(g) if g as usize >= m.globals.len() => Err(
                out_of_range("global index", g.into(), m.globals.len(), "globals"),
            ),
            Instr::GetLocal(l) | Instr::SetLocal(l) if l >= self.f.num_locals => Err(self.at(
                pc,
                format!(
                    "local index {l} out of range (num_locals {})",
                    self.f.num_locals
                ),
            )),
            Instr::PushFunc(func) | Instr::CallDirect { func, .. }
                if func as usize >= m.functions.len() =>
            {
                Err(out_of_range(
                    "function index",
                    func.into(),
                    m.functions.len(),
                    "functions",
                ))
            }
            Instr::CallBuiltin { builtin: b, .. } | Instr::PushBuiltin(b)
                if b as usize >= BUILTINS.len() =>
            {
                Err(out_of_range(
                    "builtin id",
                    b.into(),
                    BUILTINS.len(),
                    "builtins",
                ))
            }
            Instr::PushFunc(func) | Instr::CallDirect { func, .. }
                if m.functions[func as usize].num_captures > 0 =>
            {
                let callee = &m.functions[func as usize];
                Err(self.at(
                    pc,
                    format!(
                        "{} of '{}' (function {func}) which has {} captures (use make_closure)",
                        instr.opcode().mnemonic(),
                        callee.name.escape_debug(),
                        callee.num_captures
                    ),
                ))
            }
            Instr::MakeClosure { func, .. } if func as usize >= m.functions.len() => {
                Err(out_of_range(
                    "function index",
                    func.into(),
                    m.functions.len(),
                    "functions",
                ))
            }
            Instr::MakeClosure { func, captures } => {
                let callee = &m.functions[func as usize];
                if callee.num_captures == u16::from(captures) {
                    Ok(())
                } else {
                    Err(self.at(
                        pc,
                        format!(
                            "make_closure passes {captures} cells to '{}' (function {func}) \
                             which has {} captures",
                            callee.name.escape_debug(),
                            callee.num_captures
                        ),
                    ))
                }
            }
            Instr::GetCapture(i) if i >= self.f.num_captures => Err(self.at(
                pc,
                format!(
                    "capture index {i} out of range (num_captures {})",
                    self.f.num_captures
                ),
            )),
            Instr::GetField(k) | Instr::SetField(k) | Instr::GetFieldOpt(k) => {
                match m.constants.get(k as usize) {
                    Some(Constant::Str(_)) => Ok(()),
                    Some(Constant::Num(_)) => Err(self.at(
                        pc,
                        format!(
                            "{} names constant k{k}, which is not a string",
                            instr.opcode().mnemonic()
                        ),
                    )),
                    None => Err(out_of_range(
                        "constant index",
                        k.into(),
                        m.constants.len(),
                        "constants",
                    )),
                }
            }
            Instr::CallDirect { func, argc } => match m.functions.get(func as usize) {
                Some(callee) if callee.arity != argc => Err(self.at(
                    pc,
                    format!(
                        "call_direct passes {argc} arguments to '{}' (function {func}) \
                         which takes {}",
                        callee.name.escape_debug(),
                        callee.arity
                    ),
                )),
                _ => Ok(()),
            },
            Instr::Halt if !self.is_entry => {
                Err(self.at(pc, "halt outside the entry function".to_string()))
            }
            _ => Ok(()),
        }
    }

    /// Abstract interpretation of the stack depth over the CFG.
    fn check_depths(
        &self,
        instr_at: &[Option<Instr>],
        len: u32,
    ) -> Result<FunctionInfo, VerifyError> {
        let mut depth_at: Vec<Option<u32>> = vec![None; instr_at.len()];
        let mut jump_targets = Vec::new();
        let mut max_stack = 0u32;
        let mut work: Vec<u32> = vec![0];
        if let Some(slot) = depth_at.first_mut() {
            *slot = Some(0);
        }
        while let Some(pc) = work.pop() {
            let (Some(Some(instr)), Some(Some(depth))) =
                (instr_at.get(pc as usize), depth_at.get(pc as usize))
            else {
                // Every pc on the work list has an instruction and a depth.
                return Err(self.at(pc, "internal verifier error: lost instruction".into()));
            };
            let (instr, depth) = (*instr, *depth);
            let (pops, pushes) = instr.stack_effect();
            let pops = u32::try_from(pops).unwrap_or(u32::MAX);
            let pushes = u32::try_from(pushes).unwrap_or(u32::MAX);
            if instr == Instr::Ret && depth == 0 {
                return Err(self.at(pc, "ret at stack depth 0 (nothing to return)".into()));
            }
            let Some(after_pop) = depth.checked_sub(pops) else {
                let what = if pops == 1 {
                    format!("pop from depth {depth}")
                } else {
                    format!("pop {pops} from depth {depth}")
                };
                return Err(self.at(pc, format!("stack underflow ({what})")));
            };
            let after = after_pop.saturating_add(pushes);
            if after > MAX_STACK {
                return Err(self.at(
                    pc,
                    format!("stack depth {after} exceeds the limit {MAX_STACK}"),
                ));
            }
            max_stack = max_stack.max(depth).max(after);

            let mut succ: [Option<u32>; 2] = [None, None];
            if !instr.opcode().is_terminator() {
                let next = u32::try_from(instr.size())
                    .ok()
                    .and_then(|s| pc.checked_add(s))
                    .unwrap_or(u32::MAX);
                if next >= len {
                    return Err(self.at(
                        pc,
                        format!(
                            "execution falls off the end of the function after {}",
                            instr.opcode().mnemonic()
                        ),
                    ));
                }
                succ[0] = Some(next);
            }
            if let Some(t) = instr.jump_target() {
                jump_targets.push(t);
                succ[1] = Some(t);
            }
            for s in succ.into_iter().flatten() {
                match depth_at.get_mut(s as usize) {
                    Some(slot @ None) => {
                        *slot = Some(after);
                        work.push(s);
                    }
                    Some(Some(d)) if *d != after => {
                        let d = *d;
                        return Err(self.at(
                            s,
                            format!("stack depth {after} here but {d} on another path"),
                        ));
                    }
                    Some(Some(_)) => {}
                    None => {
                        return Err(self.at(pc, "internal verifier error: bad successor".into()))
                    }
                }
            }
        }
        jump_targets.sort_unstable();
        jump_targets.dedup();
        Ok(FunctionInfo {
            max_stack,
            depth_at,
            jump_targets,
        })
    }
}
