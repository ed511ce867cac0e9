//! The verifier on the container and closure instructions (0x24–0x33):
//! operand checks (string constants for field names, capture counts and
//! indices, closures only through `make_closure`) and stack effects.

mod common;

use common::*;
use ilusm_bytecode::{verify, Instr::*};

/// A function `f` with `captures` captures whose body is `code`.
fn with_captures(name: &str, captures: u16, code: Vec<u8>) -> ilusm_bytecode::Function {
    let mut f = func(name, 0, 0, code);
    f.num_captures = captures;
    f
}

#[test]
fn containers_verify_with_their_stack_effects() {
    // [1, "hi"]; {hi: 1}; a[0]; a[0] = 1; o.hi; o.hi = 1; o?.hi; a?[0]; len; iter_prep; range_prep
    let m = main_only(raw(&[
        Push(0),
        Push(1),
        MakeList(2),
        Push(1),
        Push(0),
        MakeObject(1),
        Dup,
        GetField(1),
        Pop,
        Dup,
        Push(0),
        SetField(1),
        GetFieldOpt(1),
        Pop,
        Dup,
        Push(0),
        Index,
        Pop,
        Dup,
        Push(0),
        Push(0),
        SetIndex,
        Dup,
        Push(0),
        IndexOpt,
        Pop,
        Dup,
        Len,
        Pop,
        IterPrep,
        Pop,
        Push(0),
        Push(0),
        RangePrep,
        Pop,
        Pop,
        Pop,
        Halt,
    ]));
    let info = verify(&m).unwrap();
    assert_eq!(info.functions[0].max_stack, 4);
}

#[test]
fn field_names_must_be_string_constants() {
    for instr in [GetField(0), GetFieldOpt(0)] {
        let m = main_only(raw(&[PushNil, instr, Pop, Halt]));
        let name = instr.opcode().mnemonic();
        assert_eq!(
            verify_err(&m),
            format!(
                "function '<main>' at offset 1: {name} names constant k0, which is not a string"
            )
        );
    }
    let m = main_only(raw(&[PushNil, PushNil, SetField(7), Halt]));
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 2: constant index 7 out of range (2 constants)"
    );
}

#[test]
fn make_closure_passes_exactly_the_captures() {
    let inner = with_captures("inner", 2, raw(&[GetCapture(1), CellGet, Ret]));
    let ok = module(vec![
        func(
            "<main>",
            0,
            0,
            raw(&[
                PushNil,
                MakeCell,
                PushNil,
                MakeCell,
                MakeClosure {
                    func: 1,
                    captures: 2,
                },
                Pop,
                Halt,
            ]),
        ),
        inner.clone(),
    ]);
    verify(&ok).unwrap();
    let bad = module(vec![
        func(
            "<main>",
            0,
            0,
            raw(&[
                PushNil,
                MakeCell,
                MakeClosure {
                    func: 1,
                    captures: 1,
                },
                Pop,
                Halt,
            ]),
        ),
        inner.clone(),
    ]);
    assert_eq!(
        verify_err(&bad),
        "function '<main>' at offset 2: make_closure passes 1 cells to 'inner' (function 1) \
         which has 2 captures"
    );
    let missing = main_only(raw(&[
        MakeClosure {
            func: 9,
            captures: 0,
        },
        Pop,
        Halt,
    ]));
    assert_eq!(
        verify_err(&missing),
        "function '<main>' at offset 0: function index 9 out of range (1 functions)"
    );
}

#[test]
fn functions_with_captures_are_only_closures() {
    let inner = with_captures("inner", 1, raw(&[GetCapture(0), CellGet, Ret]));
    let pushed = module(vec![
        func("<main>", 0, 0, raw(&[PushFunc(1), Pop, Halt])),
        inner.clone(),
    ]);
    assert_eq!(
        verify_err(&pushed),
        "function '<main>' at offset 0: push_func of 'inner' (function 1) which has 1 captures \
         (use make_closure)"
    );
    let called = module(vec![
        func(
            "<main>",
            0,
            0,
            raw(&[CallDirect { func: 1, argc: 0 }, Pop, Halt]),
        ),
        inner,
    ]);
    assert_eq!(
        verify_err(&called),
        "function '<main>' at offset 0: call_direct of 'inner' (function 1) which has 1 captures \
         (use make_closure)"
    );
}

#[test]
fn capture_index_in_range() {
    let inner = with_captures("inner", 1, raw(&[GetCapture(1), Ret]));
    let m = module(vec![func("<main>", 0, 0, raw(&[Halt])), inner]);
    assert_eq!(
        verify_err(&m),
        "function 'inner' at offset 0: capture index 1 out of range (num_captures 1)"
    );
    let plain = module(vec![func("<main>", 0, 0, raw(&[GetCapture(0), Pop, Halt]))]);
    assert_eq!(
        verify_err(&plain),
        "function '<main>' at offset 0: capture index 0 out of range (num_captures 0)"
    );
}

#[test]
fn entry_has_no_captures() {
    let m = module(vec![with_captures("<main>", 1, raw(&[Halt]))]);
    assert_eq!(
        verify_err(&m),
        "entry function '<main>' has 1 captures (must be 0)"
    );
}

#[test]
fn container_underflow_is_caught() {
    let m = main_only(raw(&[PushNil, MakeObject(1), Pop, Halt]));
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 1: stack underflow (pop 2 from depth 1)"
    );
    let m = main_only(raw(&[PushNil, PushNil, SetIndex, Halt]));
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 2: stack underflow (pop 3 from depth 2)"
    );
}

#[test]
fn captures_survive_the_file_format() {
    let inner = with_captures("inner", 3, raw(&[GetCapture(2), Ret]));
    let m = module(vec![func("<main>", 0, 0, raw(&[Halt])), inner]);
    let back = ilusm_bytecode::decode(&ilusm_bytecode::encode(&m)).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.functions[1].num_captures, 3);
}
