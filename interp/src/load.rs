//! Loading: a verified [`Module`] becomes the interpreter's [`Program`].
//!
//! Each function's code is decoded once into a vector of [`Op`]s; jump
//! targets become instruction indices, constants become values (strings are
//! allocated here, once), and the push-a-fixed-value opcodes collapse into
//! one [`Op::Push`]. A parallel vector maps each instruction index back to
//! its byte pc, for stack traces.
//!
//! Input is assumed verified (`bytecode::verify`), but operand ranges and
//! jump targets are cheap to check here, so a bad module is an error rather
//! than a panic. Stack discipline is not re-checked.

use ilusm_bytecode::{instructions, Constant, Instr, Module};
use ilusm_runtime::program::{ImageConstant, ImageFunction, ProgramImage};
use ilusm_runtime::{heap, Value};

use crate::fuse::{fuse, Bin};

/// One decoded instruction. Operands are instruction indices, local slots,
/// global slots, function indices and builtin ids.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// push_const, push_nil/tru/fls, push_func, push_builtin.
    Push(Value),
    Pop,
    Dup,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Neg,
    Not,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Jump(u32),
    JumpIf(u32),
    JumpIfNot(u32),
    GetLocal(u16),
    SetLocal(u16),
    GetGlobal(u32),
    SetGlobal(u32),
    Call(u8),
    CallDirect(u32, u8),
    CallBuiltin(u16, u8),
    Print(u8),
    Concat(u16),
    Ret,
    Halt,
    MakeList(u16),
    MakeObject(u16),
    Index,
    SetIndex,
    /// The inline-cache slot of this access site (an index into
    /// [`Program::caches`]) and the field name, a string value.
    GetField(u32, Value),
    SetField(u32, Value),
    GetFieldOpt(u32, Value),
    IndexOpt,
    MakeCell,
    CellGet,
    CellSet,
    MakeClosure(u32, u8),
    GetCapture(u16),
    IterPrep,
    RangePrep,
    Len,
    // Superinstructions (`crate::fuse`): each does what the ops from its
    // own index on do, and those ops stay in place after it.
    /// `get_local a; get_local b; OP`.
    LocalLocal(Bin, u16, u16),
    /// `get_local a; push k; OP` with a number k.
    LocalConst(Bin, u16, Value),
    /// `get_local a; set_local b`.
    MoveLocal(u16, u16),
    /// `COMPARE; jump_if t` (`true`) or `COMPARE; jump_if_not t` (`false`).
    CompareJump(Bin, bool, u32),
    /// `OP; set_local d`.
    BinSet(Bin, u16),
    /// `get_local a; get_local b; OP; set_local d`.
    LocalLocalSet(Bin, u16, u16, u16),
    /// `get_local a; push k; OP; set_local d` with a number k.
    LocalConstSet(Bin, u16, u16, Value),
    /// `get_local a; get_local b; COMPARE; jump_if(_not) t` (as in `CompareJump`).
    LocalLocalJump(Bin, bool, u16, u16, u32),
    /// `get_local a; push k; COMPARE; jump_if(_not) t` with a number k; the
    /// target is narrowed to u16 to keep the op two words (not fused otherwise).
    LocalConstJump(Bin, bool, u16, u16, Value),
    /// `get_local a; get_local b; index`.
    IndexLocals(u16, u16),
    /// `get_local a; get_local b; get_local c; set_index`.
    SetIndexLocals(u16, u16, u16),
    /// `get_local a; get_local b; push k; set_index`.
    SetIndexLocalsConst(u16, u16, Value),
    /// `get_local a; get_field k` (cache slot, name as in `GetField`).
    LocalGetField(u16, u32, Value),
    /// `get_local b; get_local c; OP1; OP2; set_local d`: `d = x OP2 (b OP1 c)`
    /// with x the stack top.
    LocalLocalBinSet(Bin, Bin, u16, u16, u16),
    /// `get_local b; push k; OP1; OP2; set_local d` with a number k.
    LocalConstBinSet(Bin, Bin, u16, u16, Value),
    /// `get_local x; OP`: the stack top OP local x.
    TopLocal(Bin, u16),
    /// `get_local x; OP; set_local d`.
    TopLocalSet(Bin, u16, u16),
    /// `push k; OP` with a number k.
    TopConst(Bin, Value),
    /// `push k; OP1; OP2` with a number k and an arithmetic OP1: `x OP2 (y
    /// OP1 k)` for the two values on top (`(i + j) * (i + j + 1)`).
    TopConstBin(Bin, Bin, Value),
    /// `OP; set_field k` (cache slot, name as in `SetField`).
    BinSetField(Bin, u32, Value),
    /// The step of a range loop: `get_local i; get_local end; eq; jump_if
    /// exit; get_local i; get_local step; add; set_local i; jump top`
    /// (operands: i, end, step, exit, top).
    RangeStep(u16, u16, u16, u32, u32),
    /// `RangeStep` whose `top` starts with `get_local i; set_local v` (the
    /// loop variable's copy): operands i, end, step, v, exit, top (targets
    /// narrowed to u16 to keep the op two words; not fused otherwise).
    RangeStepMove(u16, u16, u16, u16, u16, u16),
    /// `get_local s; get_local b; push k; OP1; OP2; set_local s`:
    /// `s = s OP2 (b OP1 k)` with a number k.
    AccLocalConst(Bin, Bin, u16, u16, Value),
    /// `get_local s; get_local b; get_local c; OP1; OP2; set_local s`.
    AccLocalLocal(Bin, Bin, u16, u16, u16),
    /// `AccLocalConst` with `add` as OP2 (`s = s + b OP1 k`, the commonest
    /// accumulation), which then needs no dispatch on OP2.
    AccAddLocalConst(Bin, u16, u16, Value),
    /// `AccLocalLocal` with `add` as OP2.
    AccAddLocalLocal(Bin, u16, u16, u16),
    /// `get_local a; get_local b; OP; set_local d; jump t`.
    LocalLocalSetJump(Bin, u16, u16, u16, u32),
    /// `get_local a; push k; OP; set_local d; jump t` with a number k
    /// (operands a, d, t; t narrowed to u16).
    LocalConstSetJump(Bin, u16, u16, u16, Value),
    /// The test of a loop over a list: `get_local i; get_local xs; len; lt;
    /// jump_if_not exit`.
    ListLoopTest(u16, u16, u32),
    /// `get_local xs; get_local i; index; set_local d`.
    IndexLocalsSet(u16, u16, u16),
    /// `get_local f; get_local a; call 1` (`f(x)` of a function value).
    CallLocals1(u16, u16),
    /// `get_local f; get_local a; get_local b; call 2`.
    CallLocals2(u16, u16, u16),
    /// `get_local xs; get_local i; index; OP`: the stack top OP `xs[i]`
    /// (`s + a(i, j) * v[j]`).
    IndexLocalsBin(Bin, u16, u16),
    /// `get_local b; get_local c; OP1; OP2`: `top OP2 (b OP1 c)`.
    TopLocalLocal(Bin, Bin, u16, u16),
    /// `get_local a; get_local a; get_field k` (the object of an update
    /// `a.k = a.k ...`; cache slot, name as in `GetField`).
    DupLocalGetField(u16, u32, Value),
    /// `get_local a; get_local b; call_direct f, 2`.
    LocalLocalCall(u16, u16, u32),
    /// `get_local a; push k; OP; call_direct f, 1` with a number k.
    LocalConstCall(Bin, u16, u32, Value),
    /// `get_local a; ret`.
    RetLocal(u16),
    /// `OP; ret`.
    BinRet(Bin),
    /// `call_builtin id, argc; pop` (a builtin called for its effect).
    CallBuiltinPop(u16, u8),
    /// `get_local a; call_builtin id, 1`.
    LocalCallBuiltin(u16, u16),
    /// `get_local a; jump_if t` (`true`) or `get_local a; jump_if_not t`.
    LocalJump(u16, bool, u32),
}

// The dispatch loop copies ops around: keep them two words.
const _: () = assert!(std::mem::size_of::<Op>() <= 16);

/// A loaded function.
pub(crate) struct Func {
    pub ops: Vec<Op>,
    /// Byte pc of each op, for traces.
    pub pcs: Vec<u32>,
    pub arity: u8,
    pub num_locals: u16,
    /// Stack slots a frame of this function can use: its locals and the
    /// deepest its operand stack gets. The dispatch loop reserves them on
    /// entry and then pushes without capacity checks.
    pub frame_size: usize,
    pub name: String,
    /// Debug names of the local slots ("" for temporaries; empty if unknown).
    pub local_names: Vec<String>,
}

/// A loaded program.
pub(crate) struct Program {
    pub funcs: Vec<Func>,
    /// One inline cache per field access site (`GetField` & co.): the
    /// entry position where that site last found its key (`u32::MAX`:
    /// none yet), for `containers::get_field_cached`/`set_field_cached`.
    pub caches: Box<[std::cell::Cell<u32>]>,
    pub global_names: Vec<String>,
    pub entry: u32,
}

/// The program image (what the runtime needs for names and traces) of a module.
pub fn program_image(module: &Module) -> ProgramImage {
    ProgramImage {
        constants: module
            .constants
            .iter()
            .map(|c| match c {
                Constant::Num(n) => ImageConstant::Num(*n),
                Constant::Str(s) => ImageConstant::Str(s.clone()),
            })
            .collect(),
        globals: module.globals.clone(),
        files: module.files.clone(),
        functions: module
            .functions
            .iter()
            .map(|f| ImageFunction {
                name: f.name.clone(),
                arity: f.arity as u32,
                file: f.file,
                lines: f.lines.iter().map(|e| (e.pc, e.line, e.col)).collect(),
            })
            .collect(),
        entry: module.entry,
    }
}

/// Load `module` (on the thread that will run it: constants are allocated
/// on this thread's heap).
pub(crate) fn load(module: &Module) -> Result<Program, String> {
    let constants: Vec<Value> = module
        .constants
        .iter()
        .map(|c| match c {
            Constant::Num(n) => Value::from_f64_canonical(*n),
            // Pinned: the loaded code holds them for the whole run.
            Constant::Str(s) => ilusm_runtime::gc::pin(heap::alloc_str(s)),
        })
        .collect();
    if module.entry as usize >= module.functions.len() {
        return Err(format!("entry function {} does not exist", module.entry));
    }
    let mut funcs = Vec::with_capacity(module.functions.len());
    let mut num_caches = 0u32;
    for f in &module.functions {
        let fail = |msg: String| format!("function {}: {msg}", f.name);
        let mut decoded = Vec::new();
        for item in instructions(&f.code) {
            decoded.push(item.map_err(|e| fail(e.to_string()))?);
        }
        // Byte pc -> instruction index.
        let mut index_of = vec![u32::MAX; f.code.len()];
        for (i, &(pc, _)) in decoded.iter().enumerate() {
            index_of[pc as usize] = i as u32;
        }
        let target = |t: u32| -> Result<u32, String> {
            match index_of.get(t as usize) {
                Some(&i) if i != u32::MAX => Ok(i),
                _ => Err(fail(format!("jump to {t} is not an instruction"))),
            }
        };
        let check = |ok: bool, what: &str, x: u64| -> Result<(), String> {
            if ok {
                Ok(())
            } else {
                Err(fail(format!("{what} {x} out of range")))
            }
        };
        let mut ops = Vec::with_capacity(decoded.len());
        let mut pcs = Vec::with_capacity(decoded.len());
        for &(pc, instr) in &decoded {
            let op = match instr {
                Instr::Push(k) => {
                    let v = constants.get(k as usize).copied();
                    check(v.is_some(), "constant", k as u64)?;
                    Op::Push(v.unwrap_or(Value::NIL))
                }
                Instr::PushNil => Op::Push(Value::NIL),
                Instr::PushTrue => Op::Push(Value::TRUE),
                Instr::PushFalse => Op::Push(Value::FALSE),
                Instr::PushFunc(i) => {
                    check((i as usize) < module.functions.len(), "function", i as u64)?;
                    Op::Push(Value::func(i))
                }
                Instr::PushBuiltin(b) => {
                    let n = ilusm_runtime::builtins::NAMES.len();
                    check((b as usize) < n, "builtin", b as u64)?;
                    Op::Push(Value::builtin(b))
                }
                Instr::Pop => Op::Pop,
                Instr::Dup => Op::Dup,
                Instr::Add => Op::Add,
                Instr::Sub => Op::Sub,
                Instr::Mul => Op::Mul,
                Instr::Div => Op::Div,
                Instr::Mod => Op::Mod,
                Instr::Neg => Op::Neg,
                Instr::Not => Op::Not,
                Instr::Eq => Op::Eq,
                Instr::Ne => Op::Ne,
                Instr::Lt => Op::Lt,
                Instr::Le => Op::Le,
                Instr::Gt => Op::Gt,
                Instr::Ge => Op::Ge,
                Instr::Jump(t) => Op::Jump(target(t)?),
                Instr::JumpIf(t) => Op::JumpIf(target(t)?),
                Instr::JumpIfNot(t) => Op::JumpIfNot(target(t)?),
                Instr::GetLocal(l) | Instr::SetLocal(l) => {
                    check(l < f.num_locals, "local", l as u64)?;
                    if matches!(instr, Instr::GetLocal(_)) {
                        Op::GetLocal(l)
                    } else {
                        Op::SetLocal(l)
                    }
                }
                Instr::GetGlobal(g) | Instr::SetGlobal(g) => {
                    check((g as usize) < module.globals.len(), "global", g as u64)?;
                    if matches!(instr, Instr::GetGlobal(_)) {
                        Op::GetGlobal(g)
                    } else {
                        Op::SetGlobal(g)
                    }
                }
                Instr::Call(n) => Op::Call(n),
                Instr::CallDirect { func, argc } => {
                    let callee = module.functions.get(func as usize);
                    check(callee.is_some(), "function", func as u64)?;
                    if callee.is_some_and(|c| c.arity != argc) {
                        return Err(fail(format!("call_direct {func} with {argc} arguments")));
                    }
                    Op::CallDirect(func, argc)
                }
                Instr::CallBuiltin { builtin, argc } => {
                    let n = ilusm_runtime::builtins::NAMES.len();
                    check((builtin as usize) < n, "builtin", builtin as u64)?;
                    Op::CallBuiltin(builtin, argc)
                }
                Instr::Print(n) => Op::Print(n),
                Instr::Concat(n) => Op::Concat(n),
                Instr::Ret => Op::Ret,
                Instr::Halt => Op::Halt,
                Instr::MakeList(n) => Op::MakeList(n),
                Instr::MakeObject(n) => Op::MakeObject(n),
                Instr::Index => Op::Index,
                Instr::SetIndex => Op::SetIndex,
                Instr::GetField(k) | Instr::SetField(k) | Instr::GetFieldOpt(k) => {
                    let key = constants.get(k as usize).copied();
                    let is_str = key.is_some_and(|v| heap::str_of(v).is_some());
                    check(is_str, "field name constant", k as u64)?;
                    let key = key.unwrap_or(Value::NIL);
                    let slot = num_caches;
                    num_caches += 1;
                    match instr {
                        Instr::GetField(_) => Op::GetField(slot, key),
                        Instr::SetField(_) => Op::SetField(slot, key),
                        _ => Op::GetFieldOpt(slot, key),
                    }
                }
                Instr::IndexOpt => Op::IndexOpt,
                Instr::MakeCell => Op::MakeCell,
                Instr::CellGet => Op::CellGet,
                Instr::CellSet => Op::CellSet,
                Instr::MakeClosure { func, captures } => {
                    let callee = module.functions.get(func as usize);
                    check(callee.is_some(), "function", func as u64)?;
                    if callee.is_some_and(|c| c.num_captures != u16::from(captures)) {
                        return Err(fail(format!("make_closure {func} with {captures} cells")));
                    }
                    Op::MakeClosure(func, captures)
                }
                Instr::GetCapture(i) => {
                    check(i < f.num_captures, "capture", i as u64)?;
                    Op::GetCapture(i)
                }
                Instr::IterPrep => Op::IterPrep,
                Instr::RangePrep => Op::RangePrep,
                Instr::Len => Op::Len,
            };
            ops.push(op);
            pcs.push(pc);
        }
        if f.num_locals < f.arity as u16 {
            return Err(fail("fewer locals than parameters".into()));
        }
        // A function must not run off its end.
        if !matches!(ops.last(), Some(Op::Ret | Op::Halt | Op::Jump(_))) {
            return Err(fail("code does not end with ret, halt or jump".into()));
        }
        let max_stack = max_stack(&decoded, &ops).map_err(fail)?;
        fuse(&mut ops);
        funcs.push(Func {
            ops,
            pcs,
            arity: f.arity,
            num_locals: f.num_locals,
            frame_size: f.num_locals as usize + max_stack,
            name: f.name.clone(),
            local_names: f.local_names.clone(),
        });
    }
    Ok(Program {
        funcs,
        caches: (0..num_caches)
            .map(|_| std::cell::Cell::new(u32::MAX))
            .collect(),
        global_names: module.globals.clone(),
        entry: module.entry,
    })
}

/// The deepest the operand stack of a function's code gets (locals not
/// counted), by the verifier's rule: the depth on entry to an instruction
/// is the same on every path and an instruction never pops below zero.
/// The dispatch loop's pushes and pops are unchecked, so this is derived
/// (and checked) here rather than trusted. A fused op's slow path never
/// holds more than the ops it covers would, so the bound holds for them.
/// `ops` are the decoded (unfused) ops, whose jump targets are indices.
fn max_stack(decoded: &[(u32, Instr)], ops: &[Op]) -> Result<usize, String> {
    let mut depth: Vec<Option<usize>> = vec![None; decoded.len()];
    let mut work = vec![0usize];
    let mut max = 0;
    if let Some(first) = depth.first_mut() {
        *first = Some(0);
    }
    while let Some(i) = work.pop() {
        let ((_, instr), Some(d)) = (decoded[i], depth[i]) else {
            unreachable!("only instructions with a depth are on the work list");
        };
        let (pops, pushes) = instr.stack_effect();
        let Some(after) = d.checked_sub(pops).map(|n| n + pushes) else {
            return Err(format!("stack underflow at instruction {i}"));
        };
        max = max.max(d).max(after);
        let next = (!instr.opcode().is_terminator()).then_some(i + 1);
        let jump = match ops[i] {
            Op::Jump(t) | Op::JumpIf(t) | Op::JumpIfNot(t) => Some(t as usize),
            _ => None,
        };
        for s in [next, jump].into_iter().flatten() {
            match depth.get_mut(s) {
                Some(slot @ None) => {
                    *slot = Some(after);
                    work.push(s);
                }
                Some(Some(other)) if *other != after => {
                    return Err(format!(
                        "stack depth {after} and {other} at instruction {s}"
                    ));
                }
                Some(Some(_)) => {}
                None => return Err("code runs off its end".into()),
            }
        }
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ilusm_bytecode::Function;
    use Instr::*;

    /// The `frame_size` `load` gives function `f(a)` (one local, the
    /// parameter) with code `code`, whose jump targets are written here as
    /// instruction indices and encoded as the byte pcs they stand for. With
    /// one local, the operand stack's depth from `max_stack` is `frame_size - 1`.
    /// (In the tests, an instruction's comment gives its index and the depth
    /// after it, where that changes.)
    fn frame_size(code: &[Instr]) -> Result<usize, String> {
        let mut pcs = Vec::new();
        let mut pc = 0;
        for instr in code {
            pcs.push(pc);
            pc += instr.size() as u32;
        }
        let mut bytes = Vec::new();
        for &instr in code {
            let instr = match instr {
                Jump(t) => Jump(pcs[t as usize]),
                JumpIf(t) => JumpIf(pcs[t as usize]),
                JumpIfNot(t) => JumpIfNot(pcs[t as usize]),
                other => other,
            };
            instr.encode(&mut bytes);
        }
        let f = Function {
            name: "f".into(),
            arity: 1,
            num_locals: 1,
            num_captures: 0,
            file: 0,
            code: bytes,
            lines: Vec::new(),
            local_names: Vec::new(),
        };
        let module = Module {
            constants: vec![Constant::Num(1.0)],
            functions: vec![f],
            ..Module::default()
        };
        load(&module).map(|prog| prog.funcs[0].frame_size)
    }

    #[test]
    fn max_stack_is_the_deepest_arm_of_a_branch() {
        // No operand stack at all: the frame is just the locals.
        assert_eq!(frame_size(&[Halt]), Ok(1));
        // `if a: 1 + (1 + 1) else: nil`, the deep arm falling through.
        let deep_then = [
            GetLocal(0),  // 0: depth 0 -> 1
            JumpIfNot(8), // 1: 1 -> 0, both arms start at 0
            Push(0),      // 2
            Push(0),      // 3
            Push(0),      // 4: 3, the deepest
            Add,          // 5
            Add,          // 6: 1
            Jump(9),      // 7
            PushNil,      // 8: 0 -> 1, at most 1 in this arm
            Ret,          // 9: the arms meet at 1
        ];
        assert_eq!(frame_size(&deep_then), Ok(1 + 3));
        // The same with the deep arm at the jump's target.
        let deep_else = [
            GetLocal(0),  // 0: 0 -> 1
            JumpIfNot(4), // 1: 1 -> 0
            PushNil,      // 2: 1
            Jump(9),      // 3
            Push(0),      // 4
            Push(0),      // 5
            Push(0),      // 6: 3
            Add,          // 7
            Add,          // 8: 1, falls into the join
            Push(0),      // 9: the arms meet at 1; 2
            Add,          // 10: 1
            Ret,          // 11
        ];
        assert_eq!(frame_size(&deep_else), Ok(1 + 3));
        // After the join the depth goes on from the arms' common depth (1).
        let deep_after = [
            GetLocal(0), // 0: 0 -> 1
            JumpIf(4),   // 1: 1 -> 0
            PushNil,     // 2: 1
            Jump(5),     // 3
            PushTrue,    // 4: 1
            Push(0),     // 5: the arms meet at 1; 2
            Push(0),     // 6: 3
            Push(0),     // 7: 4
            Add,         // 8
            Add,         // 9
            Add,         // 10: 1
            Ret,         // 11
        ];
        assert_eq!(frame_size(&deep_after), Ok(1 + 4));
    }

    #[test]
    fn max_stack_rejects_arms_that_meet_at_different_depths() {
        let code = [
            GetLocal(0),  // 0: 0 -> 1
            JumpIfNot(8), // 1: 1 -> 0
            Push(0),      // 2
            Push(0),      // 3
            Push(0),      // 4
            Add,          // 5
            Add,          // 6: 1
            Jump(10),     // 7: reaches the join at 1
            PushNil,      // 8
            PushNil,      // 9: 2, falls into the join (walked first)
            Ret,          // 10
        ];
        assert_eq!(
            frame_size(&code),
            Err("function f: stack depth 1 and 2 at instruction 10".into())
        );
    }

    #[test]
    fn max_stack_rejects_a_stack_underflow() {
        assert_eq!(
            frame_size(&[Pop, PushNil, Ret]),
            Err("function f: stack underflow at instruction 0".into())
        );
        // On one arm only: `add` at the jump's target runs at depth 0.
        let code = [
            GetLocal(0), // 0: 0 -> 1
            JumpIf(4),   // 1: 1 -> 0
            PushNil,     // 2: 1
            Ret,         // 3
            Add,         // 4: pops 2 at 0
            Ret,         // 5
        ];
        assert_eq!(
            frame_size(&code),
            Err("function f: stack underflow at instruction 4".into())
        );
        // `max_stack` starts at instruction 0, which empty code lacks: the
        // check that code ends in ret, halt or jump rejects it first.
        assert_eq!(
            frame_size(&[]),
            Err("function f: code does not end with ret, halt or jump".into())
        );
    }
}
