//! The hand-built, verified programs of the native tests and what each must print.

use std::collections::HashMap;

use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};

// ---- hand-built bytecode ------------------------------------------------------------------

/// Assembly with labels and source lines.
#[derive(Clone, Copy)]
enum A {
    I(Instr),
    /// Define a label.
    L(u32),
    J(u32),
    JIfNot(u32),
    /// The following instructions come from this (line, col).
    At(u32, u32),
}
use Instr::*;
use A::{At, I, L};

fn func(name: &str, arity: u8, locals: u16, code: &[A]) -> Function {
    let mut labels = HashMap::new();
    let mut pc = 0u32;
    for a in code {
        match a {
            L(l) => {
                labels.insert(*l, pc);
            }
            I(i) => pc += i.size() as u32,
            A::J(_) | A::JIfNot(_) => pc += 5,
            At(..) => {}
        }
    }
    let (mut bytes, mut lines) = (Vec::new(), Vec::new());
    for a in code {
        let at = bytes.len() as u32;
        match *a {
            L(_) => {}
            At(line, col) => lines.push(LineEntry { pc: at, line, col }),
            I(i) => i.encode(&mut bytes),
            A::J(l) => Jump(labels[&l]).encode(&mut bytes),
            A::JIfNot(l) => JumpIfNot(labels[&l]).encode(&mut bytes),
        }
    }
    if lines.first().is_none_or(|e| e.pc != 0) {
        lines.insert(
            0,
            LineEntry {
                pc: 0,
                line: 1,
                col: 1,
            },
        );
    }
    lines.dedup_by(|b, a| {
        a.pc == b.pc && {
            *a = *b;
            true
        }
    });
    Function {
        name: name.into(),
        arity,
        num_locals: locals,
        num_captures: 0,
        file: 0,
        code: bytes,
        lines,
        local_names: Vec::new(),
    }
}

fn module(constants: Vec<Constant>, globals: &[&str], functions: Vec<Function>) -> Module {
    let m = Module {
        constants,
        globals: globals.iter().map(|s| s.to_string()).collect(),
        files: vec!["t.ilu".into()],
        functions,
        entry: 0,
    };
    if let Err(e) = ilusm_bytecode::verify::verify(&m) {
        panic!("hand-built module does not verify: {e}");
    }
    m
}

/// `fib(n)`: function 1, recursive through `call_direct`.
fn fib_fn() -> Function {
    func(
        "fib",
        1,
        1,
        &[
            I(GetLocal(0)),
            I(Push(1)),
            I(Lt),
            A::JIfNot(1),
            I(GetLocal(0)),
            I(Ret),
            L(1),
            I(GetLocal(0)),
            I(Push(2)),
            I(Sub),
            I(CallDirect { func: 1, argc: 1 }),
            I(GetLocal(0)),
            I(Push(1)),
            I(Sub),
            I(CallDirect { func: 1, argc: 1 }),
            I(Add),
            I(Ret),
        ],
    )
}

/// `prn(fib(N))`
pub fn fib(n: f64) -> Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            I(Push(0)),
            I(CallDirect { func: 1, argc: 1 }),
            I(Print(1)),
            I(Pop),
            I(Halt),
        ],
    );
    let consts = vec![Constant::Num(n), Constant::Num(2.0), Constant::Num(1.0)];
    module(consts, &[], vec![main, fib_fn()])
}

/// A loop with locals, `%`, `==`, `and`-style short circuit, string constants and `concat`:
/// ```text
/// i = 0; s = 0; c = 0
/// while i < 1000:  s = s + i * 0.5;  if i % 7 == 0 and i > 0: c = c + 1;  i = i + 1
/// prn("sum", s, "sevens", c); prn("{-7 % 3} {7.5 % 2} {-4 % 2}")
/// ```
fn loop_() -> Module {
    let k = |x: f64| Constant::Num(x);
    let consts = vec![
        k(0.0),
        k(1000.0),
        k(0.5),
        k(7.0),
        k(1.0),
        Constant::Str("sum".into()),
        Constant::Str("sevens".into()),
        k(-7.0),
        k(3.0),
        k(7.5),
        k(2.0),
        Constant::Str(" ".into()),
        k(-4.0),
    ];
    let main = func(
        "<main>",
        0,
        3,
        &[
            I(Push(0)),
            I(SetLocal(0)),
            I(Push(0)),
            I(SetLocal(1)),
            I(Push(0)),
            I(SetLocal(2)),
            L(1),
            I(GetLocal(0)),
            I(Push(1)),
            I(Lt),
            A::JIfNot(2),
            I(GetLocal(1)),
            I(GetLocal(0)),
            I(Push(2)),
            I(Mul),
            I(Add),
            I(SetLocal(1)),
            // i % 7 == 0 and i > 0
            I(GetLocal(0)),
            I(Push(3)),
            I(Mod),
            I(Push(0)),
            I(Eq),
            I(Dup),
            A::JIfNot(3),
            I(Pop),
            I(GetLocal(0)),
            I(Push(0)),
            I(Gt),
            L(3),
            A::JIfNot(4),
            I(GetLocal(2)),
            I(Push(4)),
            I(Add),
            I(SetLocal(2)),
            L(4),
            I(GetLocal(0)),
            I(Push(4)),
            I(Add),
            I(SetLocal(0)),
            A::J(1),
            L(2),
            I(Push(5)),
            I(GetLocal(1)),
            I(Push(6)),
            I(GetLocal(2)),
            I(Print(4)),
            I(Pop),
            I(Push(7)),
            I(Push(8)),
            I(Mod),
            I(Push(11)),
            I(Push(9)),
            I(Push(10)),
            I(Mod),
            I(Push(11)),
            I(Push(12)),
            I(Push(10)),
            I(Mod),
            I(Concat(5)),
            I(Print(1)),
            I(Pop),
            I(Halt),
        ],
    );
    module(consts, &[], vec![main])
}

/// `f(x) = x + nil` called from `<main>` after some output: an error with a two-frame trace.
fn error_trace() -> Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            At(1, 1),
            I(Push(0)),
            I(Print(1)),
            I(Pop),
            At(5, 3),
            I(Push(1)),
            I(CallDirect { func: 1, argc: 1 }),
            I(Pop),
            I(Halt),
        ],
    );
    let f = func(
        "f",
        1,
        1,
        &[
            At(2, 3),
            I(GetLocal(0)),
            I(PushNil),
            At(2, 5),
            I(Add),
            I(Ret),
        ],
    );
    module(
        vec![Constant::Str("before".into()), Constant::Num(1.0)],
        &[],
        vec![main, f],
    )
}

/// `rec(n) = rec(n + 1)`: runs into the call-depth limit.
fn overflow() -> Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            At(4, 1),
            I(Push(0)),
            I(CallDirect { func: 1, argc: 1 }),
            I(Halt),
        ],
    );
    let rec = func(
        "rec",
        1,
        1,
        &[
            At(2, 3),
            I(GetLocal(0)),
            I(Push(1)),
            I(Add),
            At(2, 7),
            I(CallDirect { func: 1, argc: 1 }),
            I(Ret),
        ],
    );
    module(
        vec![Constant::Num(0.0), Constant::Num(1.0)],
        &[],
        vec![main, rec],
    )
}

/// Globals, `push_func` + `call` through a global, builtins, then reading an undefined global.
fn globals_calls() -> Module {
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
            // len("hello") via call_builtin, and via a builtin value
            I(Push(1)),
            I(CallBuiltin {
                builtin: ilusm_bytecode::builtins::builtin_id("len").unwrap(),
                argc: 1,
            }),
            I(PushBuiltin(
                ilusm_bytecode::builtins::builtin_id("str").unwrap(),
            )),
            I(Push(2)),
            I(Call(1)),
            I(Print(2)),
            I(Pop),
            I(GetGlobal(0)),
            I(Print(1)),
            I(Pop),
            At(9, 2),
            I(GetGlobal(1)),
            I(Halt),
        ],
    );
    let sq = func(
        "sq",
        1,
        1,
        &[I(GetLocal(0)), I(GetLocal(0)), I(Mul), I(Ret)],
    );
    module(
        vec![
            Constant::Num(12.0),
            Constant::Str("hello".into()),
            Constant::Num(-0.5),
        ],
        &["sq", "missing"],
        vec![main, sq],
    )
}

/// `1 / 0` inside a function called through `call`: division by zero.
fn div_zero() -> Module {
    let main = func(
        "<main>",
        0,
        0,
        &[
            At(3, 1),
            I(PushFunc(1)),
            I(Push(0)),
            I(Call(1)),
            I(Print(1)),
            I(Halt),
        ],
    );
    let f = func(
        "<lambda>",
        1,
        1,
        &[At(1, 8), I(Push(1)), I(GetLocal(0)), I(Div), I(Ret)],
    );
    module(
        vec![Constant::Num(0.0), Constant::Num(1.0)],
        &[],
        vec![main, f],
    )
}

/// 100 frames of `rec` and one of `<main>`: the report shows the first and last 10.
fn overflow_report() -> String {
    let rec = "  at rec (t.ilu:2:7)\n";
    format!(
        "error: stack overflow (call depth 100)\n{}  ... 81 more frames\n{}  at <main> (t.ilu:4:1)\n",
        rec.repeat(10),
        rec.repeat(9)
    )
}

/// Lists, objects, indexing, fields, `iter_prep`/`len`, `range_prep`, then an index error.
fn containers() -> Module {
    let s = |x: &str| Constant::Str(x.into());
    let k = Constant::Num;
    let consts = vec![
        k(1.0),
        k(2.0),
        k(3.0),
        k(20.0),
        s("a"),
        s("b"),
        s("x"),
        s("c"),
        s("zz"),
        s("hé"),
        k(0.0),
        k(5.0),
    ];
    let main = func(
        "<main>",
        0,
        4,
        &[
            // l = [1, 2, 3]; l[1] = 20
            I(Push(0)),
            I(Push(1)),
            I(Push(2)),
            I(MakeList(3)),
            I(SetLocal(0)),
            I(GetLocal(0)),
            I(Push(0)),
            I(Push(3)),
            I(SetIndex),
            // o = {a: 1, b: l}; o.c = "x"
            I(Push(4)),
            I(Push(0)),
            I(Push(5)),
            I(GetLocal(0)),
            I(MakeObject(2)),
            I(SetLocal(1)),
            I(GetLocal(1)),
            I(Push(6)),
            I(SetField(7)),
            // prn(l, o, o.a, o?.zz, nil?.a, l[2], len(l), o["c"], l?[7])
            I(GetLocal(0)),
            I(GetLocal(1)),
            I(GetLocal(1)),
            I(GetField(4)),
            I(GetLocal(1)),
            I(GetFieldOpt(8)),
            I(PushNil),
            I(GetFieldOpt(4)),
            I(GetLocal(0)),
            I(Push(1)),
            I(Index),
            I(GetLocal(0)),
            I(Len),
            I(GetLocal(1)),
            I(Push(7)),
            I(Index),
            I(GetLocal(0)),
            I(Push(11)),
            I(IndexOpt),
            I(Print(9)),
            I(Pop),
            // it = iter_prep("hé"); i = 0; while i < len(it): prn(it[i]); i = i + 1
            I(Push(9)),
            I(IterPrep),
            I(SetLocal(2)),
            I(Push(10)),
            I(SetLocal(3)),
            L(1),
            I(GetLocal(3)),
            I(GetLocal(2)),
            I(Len),
            I(Lt),
            A::JIfNot(2),
            I(GetLocal(2)),
            I(GetLocal(3)),
            I(Index),
            I(Print(1)),
            I(Pop),
            I(GetLocal(3)),
            I(Push(0)),
            I(Add),
            I(SetLocal(3)),
            A::J(1),
            L(2),
            // prn(3, 1, step) via range_prep
            I(Push(2)),
            I(Push(0)),
            I(RangePrep),
            I(Print(3)),
            I(Pop),
            // l[5]: error
            At(7, 4),
            I(GetLocal(0)),
            I(Push(11)),
            I(Index),
            I(Halt),
        ],
    );
    module(consts, &[], vec![main])
}

/// A counter closure over a cell: `make_counter()` returns `inc`, which bumps the captured cell.
fn closures() -> Module {
    let main = func(
        "<main>",
        0,
        1,
        &[
            I(CallDirect { func: 1, argc: 0 }),
            I(SetLocal(0)),
            I(GetLocal(0)),
            I(Call(0)),
            I(Pop),
            I(GetLocal(0)),
            I(Call(0)),
            I(Pop),
            I(GetLocal(0)),
            I(Call(0)),
            I(GetLocal(0)),
            I(Print(2)),
            I(Pop),
            // calling it with an argument: arity error in <main>
            At(3, 5),
            I(GetLocal(0)),
            I(Push(0)),
            I(Call(1)),
            I(Halt),
        ],
    );
    let make = func(
        "make_counter",
        0,
        0,
        &[
            I(Push(0)),
            I(MakeCell),
            I(MakeClosure {
                func: 2,
                captures: 1,
            }),
            I(Ret),
        ],
    );
    let inc = Function {
        num_captures: 1,
        ..func(
            "<lambda>",
            0,
            1,
            &[
                I(GetCapture(0)),
                I(CellGet),
                I(Push(1)),
                I(Add),
                I(SetLocal(0)),
                I(GetCapture(0)),
                I(GetLocal(0)),
                I(CellSet),
                I(GetLocal(0)),
                I(Ret),
            ],
        )
    };
    module(
        vec![Constant::Num(0.0), Constant::Num(1.0)],
        &[],
        vec![main, make, inc],
    )
}

pub struct Case {
    pub name: &'static str,
    pub module: fn() -> Module,
    pub env: &'static [(&'static str, &'static str)],
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "fib",
            module: || fib(25.0),
            env: &[],
            stdout: "75025\n".into(),
            stderr: "".into(),
            status: 0,
        },
        Case {
            name: "loop",
            module: loop_,
            env: &[],
            stdout: "sum 249750 sevens 142\n-1 1.5 -0\n".into(),
            stderr: "".into(),
            status: 0,
        },
        Case {
            name: "error_trace",
            module: error_trace,
            env: &[],
            stdout: "before\n".into(),
            stderr: "error: cannot add num and nil\n  at f (t.ilu:2:5)\n  at <main> (t.ilu:5:3)\n"
                .into(),
            status: 1,
        },
        Case {
            name: "overflow",
            module: overflow,
            env: &[("ILUSM_MAX_DEPTH", "100")],
            stdout: "".into(),
            stderr: overflow_report(),
            status: 1,
        },
        Case {
            name: "globals_calls",
            module: globals_calls,
            env: &[],
            stdout: "144\n5 -0.5\n<fun sq>\n".into(),
            stderr: "error: undefined name 'missing'\n  at <main> (t.ilu:9:2)\n".into(),
            status: 1,
        },
        Case {
            name: "div_zero",
            module: div_zero,
            env: &[],
            stdout: "".into(),
            stderr: "error: division by zero\n  at <lambda> (t.ilu:1:8)\n  at <main> (t.ilu:3:1)\n"
                .into(),
            status: 1,
        },
        Case {
            name: "containers",
            module: containers,
            env: &[],
            stdout:
                "[1, 20, 3] {a: 1, b: [1, 20, 3], c: \"x\"} 1 nil nil 3 3 x nil\nh\né\n3 1 -1\n"
                    .into(),
            stderr: "error: index 5 out of range for lst of length 3\n  at <main> (t.ilu:7:4)\n"
                .into(),
            status: 1,
        },
        Case {
            name: "closures",
            module: closures,
            env: &[],
            stdout: "3 <fun>\n".into(),
            stderr: "error: <lambda> expects 0 arguments, got 1\n  at <main> (t.ilu:3:5)\n".into(),
            status: 1,
        },
    ]
}
