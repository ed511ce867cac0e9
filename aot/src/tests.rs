//! Unit tests of the lowering, JIT-compiled against a stub runtime defined here (so they test
//! this crate alone: the fast paths, control flow, the depth protocol and error traces).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};

use crate::abi::{ERROR, FALSE, NIL, TRUE};

/// Assembly with labels: `L(n)` defines label n; jumps name labels.
#[derive(Clone, Copy)]
pub(crate) enum A {
    I(Instr),
    L(u32),
    J(u32),
    JIf(u32),
    JIfNot(u32),
}

pub(crate) fn asm(code: &[A]) -> Vec<u8> {
    let mut labels = HashMap::new();
    let mut pc = 0u32;
    for a in code {
        match a {
            A::L(l) => {
                labels.insert(*l, pc);
            }
            A::I(i) => pc += i.size() as u32,
            _ => pc += 5,
        }
    }
    let mut out = Vec::new();
    for a in code {
        match *a {
            A::L(_) => {}
            A::I(i) => i.encode(&mut out),
            A::J(l) => Instr::Jump(labels[&l]).encode(&mut out),
            A::JIf(l) => Instr::JumpIf(labels[&l]).encode(&mut out),
            A::JIfNot(l) => Instr::JumpIfNot(labels[&l]).encode(&mut out),
        }
    }
    out
}

pub(crate) fn func(name: &str, arity: u8, locals: u16, code: &[A]) -> Function {
    Function {
        name: name.into(),
        arity,
        num_locals: locals,
        num_captures: 0,
        file: 0,
        code: asm(code),
        lines: vec![LineEntry {
            pc: 0,
            line: 1,
            col: 1,
        }],
        local_names: Vec::new(),
    }
}

pub(crate) fn module(constants: Vec<Constant>, globals: usize, functions: Vec<Function>) -> Module {
    Module {
        constants,
        globals: (0..globals).map(|g| format!("g{g}")).collect(),
        files: vec!["test.ilu".into()],
        functions,
        entry: 0,
    }
}

mod stub;

use stub::{boolean, num, Run, DEPTH, LOG, MAX_DEPTH};

fn calls() -> Vec<&'static str> {
    LOG.with(|l| l.borrow().calls.clone())
}
fn trace() -> Vec<(u32, u32)> {
    LOG.with(|l| l.borrow().trace.clone())
}
fn n(x: f64) -> u64 {
    x.to_bits()
}

use Instr::*;
use A::{I, L};

/// `fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)` as function 1; function 0 is `<main>`.
pub(crate) fn fib_module(arg: f64) -> Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            I(Push(2)),
            I(CallDirect { func: 1, argc: 1 }),
            I(Print(1)),
            I(Pop),
            I(Halt),
        ],
    );
    let fib = func("fib", 1, 1, &fib_code(1));
    module(
        vec![Constant::Num(2.0), Constant::Num(1.0), Constant::Num(arg)],
        0,
        vec![main, fib],
    )
}

/// The code of `fib`, as function `this` of its module (constant 0 is 2, constant 1 is 1).
fn fib_code(this: u32) -> Vec<A> {
    vec![
        I(GetLocal(0)),
        I(Push(0)),
        I(Lt),
        A::JIfNot(1),
        I(GetLocal(0)),
        I(Ret),
        L(1),
        I(GetLocal(0)),
        I(Push(1)),
        I(Sub),
        I(CallDirect {
            func: this,
            argc: 1,
        }),
        I(GetLocal(0)),
        I(Push(0)),
        I(Sub),
        I(CallDirect {
            func: this,
            argc: 1,
        }),
        I(Add),
        I(Ret),
    ]
}

#[test]
fn fib_direct_and_main() {
    let r = Run::new(&fib_module(20.0));
    assert_eq!(r.call(1, &[n(20.0)]), n(6765.0));
    assert_eq!(DEPTH.load(Ordering::Relaxed), 0);
    assert_eq!(r.call(0, &[]), NIL);
    LOG.with(|l| assert_eq!(l.borrow().printed, vec![vec![n(6765.0)]]));
    assert!(calls().is_empty(), "numbers stay inline: {:?}", calls());
}

/// `fib_module` with `copies` more copies of `fib`, each calling itself: enough code for
/// `define.rs` to compile on worker threads.
fn many_fibs(copies: u32) -> Module {
    let mut m = fib_module(20.0);
    for k in 0..copies {
        let this = m.functions.len() as u32;
        m.functions
            .push(func(&format!("fib{k}"), 1, 1, &fib_code(this)));
    }
    m
}

#[test]
fn many_functions_compile_in_parallel_and_in_order() {
    let m = many_fibs(80);
    let text = crate::emit_clif(&m, "x86_64-unknown-linux-gnu").expect("clif");
    let insts = text
        .lines()
        .filter(|l| {
            l.starts_with("    v")
                || l.starts_with("    call")
                || l.starts_with("    jump")
                || l.starts_with("    brif")
                || l.starts_with("    return")
        })
        .count();
    assert!(
        insts > 2 * crate::define::PARALLEL_MIN_INSTS,
        "{insts} instructions"
    );
    // The bytes of a sequential build, every time, whichever thread finishes first.
    let object = || crate::compile_object(&m, "x86_64-unknown-linux-gnu").expect("object");
    crate::define::tests::SEQUENTIAL.with(|s| s.set(true));
    let sequential = object();
    crate::define::tests::SEQUENTIAL.with(|s| s.set(false));
    for _ in 0..3 {
        assert!(object() == sequential);
    }
    let r = Run::new(&m);
    for f in 1..m.functions.len() {
        assert_eq!(r.call(f, &[n(15.0)]), n(610.0), "function {f}");
    }
}

#[test]
fn loop_with_locals() {
    // i = 0; s = 0; while i < 1000: s = s + i; i = i + 1; return s
    let f = func(
        "<main>",
        0,
        2,
        &[
            I(Push(0)),
            I(SetLocal(0)),
            I(Push(0)),
            I(SetLocal(1)),
            L(1),
            I(GetLocal(0)),
            I(Push(1)),
            I(Lt),
            A::JIfNot(2),
            I(GetLocal(1)),
            I(GetLocal(0)),
            I(Add),
            I(SetLocal(1)),
            I(GetLocal(0)),
            I(Push(2)),
            I(Add),
            I(SetLocal(0)),
            A::J(1),
            L(2),
            I(GetLocal(1)),
            I(Ret),
        ],
    );
    let m = module(
        vec![
            Constant::Num(0.0),
            Constant::Num(1000.0),
            Constant::Num(1.0),
        ],
        0,
        vec![f],
    );
    let r = Run::new(&m);
    assert_eq!(r.call(0, &[]), n(499500.0));
}

/// A function `(a, b) -> a OP b`, as function 0.
fn binop_module(op: Instr) -> Module {
    let f = func("op", 2, 2, &[I(GetLocal(0)), I(GetLocal(1)), I(op), I(Ret)]);
    let mut m = module(vec![], 0, vec![f]);
    m.entry = 0;
    m
}

const SAMPLES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    -2.0,
    3.0,
    -3.0,
    4.0,
    -4.0,
    7.0,
    -7.0,
    0.5,
    -2.5,
    1e300,
    -1e300,
    9007199254740991.0,
    -9007199254740991.0,
    9007199254740992.0,
    9007199254740993.0,
    1e17,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
];

#[test]
fn mod_matches_fmod_bit_for_bit() {
    let r = Run::new(&binop_module(Mod));
    for &a in SAMPLES {
        for &b in SAMPLES {
            let got = r.call(0, &[n(a), n(b)]);
            let want = if b == 0.0 { ERROR } else { n(a % b) };
            let same = got == want || (f64::from_bits(got).is_nan() && (a % b).is_nan());
            assert!(
                same,
                "{a} % {b}: got {:?} want {:?}",
                f64::from_bits(got),
                a % b
            );
        }
    }
    // Small integers never leave the inline path.
    LOG.with(|l| l.borrow_mut().calls.clear());
    assert_eq!(r.call(0, &[n(-4.0), n(2.0)]), n(-0.0));
    assert_eq!(r.call(0, &[n(-7.0), n(3.0)]), n(-1.0));
    assert_eq!(r.call(0, &[n(7.0), n(-3.0)]), n(1.0));
    assert!(calls().is_empty(), "{:?}", calls());
}

#[test]
fn arithmetic_and_comparisons_on_numbers() {
    type Expect = fn(f64, f64) -> u64;
    let ops: &[(Instr, Expect)] = &[
        (Add, |a, b| n(a + b)),
        (Sub, |a, b| n(a - b)),
        (Mul, |a, b| n(a * b)),
        (Div, |a, b| if b == 0.0 { ERROR } else { n(a / b) }),
        (Lt, |a, b| boolean(a < b)),
        (Le, |a, b| boolean(a <= b)),
        (Gt, |a, b| boolean(a > b)),
        (Ge, |a, b| boolean(a >= b)),
        (Eq, |a, b| boolean(a == b)),
        (Ne, |a, b| boolean(a != b)),
    ];
    for &(op, want) in ops {
        let r = Run::new(&binop_module(op));
        for &a in SAMPLES {
            for &b in SAMPLES {
                let got = r.call(0, &[n(a), n(b)]);
                let w = want(a, b);
                let same = got == w
                    || (num(got).is_some_and(f64::is_nan) && num(w).is_some_and(f64::is_nan));
                assert!(same, "{op:?} {a} {b}: {got:#x} vs {w:#x}");
            }
        }
        assert!(
            calls().iter().all(|c| *c == "rt_div"),
            "{op:?}: {:?}",
            calls()
        );
    }
}

#[test]
fn non_numbers_go_to_the_runtime() {
    let r = Run::new(&binop_module(Eq));
    assert_eq!(r.call(0, &[NIL, NIL]), TRUE);
    assert_eq!(r.call(0, &[NIL, n(0.0)]), FALSE);
    assert_eq!(calls(), vec!["rt_eq", "rt_eq"]);
    drop(r);
    let r = Run::new(&binop_module(Add));
    assert_eq!(r.call(0, &[TRUE, n(1.0)]), ERROR);
    assert_eq!(calls(), vec!["rt_add"]);
    assert_eq!(trace(), vec![(0, 6)], "the add at pc 6 of function 0");
}

#[test]
fn truthiness() {
    // (x) -> jump_if x: 1 else 0, and `not x`
    let f = func(
        "t",
        1,
        1,
        &[
            I(GetLocal(0)),
            A::JIf(1),
            I(Push(0)),
            I(Ret),
            L(1),
            I(Push(1)),
            I(Ret),
        ],
    );
    let g = func("n", 1, 1, &[I(GetLocal(0)), I(Not), I(Ret)]);
    let m = module(vec![Constant::Num(0.0), Constant::Num(1.0)], 0, vec![f, g]);
    let r = Run::new(&m);
    let cases = [
        (NIL, false),
        (FALSE, false),
        (TRUE, true),
        (n(0.0), false),
        (n(-0.0), false),
        (n(f64::NAN), false),
        (n(2.5), true),
        (n(f64::NEG_INFINITY), true),
    ];
    for (v, want) in cases {
        assert_eq!(r.call(0, &[v]), n(want as u8 as f64), "{v:#x}");
        assert_eq!(r.call(1, &[v]), boolean(!want), "not {v:#x}");
    }
    assert!(calls().is_empty());
    // A string (a heap value; native code reads only its kind byte, at offset 0): the runtime
    // decides.
    let fake_str = [ilusm_runtime::heap::Kind::Str as u64, 0, 0];
    let v = (crate::abi::TAG_HEAP << 48) | fake_str.as_ptr() as u64;
    assert_eq!(r.call(0, &[v]), n(1.0));
    assert_eq!(calls(), vec!["rt_truthy"]);
}

#[test]
fn error_trace_and_depth() {
    // main: push 1; call_direct f 1; halt     f(x): get_local 0; push_nil; add; ret
    let main = func(
        "<main>",
        0,
        0,
        &[I(Push(0)), I(CallDirect { func: 1, argc: 1 }), I(Halt)],
    );
    let f = func("f", 1, 1, &[I(GetLocal(0)), I(PushNil), I(Add), I(Ret)]);
    let m = module(vec![Constant::Num(1.0)], 0, vec![main, f]);
    let r = Run::new(&m);
    assert_eq!(r.call(0, &[]), ERROR);
    assert_eq!(trace(), vec![(1, 4), (0, 5)]);
    assert_eq!(DEPTH.load(Ordering::Relaxed), 0);
}

#[test]
fn stack_overflow_fails_in_the_caller() {
    // f() = f() + 1, main calls f.
    let main = func(
        "<main>",
        0,
        0,
        &[I(CallDirect { func: 1, argc: 0 }), I(Halt)],
    );
    let f = func(
        "f",
        0,
        0,
        &[
            I(CallDirect { func: 1, argc: 0 }),
            I(Push(0)),
            I(Add),
            I(Ret),
        ],
    );
    let m = module(vec![Constant::Num(1.0)], 0, vec![main, f]);
    let r = Run::new(&m);
    MAX_DEPTH.store(50, Ordering::Relaxed);
    assert_eq!(r.call(0, &[]), ERROR);
    let t = trace();
    assert_eq!(t.len(), 51, "50 frames of f, then main");
    assert!(t[..50].iter().all(|&fr| fr == (1, 0)));
    assert_eq!(t[50], (0, 0));
    assert_eq!(calls(), vec!["rt_stack_overflow"]);
    assert_eq!(DEPTH.load(Ordering::Relaxed), 0);
}

#[test]
fn globals_and_calls_through_values() {
    // main: push_func 1; set_global 0; get_global 0; push 0; call 1; get_global 1; halt
    // f(x) = x * x
    let main = func(
        "<main>",
        0,
        0,
        &[
            I(PushFunc(1)),
            I(SetGlobal(0)),
            I(GetGlobal(0)),
            I(Push(0)),
            I(Call(1)),
            I(Print(1)),
            I(Pop),
            I(GetGlobal(1)),
            I(Halt),
        ],
    );
    let f = func("f", 1, 1, &[I(GetLocal(0)), I(GetLocal(0)), I(Mul), I(Ret)]);
    let m = module(vec![Constant::Num(9.0)], 2, vec![main, f]);
    let r = Run::new(&m);
    assert_eq!(r.call(0, &[]), ERROR);
    LOG.with(|l| assert_eq!(l.borrow().printed, vec![vec![n(81.0)]]));
    // A plain function value called with its arity goes straight to its direct entry.
    assert_eq!(calls(), vec!["rt_undefined_global"]);
    assert_eq!(trace(), vec![(0, 25)], "the get_global at pc 25");
}

#[test]
fn calls_of_values_the_fast_path_does_not_take() {
    // g() = (push_func f; push 0; push 0; call 2; ret), f has one parameter;
    // h() = (push 0; push 0; call 1; ret): a number is not a function.
    let main = func("<main>", 0, 0, &[I(Halt)]);
    let f = func("f", 1, 1, &[I(GetLocal(0)), I(Ret)]);
    let g = func(
        "g",
        0,
        0,
        &[I(PushFunc(1)), I(Push(0)), I(Push(0)), I(Call(2)), I(Ret)],
    );
    let h = func("h", 0, 0, &[I(Push(0)), I(Push(0)), I(Call(1)), I(Ret)]);
    let m = module(vec![Constant::Num(9.0)], 0, vec![main, f, g, h]);
    let r = Run::new(&m);
    // The stub runtime calls the generic entry without checking the arity: f(9) = 9.
    assert_eq!(r.call(2, &[]), n(9.0));
    assert_eq!(calls(), vec!["rt_call_value"]);
    assert_eq!(r.call(3, &[]), ERROR);
    assert_eq!(calls(), vec!["rt_call_value", "rt_call_value"]);
    assert_eq!(trace(), vec![(3, 10)], "h's call at pc 10");
}

#[test]
fn string_constants_come_from_the_runtime() {
    let f = func("<main>", 0, 0, &[I(Push(1)), I(Ret)]);
    let m = module(
        vec![Constant::Num(1.0), Constant::Str("hi".into())],
        0,
        vec![f],
    );
    let r = Run::new(&m);
    assert_eq!(r.call(0, &[]), 0xFFFC_0000_0000_0001);
}

#[test]
fn clif_and_objects_for_both_targets() {
    for triple in crate::SUPPORTED_TRIPLES {
        let text = crate::emit_clif(&fib_module(10.0), triple).expect("clif");
        assert!(text.contains("; function 1: fib (direct entry)"), "{text}");
        assert!(text.contains("fcmp lt"), "inline number compare: {text}");
        let obj = crate::compile_object(&fib_module(10.0), triple).expect("object");
        assert_eq!(&obj[..4], b"\x7fELF");
        let machine = u16::from_le_bytes([obj[18], obj[19]]);
        let want = if triple.starts_with("x86_64") {
            62
        } else {
            183
        };
        assert_eq!(machine, want, "{triple}");
    }
    let e = crate::compile_object(&fib_module(1.0), "riscv64gc-unknown-linux-gnu").unwrap_err();
    assert!(matches!(e, crate::AotError::UnsupportedTarget(_)));
}

#[test]
fn triples_are_checked() {
    assert!(crate::parse_triple("x86_64-unknown-linux-gnu").is_ok());
    assert!(crate::parse_triple("aarch64-unknown-linux-gnu").is_ok());
    for bad in [
        "riscv64gc-unknown-linux-gnu",
        "x86_64-pc-windows-msvc",
        "nonsense",
    ] {
        let e = crate::parse_triple(bad).unwrap_err();
        assert!(e.to_string().contains("unsupported target"), "{e}");
    }
}

#[test]
fn comparisons_feeding_jumps_branch_directly() {
    let values = [
        n(1.0),
        n(2.0),
        n(-0.0),
        n(0.0),
        n(f64::NAN),
        n(f64::INFINITY),
        NIL,
        TRUE,
    ];
    for op in [Lt, Le, Gt, Ge, Eq, Ne] {
        for branch_if in [true, false] {
            // (a, b) -> if a OP b { 1 } else { 0 }, via jump_if or jump_if_not
            let jump = if branch_if { A::JIf(1) } else { A::JIfNot(1) };
            let (taken, fall) = if branch_if { (1, 0) } else { (0, 1) };
            let f = func(
                "f",
                2,
                2,
                &[
                    I(GetLocal(0)),
                    I(GetLocal(1)),
                    I(op),
                    jump,
                    I(Push(fall)),
                    I(Ret),
                    L(1),
                    I(Push(taken)),
                    I(Ret),
                ],
            );
            let m = module(vec![Constant::Num(0.0), Constant::Num(1.0)], 0, vec![f]);
            let r = Run::new(&m);
            for &a in &values {
                for &b in &values {
                    let got = r.call(0, &[a, b]);
                    let want = match (num(a), num(b)) {
                        (Some(x), Some(y)) => Some(match op {
                            Lt => x < y,
                            Le => x <= y,
                            Gt => x > y,
                            Ge => x >= y,
                            Eq => x == y,
                            _ => x != y,
                        }),
                        _ => match op {
                            Eq => Some(a == b),
                            Ne => Some(a != b),
                            _ => None, // the stub raises
                        },
                    };
                    match want {
                        Some(w) => assert_eq!(got, n(w as u8 as f64), "{op:?} {a:#x} {b:#x}"),
                        None => assert_eq!(got, ERROR, "{op:?} {a:#x} {b:#x}"),
                    }
                }
            }
            assert!(trace().iter().all(|&t| t == (0, 6)), "{:?}", trace());
            assert!(calls().iter().all(|c| !c.starts_with("rt_truthy")));
        }
    }
}

#[test]
fn cells_and_captures() {
    // f() [1 capture]: get_capture 0; cell_get; push 5; add; get_capture 0; swap-free:
    //   c = get_capture 0; v = cell_get c; c2 = make_cell(v + 5); cell_set(c2, cell_get c2 * 2)
    let f = Function {
        num_captures: 1,
        ..func(
            "f",
            0,
            1,
            &[
                I(GetCapture(0)),
                I(CellGet),
                I(Push(0)),
                I(Add),
                I(MakeCell),
                I(SetLocal(0)),
                I(GetLocal(0)),
                I(GetLocal(0)),
                I(CellGet),
                I(Push(1)),
                I(Mul),
                I(CellSet),
                I(GetLocal(0)),
                I(CellGet),
                I(Ret),
            ],
        )
    };
    let main = func("<main>", 0, 0, &[I(Halt)]);
    let m = module(
        vec![Constant::Num(5.0), Constant::Num(2.0)],
        0,
        vec![main, f],
    );
    let r = Run::new(&m);
    // The stub's closure cell i of env e holds e + i: use a number as env.
    let env = n(10.0);
    assert_eq!(r.call_env(1, env, &[]), n(30.0));
    assert_eq!(
        calls(),
        vec!["rt_closure_cell"],
        "captures are fetched once"
    );
    // A nil env fails at the get_capture (pc 0).
    assert_eq!(r.call_env(1, NIL, &[]), ERROR);
    assert_eq!(trace(), vec![(1, 0)]);
    assert_eq!(DEPTH.load(Ordering::Relaxed), 0);
}

#[test]
fn range_prep_fast_path() {
    let f = func(
        "f",
        2,
        2,
        &[I(GetLocal(0)), I(GetLocal(1)), I(RangePrep), I(Ret)],
    );
    let r = Run::new(&module(vec![], 0, vec![f]));
    for (a, b, step) in [
        (0.0, 4.0, 1.0),
        (3.0, 3.0, 1.0),
        (3.0, -1.0, -1.0),
        (-0.0, 0.0, 1.0),
    ] {
        assert_eq!(r.call(0, &[n(a), n(b)]), n(step), "{a}..{b}");
    }
    let limit = 9007199254740992.0;
    assert_eq!(r.call(0, &[n(-limit), n(limit)]), n(1.0));
    assert!(calls().is_empty());
    for (a, b) in [
        (0.5, 1.0),
        (0.0, f64::INFINITY),
        (f64::NAN, 1.0),
        (1e300, 0.0),
        (0.0, 1e18),
        (-limit - 2.0, 0.0),
    ] {
        assert_eq!(r.call(0, &[n(a), n(b)]), ERROR, "{a}..{b}");
    }
    assert_eq!(r.call(0, &[NIL, n(1.0)]), ERROR);
    assert_eq!(calls().len(), 7);
}

#[test]
fn calls_without_arguments_need_no_argv() {
    // main: push_func 1; call 0; ret      f() = 7
    let main = func("<main>", 0, 0, &[I(PushFunc(1)), I(Call(0)), I(Ret)]);
    let f = func("f", 0, 0, &[I(Push(0)), I(Ret)]);
    let r = Run::new(&module(vec![Constant::Num(7.0)], 0, vec![main, f]));
    assert_eq!(r.call(0, &[]), n(7.0));
}
