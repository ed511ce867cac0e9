//! The VM as a [`Caller`]: the re-entry path builtins use to call back into
//! ilusm code.

use super::*;
use crate::load::load;
use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};
use ilusm_runtime::Caller;

fn func(name: &str, arity: u8, num_locals: u16, code: &[Instr]) -> Function {
    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    for (i, instr) in code.iter().enumerate() {
        lines.push(LineEntry {
            pc: bytes.len() as u32,
            line: i as u32 + 1,
            col: 1,
        });
        instr.encode(&mut bytes);
    }
    Function {
        name: name.into(),
        arity,
        num_locals,
        num_captures: 0,
        file: 0,
        code: bytes,
        lines,
        local_names: Vec::new(),
    }
}

fn module() -> Module {
    use Instr::*;
    Module {
        constants: vec![Constant::Num(1.0), Constant::Str("s".into())],
        globals: vec![],
        files: vec!["t.ilu".into()],
        functions: vec![
            func("<main>", 0, 0, &[Halt]),
            // add(a, b) = a + b, with a spare local
            func(
                "add",
                2,
                3,
                &[GetLocal(0), GetLocal(1), Add, SetLocal(2), GetLocal(2), Ret],
            ),
            // bad() = 1 - "s"
            func("bad", 0, 0, &[Push(0), Push(1), Sub, Ret]),
            // outer(f) = f(1, 1) + 1
            func(
                "outer",
                1,
                1,
                &[GetLocal(0), Push(0), Push(0), Call(2), Push(0), Add, Ret],
            ),
        ],
        entry: 0,
    }
}

fn n(x: f64) -> Value {
    Value::from_f64(x)
}

#[test]
fn caller_runs_functions_and_restores_the_vm() {
    let prog = load(&module()).unwrap();
    let mut vm = Vm::new(&prog, 100);
    assert_eq!(vm.call(Value::func(1), &[n(2.0), n(3.0)]).unwrap(), n(5.0));
    assert_eq!(vm.call(Value::func(3), &[Value::func(1)]).unwrap(), n(3.0));
    // A builtin value passed in is called by `call` inside the VM.
    let max = Value::builtin(ilusm_runtime::builtins::id::MAX);
    assert_eq!(vm.call(Value::func(3), &[max]).unwrap(), n(2.0));
    assert!(vm.stack.is_empty() && vm.frames.is_empty());

    let e = vm.call(Value::func(2), &[]).unwrap_err();
    assert_eq!(e.message, "cannot subtract num and str");
    assert_eq!(e.trace, vec![(2, 10)]);
    assert!(vm.stack.is_empty() && vm.frames.is_empty());

    let e = vm.call(Value::func(3), &[Value::func(2)]).unwrap_err();
    assert_eq!(e.message, "bad expects 0 arguments, got 2");
    assert_eq!(e.trace, vec![(3, 13)]);

    let e = vm.call(Value::func(1), &[n(1.0)]).unwrap_err();
    assert_eq!(e.message, "add expects 2 arguments, got 1");
    assert!(e.trace.is_empty());
    assert_eq!(vm.call(n(1.0), &[]).unwrap_err().message, "cannot call num");
    assert!(vm.stack.is_empty() && vm.frames.is_empty());
    // Still usable.
    assert_eq!(vm.call(Value::func(1), &[n(1.0), n(1.0)]).unwrap(), n(2.0));
}

#[test]
fn nested_calls_count_toward_the_depth_limit() {
    let prog = load(&module()).unwrap();
    // Depth 0 is the outermost call; outer -> add is depth 1.
    let mut vm = Vm::new(&prog, 0);
    let e = vm.call(Value::func(3), &[Value::func(1)]).unwrap_err();
    assert_eq!(e.message, "stack overflow (call depth 0)");
    assert_eq!(e.trace, vec![(3, 13)]);
    let mut vm = Vm::new(&prog, 1);
    assert_eq!(vm.call(Value::func(3), &[Value::func(1)]).unwrap(), n(3.0));
}

#[test]
fn re_entered_loops_unwind_only_their_own_frames() {
    let prog = load(&module()).unwrap();
    let mut vm = Vm::new(&prog, 100);
    // Simulate a builtin running inside a frame of `outer` that calls back.
    vm.stack.push(Value::func(2));
    vm.frames.push(Frame {
        func: 3,
        ip: 4,
        base: 0,
        ret_sp: 0,
        closure: Value::NIL,
    });
    let e = vm.call(Value::func(2), &[]).unwrap_err();
    assert_eq!(e.trace, vec![(2, 10)]);
    assert_eq!(vm.frames.len(), 1);
    assert_eq!(vm.stack.len(), 1);
    assert_eq!(vm.call(Value::func(1), &[n(4.0), n(4.0)]).unwrap(), n(8.0));
    assert_eq!(vm.frames.len(), 1);
}
