//! Closures: only captured locals become cells, captures are forwarded
//! through intermediate functions, and functions without captures stay
//! plain `push_func` values.

use crate::helpers::{compile, instrs};
use ilusm_bytecode::Instr::*;

#[test]
fn only_captured_locals_become_cells() {
    let m = compile("f(a, b) =\n    c = 1\n    d = 2\n    g = \\() a + c\n    g\n");
    // f is function 1 (slots a b c d g), the lambda function 2.
    assert_eq!(
        instrs(&m, 1),
        [
            GetLocal(0),
            MakeCell,
            SetLocal(0),
            PushNil,
            MakeCell,
            SetLocal(2),
            GetLocal(2),
            Push(0),
            CellSet,
            Push(1),
            SetLocal(3),
            GetLocal(0),
            GetLocal(2),
            MakeClosure {
                func: 2,
                captures: 2
            },
            SetLocal(4),
            GetLocal(4),
            Ret,
        ]
    );
    assert_eq!(
        instrs(&m, 2),
        [GetCapture(0), CellGet, GetCapture(1), CellGet, Add, Ret]
    );
    assert_eq!(m.functions[1].num_captures, 0);
    assert_eq!(m.functions[2].num_captures, 2);
    assert_eq!(m.functions[2].name, "<lambda>");
}

#[test]
fn captures_are_forwarded_through_the_middle_function() {
    let m =
        compile("outer() =\n    x = 1\n    mid() =\n        inner() = x\n        inner\n    mid\n");
    assert_eq!(
        instrs(&m, 1),
        [
            PushNil,
            MakeCell,
            SetLocal(0),
            GetLocal(0),
            MakeClosure {
                func: 2,
                captures: 1
            },
            SetLocal(1),
            GetLocal(0),
            Push(0),
            CellSet,
            GetLocal(1),
            Ret,
        ]
    );
    assert_eq!(
        instrs(&m, 2),
        [
            GetCapture(0),
            MakeClosure {
                func: 3,
                captures: 1
            },
            SetLocal(0),
            GetLocal(0),
            Ret
        ]
    );
    assert_eq!(instrs(&m, 3), [GetCapture(0), CellGet, Ret]);
    let caps: Vec<u16> = m.functions.iter().map(|f| f.num_captures).collect();
    assert_eq!(caps, [0, 0, 1, 1]);
}

#[test]
fn functions_without_captures_are_plain_values() {
    let m = compile("f() =\n    g(y) = y + 1\n    h = \\(z) g(z)\n    h(1)\n");
    // g reads nothing of f; h reads g (a local of f), so only g's slot is a cell.
    let f = instrs(&m, 1);
    assert_eq!(
        &f[..6],
        [
            PushNil,
            MakeCell,
            SetLocal(0),
            GetLocal(0),
            PushFunc(2),
            CellSet
        ]
    );
    assert!(f.contains(&MakeClosure {
        func: 3,
        captures: 1
    }));
    assert_eq!(m.functions[2].num_captures, 0);
}

#[test]
fn recursive_local_function_captures_itself() {
    let m = compile("f(n) =\n    fact(k) = if k < 2: 1 | k * fact(k - 1)\n    fact(n)\n");
    let f = instrs(&m, 1);
    assert_eq!(
        &f[..6],
        [
            PushNil,
            MakeCell,
            SetLocal(1),
            GetLocal(1),
            GetLocal(1),
            MakeClosure {
                func: 2,
                captures: 1
            }
        ]
    );
    assert_eq!(m.functions[2].num_captures, 1);
}

#[test]
fn loops_use_hidden_locals() {
    // Top level: the loop variable is a global; the list and index are
    // hidden locals of <main>.
    let m = compile("x <- [1]: prn x\n");
    assert_eq!(m.functions[0].num_locals, 2);
    let code = instrs(&m, 0);
    assert!(code.contains(&IterPrep));
    assert!(code.contains(&Len));
    let m = compile("f() =\n    i <- 0..3: prn i\n    j <- 3..0: prn j\n");
    // i, j, then three hidden slots reused by both loops.
    assert_eq!(m.functions[1].num_locals, 5);
    assert_eq!(instrs(&m, 1).iter().filter(|i| **i == RangePrep).count(), 2);
}

#[test]
fn containers_fields_and_match() {
    let m = compile("o = {a: 1, \"b c\": [2]}\no.a = o?.a\no[\"x\"] = o?[\"y\"]\ny = mat o.a:\n    1: \"one\"\n    _: \"other\"\n");
    let code = instrs(&m, 0);
    for want in [MakeObject(2), MakeList(1), SetIndex, IndexOpt, Eq, Dup] {
        assert!(code.contains(&want), "{want:?} in {code:?}");
    }
    assert!(code.iter().any(|i| matches!(i, GetFieldOpt(_))));
    assert!(code.iter().any(|i| matches!(i, SetField(_))));
    assert!(code.iter().any(|i| matches!(i, GetField(_))));
}
