//! Exact instruction sequences and module layout.

use crate::helpers::{compile, instrs};
use ilusm_bytecode::builtins::builtin_id;
use ilusm_bytecode::{Constant, Instr::*, LineEntry};

#[test]
fn main_hoists_functions_and_calls_directly() {
    let m = compile("prn(add(1, 2))\nadd(a, b) = a + b\n");
    assert_eq!(m.entry, 0);
    assert_eq!(m.files, ["test.ilu"]);
    assert_eq!(m.globals, ["add"]);
    assert_eq!(m.functions[0].name, "<main>");
    assert_eq!(
        instrs(&m, 0),
        [
            PushFunc(1),
            SetGlobal(0),
            Push(0),
            Push(1),
            CallDirect { func: 1, argc: 2 },
            Print(1),
            Pop,
            Halt
        ]
    );
    let add = &m.functions[1];
    assert_eq!(
        (add.name.as_str(), add.arity, add.num_locals),
        ("add", 2, 2)
    );
    assert_eq!(instrs(&m, 1), [GetLocal(0), GetLocal(1), Add, Ret]);
    assert_eq!(
        add.lines,
        [
            LineEntry {
                pc: 0,
                line: 2,
                col: 13
            },
            LineEntry {
                pc: 3,
                line: 2,
                col: 17
            },
            LineEntry {
                pc: 6,
                line: 2,
                col: 15
            },
        ]
    );
}

#[test]
fn while_loop_in_a_function() {
    let m =
        compile("f(n) =\n    s = 0\n    whl n > 0:\n        s = s + n\n        n = n - 1\n    s\n");
    assert_eq!(m.functions[1].num_locals, 2);
    assert_eq!(m.constants, [Constant::Num(0.0), Constant::Num(1.0)]);
    assert_eq!(
        instrs(&m, 1),
        [
            Push(0),
            SetLocal(1),
            GetLocal(0), // pc 8: loop head
            Push(0),
            Gt,
            JumpIfNot(49),
            GetLocal(1),
            GetLocal(0),
            Add,
            SetLocal(1),
            GetLocal(0),
            Push(1),
            Sub,
            SetLocal(0),
            Jump(8),
            GetLocal(1), // pc 49
            Ret
        ]
    );
}

#[test]
fn and_or_short_circuit_shape() {
    let m = compile("g(a, b) = a and b\nh(a, b) = a or b\n");
    assert_eq!(
        instrs(&m, 1),
        [GetLocal(0), Dup, JumpIfNot(13), Pop, GetLocal(1), Ret]
    );
    assert_eq!(
        instrs(&m, 2),
        [GetLocal(0), Dup, JumpIf(13), Pop, GetLocal(1), Ret]
    );
}

#[test]
fn if_expression_and_statement_shapes() {
    let m = compile("f(x) = if x: 1 | 2\ng(x) =\n    if x: prn(1)\n    3\n");
    assert_eq!(
        instrs(&m, 1),
        [GetLocal(0), JumpIfNot(18), Push(0), Jump(23), Push(1), Ret]
    );
    // As a statement with no else: no value, no final jump.
    assert_eq!(
        instrs(&m, 2),
        [
            GetLocal(0),
            JumpIfNot(16),
            Push(0),
            Print(1),
            Pop,
            Push(2),
            Ret
        ]
    );
}

#[test]
fn if_without_else_yields_nil_as_a_value() {
    let m = compile("f(x) = if x: 1\n");
    assert_eq!(
        instrs(&m, 1),
        [GetLocal(0), JumpIfNot(18), Push(0), Jump(19), PushNil, Ret]
    );
}

#[test]
fn builtins_and_values() {
    let m = compile("x = str(1)\ny = typ(prn)\nprn $\"a{x}b\"\n");
    let str_id = builtin_id("str").unwrap();
    let typ_id = builtin_id("typ").unwrap();
    assert_eq!(
        instrs(&m, 0),
        [
            Push(0),
            CallBuiltin {
                builtin: str_id,
                argc: 1
            },
            SetGlobal(0),
            PushBuiltin(0),
            CallBuiltin {
                builtin: typ_id,
                argc: 1
            },
            SetGlobal(1),
            Push(1),
            GetGlobal(0),
            Push(2),
            Concat(3),
            Print(1),
            Pop,
            Halt
        ]
    );
    assert_eq!(
        m.constants,
        [
            Constant::Num(1.0),
            Constant::Str("a".into()),
            Constant::Str("b".into())
        ]
    );
}

#[test]
fn constants_are_deduplicated() {
    let m = compile("x = 1 + 1 + 0x1\ny = \"a\" + 'a'\nz = -0 + 0\n");
    assert_eq!(
        m.constants,
        [
            Constant::Num(1.0),
            Constant::Str("a".into()),
            Constant::Num(-0.0),
            Constant::Num(0.0)
        ]
    );
}

#[test]
fn reassigned_functions_are_called_through_their_global() {
    let m = compile("f() = 1\nf = 5\nf()\n");
    assert_eq!(
        instrs(&m, 0),
        [
            PushFunc(1),
            SetGlobal(0),
            Push(0),
            SetGlobal(0),
            GetGlobal(0),
            Call(0),
            Pop,
            Halt
        ]
    );
}

#[test]
fn wrong_arity_uses_a_generic_call() {
    let m = compile("f(a) = a\nf(1, 2)\n");
    assert_eq!(
        instrs(&m, 0),
        [
            PushFunc(1),
            SetGlobal(0),
            PushFunc(1),
            Push(0),
            Push(1),
            Call(2),
            Pop,
            Halt
        ]
    );
}

#[test]
fn shadowed_builtin_is_not_print() {
    let m = compile("prn = str\nprn(1)\n");
    assert_eq!(
        instrs(&m, 0),
        [
            PushBuiltin(builtin_id("str").unwrap()),
            SetGlobal(0),
            GetGlobal(0),
            Push(0),
            Call(1),
            Pop,
            Halt
        ]
    );
}

#[test]
fn dead_code_after_ret_is_dropped() {
    let m = compile("f() =\n    ret 1\n    prn(2)\n");
    assert_eq!(instrs(&m, 1), [Push(0), Ret]);
}

#[test]
fn brk_pops_what_the_expression_pushed() {
    let m = compile("whl tru: prn(1, if tru: brk | 2)\n");
    let code = instrs(&m, 0);
    // `brk` inside the argument list pops the pushed `1` before jumping.
    let brk_at = code.iter().position(|i| *i == Pop).unwrap();
    assert!(matches!(code[brk_at + 1], Jump(_)), "{code:?}");
}

#[test]
fn nested_named_functions_are_hoisted_into_locals() {
    let m = compile("f() =\n    g() = 2\n    g() + 1\nprn(f())\n");
    assert_eq!(m.functions.len(), 3);
    assert_eq!(m.functions[2].name, "g");
    assert_eq!(
        instrs(&m, 1),
        [
            PushFunc(2),
            SetLocal(0),
            GetLocal(0),
            Call(0),
            Push(0),
            Add,
            Ret
        ]
    );
}

#[test]
fn every_instruction_has_a_position() {
    let m = compile("x = 1\nf(n) =\n    whl n > 0: n = n - 1\n    n\nprn(f(x))\n");
    for f in &m.functions {
        assert_eq!(f.lines[0].pc, 0);
        assert!(f.lines.iter().all(|e| e.line >= 1 && e.col >= 1));
    }
}
