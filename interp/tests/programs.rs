//! Whole programs, assembled by hand, run through the public API.

mod common;

use common::*;
use ilusm_bytecode::builtins::builtin_id;
use ilusm_bytecode::Instr::{self, *};

fn bif(name: &str) -> u16 {
    builtin_id(name).unwrap()
}

fn ok(out: &str) -> Outcome {
    Outcome {
        status: 0,
        out: out.into(),
        err: String::new(),
    }
}

#[test]
fn builtin_lists_agree() {
    assert_eq!(
        ilusm_runtime::builtins::NAMES,
        ilusm_bytecode::builtins::BUILTINS
    );
    for (i, name) in ilusm_bytecode::builtins::BUILTINS.iter().enumerate() {
        assert_eq!(ilusm_runtime::builtins::name(i as u16), *name);
    }
}

/// fib(n) = if n < 2: n | fib(n - 1) + fib(n - 2)
fn fib() -> ilusm_bytecode::Function {
    func(
        "fib",
        1,
        1,
        &[
            GetLocal(0),
            Push(1),
            Lt,
            JumpIfNot(6),
            GetLocal(0),
            Ret,
            GetLocal(0),
            Push(2),
            Sub,
            CallDirect { func: 1, argc: 1 },
            GetLocal(0),
            Push(1),
            Sub,
            CallDirect { func: 1, argc: 1 },
            Add,
            Ret,
        ],
    )
}

#[test]
fn recursive_fib() {
    let main = func(
        "<main>",
        0,
        0,
        &[
            PushFunc(1),
            SetGlobal(0),
            Push(0),
            CallDirect { func: 1, argc: 1 },
            Print(1),
            Pop,
            // The same through the global, with `call`.
            GetGlobal(0),
            Push(3),
            Call(1),
            Print(1),
            Pop,
            GetGlobal(0),
            Print(1),
            Pop,
            Halt,
        ],
    );
    let m = module(
        vec![num(20.0), num(2.0), num(1.0), num(10.0)],
        &["fib"],
        vec![main, fib()],
    );
    assert_eq!(run(&m, 10_000), ok("6765\n55\n<fun fib>\n"));
}

#[test]
fn counting_loop() {
    // i = 0; s = 0; whl i < 100000: i = i + 1; s = s + i; prn s, i
    let main = func(
        "<main>",
        0,
        2,
        &[
            Push(0),
            SetLocal(0),
            Push(0),
            SetLocal(1),
            GetLocal(0),
            Push(1),
            Lt,
            JumpIfNot(17),
            GetLocal(0),
            Push(2),
            Add,
            SetLocal(0),
            GetLocal(1),
            GetLocal(0),
            Add,
            SetLocal(1),
            Jump(4),
            GetLocal(1),
            GetLocal(0),
            Print(2),
            Pop,
            Halt,
        ],
    );
    let m = module(vec![num(0.0), num(100000.0), num(1.0)], &[], vec![main]);
    assert_eq!(run(&m, 10_000), ok("5000050000 100000\n"));
}

#[test]
fn strings_and_printing() {
    let main = func(
        "<main>",
        0,
        0,
        &[
            Push(0),
            Push(1),
            Add,
            Push(2),
            Add,
            Print(1),
            Pop,
            Push(0),
            Push(1),
            PushTrue,
            PushNil,
            Concat(4),
            CallBuiltin {
                builtin: bif("len"),
                argc: 1,
            },
            Push(3),
            PushFalse,
            PushBuiltin(bif("sqrt")),
            Print(4),
            Pop,
            Print(0),
            Pop,
            // prn through `call` of the builtin value
            PushBuiltin(bif("prn")),
            Push(3),
            Push(1),
            Call(2),
            Print(1),
            Pop,
            // "b" < "é", "ab" == "ab", !"" -> tru tru tru
            Push(4),
            Push(3),
            Lt,
            Push(0),
            Push(0),
            Add,
            Push(5),
            Eq,
            Push(6),
            Not,
            Print(3),
            Pop,
            Halt,
        ],
    );
    let m = module(
        vec![
            st("ab"),
            num(2.5),
            st("!"),
            st("é"),
            st("b"),
            st("abab"),
            st(""),
        ],
        &[],
        vec![main],
    );
    let expect = "ab2.5!\n11 é fls <bif sqrt>\n\né 2.5\nnil\ntru tru tru\n";
    assert_eq!(run(&m, 10_000), ok(expect));
}

#[test]
fn jumps_use_truthiness() {
    // For each value: if v: prn "T" | prn "F"
    let consts = vec![
        num(0.0),
        num(f64::NAN),
        st(""),
        st("0"),
        num(3.0),
        st("T"),
        st("F"),
    ];
    let mut code = Vec::new();
    for v in [
        Push(0),
        Push(1),
        Push(2),
        Push(3),
        Push(4),
        PushNil,
        PushTrue,
        PushFalse,
        PushFunc(0),
    ] {
        let at = code.len() as u32;
        code.extend([v, JumpIf(at + 5), Push(6), Print(1), Jump(at + 7)]);
        code.extend([Push(5), Print(1), Pop]);
        // at+7 is the Pop shared by both arms.
    }
    code.push(Halt);
    let m = module(consts, &[], vec![func("<main>", 0, 0, &code)]);
    assert_eq!(run(&m, 10_000), ok("F\nF\nF\nT\nT\nF\nT\nF\nT\n"));
}

/// Run `main` (and `extra` functions) and return the outcome.
fn run_main(consts: Vec<ilusm_bytecode::Constant>, globals: &[&str], main: &[Instr]) -> Outcome {
    run(
        &module(consts, globals, vec![func("<main>", 0, 1, main)]),
        10_000,
    )
}

fn failure(message_and_trace: &str) -> Outcome {
    Outcome {
        status: 1,
        out: String::new(),
        err: message_and_trace.into(),
    }
}

#[test]
fn runtime_errors_in_main() {
    let cases: Vec<(Vec<Instr>, &str)> = vec![
        (
            vec![Push(0), Push(1), Sub, Halt],
            "cannot subtract str and num",
        ),
        (vec![Push(1), PushNil, Add, Halt], "cannot add num and nil"),
        (vec![Push(1), Push(1), Div, Halt], "division by zero"),
        (vec![Push(1), Push(1), Mod, Halt], "division by zero"),
        (
            vec![Push(0), Push(0), Mul, Halt],
            "cannot multiply str and str",
        ),
        (
            vec![PushTrue, Push(1), Div, Halt],
            "cannot divide bol and num",
        ),
        (
            vec![PushTrue, Push(1), Mod, Halt],
            "cannot take the remainder of bol and num",
        ),
        (vec![Push(0), Neg, Halt], "cannot negate str"),
        (
            vec![Push(0), Push(1), Lt, Halt],
            "cannot compare str and num",
        ),
        (
            vec![PushNil, PushNil, Ge, Halt],
            "cannot compare nil and nil",
        ),
        (vec![GetGlobal(0), Halt], "undefined name 'x'"),
        (vec![Push(1), Call(0), Halt], "cannot call num"),
        (vec![Push(0), PushNil, Call(1), Halt], "cannot call str"),
        (
            vec![
                Push(1),
                CallBuiltin {
                    builtin: bif("len"),
                    argc: 1,
                },
                Halt,
            ],
            "len expects a str, lst, obj or buf, got num",
        ),
        (
            vec![
                Push(1),
                Push(1),
                CallBuiltin {
                    builtin: bif("len"),
                    argc: 2,
                },
                Halt,
            ],
            "len expects 1 argument, got 2",
        ),
        (
            vec![
                Push(0),
                CallBuiltin {
                    builtin: bif("err"),
                    argc: 1,
                },
                Halt,
            ],
            "x",
        ),
        (
            vec![
                PushFalse,
                CallBuiltin {
                    builtin: bif("asr"),
                    argc: 1,
                },
                Halt,
            ],
            "assertion failed",
        ),
        (
            vec![PushBuiltin(bif("abs")), Push(0), Call(1), Halt],
            "abs expects a num, got str",
        ),
        (
            vec![PushBuiltin(bif("try")), Push(1), Call(1), Halt],
            "try expects a fun, got num",
        ),
    ];
    for (code, message) in cases {
        // The failing instruction is the one before Halt: line = its index + 1.
        let line = code.len() - 1;
        let got = run_main(vec![st("x"), num(0.0)], &["x"], &code);
        let want = format!("error: {message}\n  at <main> (t.ilu:{line}:1)\n");
        assert_eq!(got, failure(&want), "{code:?}");
    }
}

#[test]
fn errors_report_every_frame() {
    // <main>: prn "before"; g(1)      g(x) = f(x, 2)      f(a, b) = a + nil
    let main = func(
        "<main>",
        0,
        0,
        &[
            Push(0),
            Print(1),
            Pop,
            PushFunc(2),
            SetGlobal(0),
            GetGlobal(0),
            Push(1),
            Call(1),
            Halt,
        ],
    );
    let f = func("f", 2, 2, &[GetLocal(0), PushNil, Add, Ret]);
    let g = func(
        "g",
        1,
        1,
        &[GetLocal(0), Push(1), CallDirect { func: 1, argc: 2 }, Ret],
    );
    let m = module(vec![st("before"), num(1.0)], &["g"], vec![main, f, g]);
    assert_eq!(
        run(&m, 10_000),
        Outcome {
            status: 1,
            out: "before\n".into(),
            err: "error: cannot add num and nil\n  at f (t.ilu:3:1)\n  at g (t.ilu:3:1)\n  at <main> (t.ilu:8:1)\n"
                .into(),
        }
    );
}

#[test]
fn arity_errors_are_at_the_call() {
    let main = func(
        "<main>",
        0,
        0,
        &[PushFunc(1), Push(0), Push(0), Call(2), Halt],
    );
    let one = func("one", 1, 1, &[GetLocal(0), Ret]);
    let lam = func("<lambda>", 0, 0, &[PushNil, Ret]);
    let m = module(vec![num(1.0)], &[], vec![main, one, lam]);
    assert_eq!(
        run(&m, 10_000),
        failure("error: one expects 1 argument, got 2\n  at <main> (t.ilu:4:1)\n")
    );
    let main = func("<main>", 0, 0, &[PushFunc(2), Push(0), Call(1), Halt]);
    let one = func("one", 1, 1, &[GetLocal(0), Ret]);
    let m = module(vec![num(1.0)], &[], vec![main, one, lam_fn()]);
    assert_eq!(
        run(&m, 10_000),
        failure("error: <lambda> expects 0 arguments, got 1\n  at <main> (t.ilu:3:1)\n")
    );
}

fn lam_fn() -> ilusm_bytecode::Function {
    func("<lambda>", 0, 0, &[PushNil, Ret])
}

/// down(n) = if n == 0: 0 | down(n - 1), called from main with constant 0.
fn countdown(n: f64) -> ilusm_bytecode::Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            Push(0),
            CallDirect { func: 1, argc: 1 },
            Print(1),
            Pop,
            Halt,
        ],
    );
    let down = func(
        "down",
        1,
        1,
        &[
            GetLocal(0),
            Push(1),
            Eq,
            JumpIfNot(6),
            Push(1),
            Ret,
            GetLocal(0),
            Push(2),
            Sub,
            CallDirect { func: 1, argc: 1 },
            Ret,
        ],
    );
    module(vec![num(n), num(0.0), num(1.0)], &[], vec![main, down])
}

#[test]
fn call_depth_limit_is_exact() {
    // down(k) reaches depth k + 1.
    assert_eq!(run(&countdown(49.0), 50), ok("0\n"));
    let got = run(&countdown(50.0), 50);
    assert_eq!(got.status, 1);
    let lines: Vec<&str> = got.err.lines().collect();
    assert_eq!(lines[0], "error: stack overflow (call depth 50)");
    // 50 frames of down plus <main>: 20 shown, 31 elided.
    assert_eq!(lines.len(), 22);
    assert_eq!(lines[1], "  at down (t.ilu:10:1)");
    assert_eq!(lines[11], "  ... 31 more frames");
    assert_eq!(lines[20], "  at down (t.ilu:10:1)");
    assert_eq!(lines[21], "  at <main> (t.ilu:2:1)");
}

#[test]
fn deep_recursion_does_not_use_the_rust_stack() {
    assert_eq!(run(&countdown(300_000.0), 1_000_000), ok("0\n"));
}

#[test]
fn malformed_modules_are_rejected() {
    let m = module(vec![], &[], vec![func("<main>", 0, 0, &[Push(3), Halt])]);
    let got = run(&m, 10);
    assert_eq!(got.status, 2);
    assert_eq!(
        got.err,
        "error: invalid bytecode: function <main>: constant 3 out of range\n"
    );
    let mut m = module(vec![], &[], vec![func("<main>", 0, 0, &[Halt])]);
    m.entry = 4;
    assert_eq!(run(&m, 10).status, 2);
}

#[test]
fn nan_constants_with_odd_bits_are_numbers() {
    let odd = f64::from_bits(0xFFFF_0000_0000_0001);
    let main = func(
        "<main>",
        0,
        0,
        &[
            Push(0),
            Push(0),
            Eq,
            Push(0),
            PushBuiltin(bif("typ")),
            Push(0),
            Call(1),
            Print(3),
            Pop,
            Halt,
        ],
    );
    let m = module(vec![num(odd)], &[], vec![main]);
    assert_eq!(run(&m, 10), ok("fls NaN num\n"));
}
