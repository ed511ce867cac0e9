//! The verifier: each invalid module is rejected with its specific message;
//! valid ones yield the stack depths back ends rely on.

mod common;

use common::*;
use ilusm_bytecode::{verify, Constant, Instr::*, LineEntry};

#[test]
fn sample_verifies() {
    let m = sample();
    let info = verify(&m).unwrap();
    assert_eq!(info.functions.len(), 3);
    assert_eq!(info.functions[0].max_stack, 3);
    assert_eq!(info.functions[1].max_stack, 4);
    assert_eq!(info.functions[2].max_stack, 2);
}

#[test]
fn depths_at_jump_targets() {
    // both(a, b) = a and b: get_local 0; dup; jump_if_not END; pop; get_local 1; END: ret
    let m = sample();
    let info = verify(&m).unwrap();
    let both = &info.functions[2];
    assert_eq!(both.depth_at.len(), m.functions[2].code.len());
    // pcs: 0 get_local, 3 dup, 4 jump_if_not, 9 pop, 10 get_local, 13 ret
    let expect = [
        (0, Some(0)),
        (1, None),
        (3, Some(1)),
        (4, Some(2)),
        (9, Some(1)),
        (10, Some(0)),
        (13, Some(1)),
    ];
    for (pc, d) in expect {
        assert_eq!(both.depth(pc), d, "pc {pc}");
    }
    assert_eq!(both.jump_targets, vec![13]);
    assert!(both.is_reachable(13));
    assert!(!both.is_reachable(14));
    // The loop head of <main> is entered at depth 0 from both paths.
    let main = &info.functions[0];
    let loop_head = offsets_of_main()[4];
    assert!(main.jump_targets.contains(&loop_head));
    assert_eq!(main.depth(loop_head), Some(0));
}

fn offsets_of_main() -> Vec<u32> {
    // Recompute from the code itself.
    let m = sample();
    ilusm_bytecode::instructions(&m.functions[0].code)
        .map(|r| r.unwrap().0)
        .collect()
}

#[test]
fn unreachable_code_is_allowed_but_must_decode() {
    // jump END; pop; pop; END: halt -- the pops would underflow if reached.
    let ok = main_only(asm(&[Jump(3), Pop, Pop, Halt]));
    let info = verify(&ok).unwrap();
    assert_eq!(info.functions[0].depth(5), None);
    assert_eq!(info.functions[0].depth(7), Some(0));
    let mut bad = asm(&[Jump(1), Halt]);
    bad.insert(5, 0xEE);
    bad[1] = 6;
    assert_eq!(
        verify_err(&main_only(bad)),
        "function '<main>' at offset 5: unknown opcode 0xee"
    );
}

#[test]
fn bad_constant_index() {
    assert_eq!(
        verify_err(&main_only(raw(&[Push(2), Pop, Halt]))),
        "function '<main>' at offset 0: constant index 2 out of range (2 constants)"
    );
}

#[test]
fn bad_global_index() {
    assert_eq!(
        verify_err(&main_only(raw(&[PushNil, SetGlobal(1), Halt]))),
        "function '<main>' at offset 1: global index 1 out of range (1 globals)"
    );
    assert_eq!(
        verify_err(&main_only(raw(&[GetGlobal(7), Pop, Halt]))),
        "function '<main>' at offset 0: global index 7 out of range (1 globals)"
    );
}

#[test]
fn bad_local_index() {
    let m = module(vec![func("<main>", 0, 2, raw(&[GetLocal(2), Pop, Halt]))]);
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 0: local index 2 out of range (num_locals 2)"
    );
    let m = module(vec![func(
        "<main>",
        0,
        0,
        raw(&[PushNil, SetLocal(0), Halt]),
    )]);
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 1: local index 0 out of range (num_locals 0)"
    );
}

#[test]
fn bad_function_index() {
    assert_eq!(
        verify_err(&main_only(raw(&[PushFunc(1), Pop, Halt]))),
        "function '<main>' at offset 0: function index 1 out of range (1 functions)"
    );
    assert_eq!(
        verify_err(&main_only(raw(&[
            CallDirect { func: 9, argc: 0 },
            Pop,
            Halt
        ]))),
        "function '<main>' at offset 0: function index 9 out of range (1 functions)"
    );
}

#[test]
fn bad_builtin_id() {
    let n = ilusm_bytecode::builtins::BUILTINS.len();
    assert_eq!(
        verify_err(&main_only(raw(&[
            CallBuiltin {
                builtin: 500,
                argc: 0
            },
            Pop,
            Halt
        ]))),
        format!("function '<main>' at offset 0: builtin id 500 out of range ({n} builtins)")
    );
    assert_eq!(
        verify_err(&main_only(raw(&[PushBuiltin(n as u16), Pop, Halt]))),
        format!("function '<main>' at offset 0: builtin id {n} out of range ({n} builtins)")
    );
}

#[test]
fn jump_out_of_range() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("fib", 0, 0, raw(&[Jump(99), Ret])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'fib' at offset 0: jump target 99 is outside the function (code length 6)"
    );
}

#[test]
fn jump_into_the_middle_of_an_instruction() {
    assert_eq!(
        verify_err(&main_only(raw(&[PushTrue, JumpIf(3), Halt]))),
        "function '<main>' at offset 1: jump target 3 is not the start of an instruction"
    );
}

#[test]
fn stack_underflow() {
    assert_eq!(
        verify_err(&main_only(raw(&[PushNil, Pop, Pop, Halt]))),
        "function '<main>' at offset 2: stack underflow (pop from depth 0)"
    );
    assert_eq!(
        verify_err(&main_only(raw(&[PushNil, Add, Halt]))),
        "function '<main>' at offset 1: stack underflow (pop 2 from depth 1)"
    );
    assert_eq!(
        verify_err(&main_only(raw(&[PushNil, Call(1), Halt]))),
        "function '<main>' at offset 1: stack underflow (pop 2 from depth 1)"
    );
}

#[test]
fn inconsistent_depth_at_a_join() {
    // tru; jump_if L; push_nil; L: halt -- L is reached at depth 0 and 1.
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func(
            "f",
            0,
            0,
            asm(&[PushTrue, JumpIf(3), PushNil, PushNil, Ret]),
        ),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'f' at offset 7: stack depth 1 here but 0 on another path"
    );
}

#[test]
fn falling_off_the_end() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("f", 0, 0, raw(&[PushNil, Pop])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'f' at offset 1: execution falls off the end of the function after pop"
    );
    // A conditional jump at the end falls through too.
    assert_eq!(
        verify_err(&main_only(raw(&[PushTrue, JumpIf(0)]))),
        "function '<main>' at offset 1: execution falls off the end of the function after jump_if"
    );
}

#[test]
fn ret_at_depth_zero() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("f", 0, 0, raw(&[Ret])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'f' at offset 0: ret at stack depth 0 (nothing to return)"
    );
}

#[test]
fn call_direct_arity_mismatch() {
    let m = module(vec![
        func(
            "<main>",
            0,
            0,
            raw(&[PushNil, CallDirect { func: 1, argc: 1 }, Pop, Halt]),
        ),
        func("fib", 2, 2, raw(&[GetLocal(0), Ret])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function '<main>' at offset 1: call_direct passes 1 arguments to 'fib' (function 1) \
         which takes 2"
    );
}

#[test]
fn entry_with_arity_one() {
    let m = module(vec![func("<main>", 1, 1, raw(&[Halt]))]);
    assert_eq!(
        verify_err(&m),
        "entry function '<main>' has arity 1 (must be 0)"
    );
}

#[test]
fn entry_index_out_of_range() {
    let mut m = main_only(raw(&[Halt]));
    m.entry = 1;
    assert_eq!(
        verify_err(&m),
        "entry function index 1 out of range (1 functions)"
    );
    m.functions.clear();
    m.entry = 0;
    assert_eq!(
        verify_err(&m),
        "entry function index 0 out of range (0 functions)"
    );
}

#[test]
fn num_locals_below_arity() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("f", 2, 1, raw(&[PushNil, Ret])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'f': num_locals 1 is less than arity 2"
    );
}

#[test]
fn unknown_opcode() {
    assert_eq!(
        verify_err(&main_only(vec![0x0F, 0x00, 0x0C])),
        "function '<main>' at offset 1: unknown opcode 0x00"
    );
}

#[test]
fn truncated_operand() {
    assert_eq!(
        verify_err(&main_only(vec![0x0C, 0x01, 0x00, 0x00])),
        "function '<main>' at offset 1: truncated instruction: push needs 4 operand bytes but \
         only 2 remain"
    );
}

#[test]
fn unsorted_line_table() {
    let mut m = main_only(raw(&[PushNil, Pop, PushNil, Pop, Halt]));
    m.functions[0].lines = vec![
        LineEntry {
            pc: 0,
            line: 1,
            col: 1,
        },
        LineEntry {
            pc: 3,
            line: 2,
            col: 1,
        },
        LineEntry {
            pc: 2,
            line: 3,
            col: 1,
        },
    ];
    assert_eq!(
        verify_err(&m),
        "function '<main>': line table entry 2 has pc 2, not after the previous entry's pc 3"
    );
    m.functions[0].lines[2].pc = 3;
    assert_eq!(
        verify_err(&m),
        "function '<main>': line table entry 2 has pc 3, not after the previous entry's pc 3"
    );
}

#[test]
fn line_table_must_start_at_zero_and_stay_inside() {
    let mut m = main_only(raw(&[PushNil, Pop, Halt]));
    m.functions[0].lines = vec![];
    assert_eq!(
        verify_err(&m),
        "function '<main>': line table is empty (must start at pc 0)"
    );
    m.functions[0].lines = vec![LineEntry {
        pc: 1,
        line: 1,
        col: 1,
    }];
    assert_eq!(
        verify_err(&m),
        "function '<main>': line table starts at pc 1 (must start at pc 0)"
    );
    m.functions[0].lines = vec![
        LineEntry {
            pc: 0,
            line: 1,
            col: 1,
        },
        LineEntry {
            pc: 3,
            line: 1,
            col: 1,
        },
    ];
    assert_eq!(
        verify_err(&m),
        "function '<main>': line table entry 1 has pc 3, outside the code (length 3)"
    );
}

#[test]
fn halt_outside_entry() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("f", 0, 0, raw(&[Halt])),
    ]);
    assert_eq!(
        verify_err(&m),
        "function 'f' at offset 0: halt outside the entry function"
    );
}

#[test]
fn bad_file_index() {
    let mut m = main_only(raw(&[Halt]));
    m.functions[0].file = 1;
    assert_eq!(
        verify_err(&m),
        "function '<main>': file index 1 out of range (1 files)"
    );
}

#[test]
fn empty_code() {
    let mut m = main_only(vec![]);
    m.functions[0].lines.clear();
    assert_eq!(verify_err(&m), "function '<main>': empty code");
}

#[test]
fn reserved_nan_constant() {
    let mut m = main_only(raw(&[Halt]));
    m.constants
        .push(Constant::Num(f64::from_bits(0xFFFC_0000_0000_1000)));
    assert_eq!(
        verify_err(&m),
        "constant k2 is a NaN with reserved payload bits 0xfffc000000001000"
    );
    // Ordinary NaNs and infinities are numbers.
    m.constants[2] = Constant::Num(f64::NAN);
    m.constants.push(Constant::Num(-f64::NAN));
    m.constants.push(Constant::Num(f64::NEG_INFINITY));
    verify(&m).unwrap();
}

#[test]
fn stack_depth_limit() {
    let mut code = vec![0x0F; 65535]; // push_nil
    code.push(0x0C); // halt
    let info = verify(&main_only(code.clone())).unwrap();
    assert_eq!(info.functions[0].max_stack, 65535);
    code.insert(0, 0x0F);
    assert_eq!(
        verify_err(&main_only(code)),
        "function '<main>' at offset 65535: stack depth 65536 exceeds the limit 65535"
    );
}

#[test]
fn names_are_escaped_in_messages() {
    let m = module(vec![func("a'\nb", 1, 1, raw(&[Halt]))]);
    assert_eq!(
        verify_err(&m),
        "entry function 'a\\'\\nb' has arity 1 (must be 0)"
    );
}

#[test]
fn error_fields() {
    let m = module(vec![
        func("<main>", 0, 0, raw(&[Halt])),
        func("f", 0, 0, raw(&[PushNil, Pop, Pop, PushNil, Ret])),
    ]);
    let e = verify(&m).unwrap_err();
    assert_eq!(e.function, Some((1, "f".to_string())));
    assert_eq!(e.offset, Some(2));
    assert_eq!(e.detail, "stack underflow (pop from depth 0)");
}
