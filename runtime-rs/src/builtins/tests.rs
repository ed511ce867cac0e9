use super::*;
use crate::print::to_string;

fn id(name: &str) -> u16 {
    NAMES.iter().position(|n| *n == name).unwrap() as u16
}

fn run(name: &str, args: &[Value]) -> RtResult<Value> {
    call(id(name), args, &mut NoCaller)
}

fn ok(name: &str, args: &[Value]) -> String {
    to_string(run(name, args).unwrap())
}

fn fail(name: &str, args: &[Value]) -> String {
    run(name, args).unwrap_err().message
}

fn s(x: &str) -> Value {
    heap::alloc_str(x)
}

fn n(x: f64) -> Value {
    Value::from_f64(x)
}

#[test]
fn len_counts_code_points() {
    assert_eq!(ok("len", &[s("héllo")]), "5");
    assert_eq!(ok("len", &[s("")]), "0");
    assert_eq!(ok("len", &[s("😀😀")]), "2");
    assert_eq!(
        fail("len", &[n(1.0)]),
        "len expects a str, lst, obj or buf, got num"
    );
    assert_eq!(fail("len", &[]), "len expects 1 argument, got 0");
    assert_eq!(
        fail("len", &[s("a"), s("b")]),
        "len expects 1 argument, got 2"
    );
}

#[test]
fn str_num_int_typ() {
    assert_eq!(ok("str", &[n(2.5)]), "2.5");
    assert_eq!(ok("str", &[Value::NIL]), "nil");
    assert_eq!(ok("str", &[s("x")]), "x");
    assert_eq!(ok("num", &[s(" 42 ")]), "42");
    assert_eq!(ok("num", &[s("-2.5e1")]), "-25");
    assert_eq!(ok("num", &[s("0xFF")]), "255");
    assert_eq!(ok("num", &[s("-0x10")]), "-16");
    assert_eq!(ok("num", &[s("inf")]), "inf");
    assert_eq!(ok("num", &[n(7.0)]), "7");
    assert_eq!(
        fail("num", &[s("abc")]),
        "num: cannot parse \"abc\" as a number"
    );
    assert_eq!(fail("num", &[s("")]), "num: cannot parse \"\" as a number");
    assert_eq!(
        fail("num", &[s("--1")]),
        "num: cannot parse \"--1\" as a number"
    );
    assert_eq!(
        fail("num", &[s("0x")]),
        "num: cannot parse \"0x\" as a number"
    );
    assert_eq!(
        fail("num", &[Value::TRUE]),
        "num expects a num or str, got bol"
    );
    assert_eq!(ok("int", &[n(-3.7)]), "-3");
    assert_eq!(ok("int", &[n(3.7)]), "3");
    assert_eq!(ok("int", &[s("12.9")]), "12");
    assert_eq!(
        fail("int", &[s("x1")]),
        "int: cannot parse \"x1\" as a number"
    );
    assert_eq!(
        fail("int", &[Value::NIL]),
        "int expects a num or str, got nil"
    );
    assert_eq!(ok("typ", &[n(1.0)]), "num");
    assert_eq!(ok("typ", &[s("")]), "str");
    assert_eq!(ok("typ", &[Value::builtin(0)]), "bif");
    assert_eq!(ok("typ", &[Value::func(0)]), "fun");
    assert_eq!(ok("typ", &[Value::FALSE]), "bol");
    assert_eq!(ok("typ", &[Value::NIL]), "nil");
}

#[test]
fn err_and_asr() {
    assert_eq!(fail("err", &[s("boom")]), "boom");
    assert_eq!(fail("err", &[n(42.0)]), "42");
    assert_eq!(ok("asr", &[Value::TRUE]), "nil");
    assert_eq!(ok("asr", &[n(1.0), s("unused")]), "nil");
    assert_eq!(fail("asr", &[n(0.0)]), "assertion failed");
    assert_eq!(fail("asr", &[s(""), s("empty!")]), "empty!");
    assert_eq!(fail("asr", &[]), "asr expects 1 or 2 arguments, got 0");
    assert_eq!(
        fail("asr", &[n(1.0), n(1.0), n(1.0)]),
        "asr expects 1 or 2 arguments, got 3"
    );
}

#[test]
fn chr_and_ord() {
    assert_eq!(ok("chr", &[n(65.0)]), "A");
    assert_eq!(ok("chr", &[n(128512.0)]), "😀");
    assert_eq!(
        fail("chr", &[n(1114112.0)]),
        "chr: invalid code point 1114112"
    );
    assert_eq!(fail("chr", &[n(55296.0)]), "chr: invalid code point 55296");
    assert_eq!(fail("chr", &[n(-1.0)]), "chr: invalid code point -1");
    assert_eq!(fail("chr", &[n(65.5)]), "chr: invalid code point 65.5");
    assert_eq!(fail("chr", &[s("A")]), "chr expects a num, got str");
    assert_eq!(ok("ord", &[s("A")]), "65");
    assert_eq!(ok("ord", &[s("é")]), "233");
    assert_eq!(
        fail("ord", &[s("ab")]),
        "ord expects a str of one code point, got 2"
    );
    assert_eq!(
        fail("ord", &[s("")]),
        "ord expects a str of one code point, got 0"
    );
    assert_eq!(fail("ord", &[n(1.0)]), "ord expects a str, got num");
}

#[test]
fn math() {
    assert_eq!(ok("flr", &[n(-2.5)]), "-3");
    assert_eq!(ok("sqrt", &[n(16.0)]), "4");
    assert_eq!(ok("sqrt", &[n(-1.0)]), "NaN");
    assert_eq!(ok("abs", &[n(-3.0)]), "3");
    assert_eq!(ok("min", &[n(2.0), n(-1.0)]), "-1");
    assert_eq!(ok("max", &[n(2.0), n(-1.0)]), "2");
    assert_eq!(fail("flr", &[s("1")]), "flr expects a num, got str");
    assert_eq!(fail("sqrt", &[Value::NIL]), "sqrt expects a num, got nil");
    assert_eq!(fail("abs", &[Value::TRUE]), "abs expects a num, got bol");
    assert_eq!(
        fail("min", &[n(1.0), s("2")]),
        "min expects two nums, got num and str"
    );
    assert_eq!(fail("max", &[n(1.0)]), "max expects 2 arguments, got 1");
}

#[test]
fn container_builtins_check_arity_then_work() {
    assert_eq!(fail("psh", &[n(1.0)]), "psh expects 2 arguments, got 1");
    assert_eq!(fail("has", &[n(1.0)]), "has expects 2 arguments, got 1");
    assert_eq!(fail("del", &[n(1.0)]), "del expects 2 arguments, got 1");
    assert_eq!(fail("pop", &[]), "pop expects 1 argument, got 0");
    assert_eq!(fail("kys", &[]), "kys expects 1 argument, got 0");
    assert_eq!(fail("try", &[]), "try expects 1 argument, got 0");
    let xs = crate::containers::make_list(&[n(1.0)]);
    assert_eq!(ok("psh", &[xs, s("a")]), r#"[1, "a"]"#);
    assert_eq!(ok("len", &[xs]), "2");
    assert_eq!(ok("has", &[xs, s("a")]), "tru");
    assert_eq!(ok("pop", &[xs]), "a");
    assert_eq!(ok("pop", &[xs]), "1");
    assert_eq!(fail("pop", &[xs]), "pop from empty lst");
    let o = crate::containers::make_object(&[s("a"), n(1.0), s("b a"), n(2.0)]).unwrap();
    assert_eq!(ok("kys", &[o]), r#"["a", "b a"]"#);
    assert_eq!(ok("str", &[o]), r#"{a: 1, "b a": 2}"#);
    assert_eq!(ok("del", &[o, s("a")]), r#"{"b a": 2}"#);
    assert_eq!(ok("has", &[o, s("a")]), "fls");
    assert_eq!(ok("typ", &[o]), "obj");
    assert_eq!(ok("typ", &[xs]), "lst");
}

#[test]
fn err_and_asr_convert_containers_with_str() {
    let xs = crate::containers::make_list(&[n(1.0), s("a")]);
    assert_eq!(fail("err", &[xs]), r#"[1, "a"]"#);
    assert_eq!(fail("asr", &[Value::FALSE, xs]), r#"[1, "a"]"#);
    assert_eq!(ok("str", &[xs]), r#"[1, "a"]"#);
}

/// A stand-in for a back end: function `i` is `BODIES[i]`, run with the
/// caller itself (so bodies can call builtins that call back).
struct TestCaller {
    calls: usize,
}

fn body(f: u32, c: &mut TestCaller) -> RtResult<Value> {
    match f {
        // f0() = 42
        0 => Ok(n(42.0)),
        // f1() = err("boom")
        1 => call(id("err"), &[s("boom")], c),
        // f2() = g() where g pops an empty list in a nested builtin call
        2 => {
            let empty = crate::containers::make_list(&[]);
            c.call(Value::builtin(id("pop")), &[empty])
        }
        // f3() = try(f1).err + "!"
        3 => {
            let r = call(id("try"), &[Value::func(1)], c)?;
            crate::ops::add(heap::object(r).unwrap().get("err").unwrap(), s("!"))
        }
        // f4(x) = x: called by try with no arguments, an arity error
        4 => Err(crate::error::arity_error("f4", 1, 0)),
        _ => Err(RtError::new("no such function")),
    }
}

impl Caller for TestCaller {
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value> {
        self.calls += 1;
        if let Some(b) = f.as_builtin() {
            return call(b, args, self);
        }
        let index = f
            .as_func()
            .or_else(|| heap::closure(f).map(|c| c.func()))
            .ok_or_else(|| RtError::new("cannot call"))?;
        body(index, self).map_err(|mut e| {
            e.trace.push((index, 0));
            e
        })
    }
}

fn try_(f: Value) -> String {
    let mut c = TestCaller { calls: 0 };
    to_string(call(id("try"), &[f], &mut c).unwrap())
}

#[test]
fn try_catches_every_runtime_error() {
    assert_eq!(try_(Value::func(0)), "{val: 42, err: nil}");
    assert_eq!(try_(Value::func(1)), r#"{val: nil, err: "boom"}"#);
    assert_eq!(
        try_(Value::func(2)),
        r#"{val: nil, err: "pop from empty lst"}"#
    );
    assert_eq!(try_(Value::func(3)), r#"{val: "boom!", err: nil}"#);
    assert_eq!(
        try_(Value::func(4)),
        r#"{val: nil, err: "f4 expects 1 argument, got 0"}"#
    );
    // Closures and builtins are functions too.
    let closure = heap::alloc_closure(0, vec![]);
    assert_eq!(try_(closure), "{val: 42, err: nil}");
    assert_eq!(
        try_(Value::builtin(id("len"))),
        r#"{val: nil, err: "len expects 1 argument, got 0"}"#
    );
    assert_eq!(try_(Value::builtin(id("prn"))), "{val: nil, err: nil}");
    // The result is a fresh object with keys val, err in that order.
    let mut c = TestCaller { calls: 0 };
    let r = call(id("try"), &[Value::func(0)], &mut c).unwrap();
    assert_eq!(c.calls, 1);
    assert_eq!(crate::print::type_name(r), "obj");
    assert_eq!(
        to_string(crate::containers::kys(r).unwrap()),
        r#"["val", "err"]"#
    );
}

#[test]
fn try_needs_a_function() {
    let mut c = TestCaller { calls: 0 };
    for (v, t) in [
        (n(1.0), "num"),
        (s("f"), "str"),
        (Value::NIL, "nil"),
        (crate::containers::make_list(&[]), "lst"),
    ] {
        assert_eq!(
            call(id("try"), &[v], &mut c).unwrap_err().message,
            format!("try expects a fun, got {t}")
        );
    }
    assert_eq!(c.calls, 0);
}

#[test]
fn try_clears_a_pending_error() {
    // A caller that leaves the error pending as well as returning it (as a
    // native back end might): after `try`, nothing is pending.
    struct Leaky;
    impl Caller for Leaky {
        fn call(&mut self, _: Value, _: &[Value]) -> RtResult<Value> {
            crate::context::raise(RtError::new("inner"));
            Err(RtError::new("inner"))
        }
    }
    let r = call(id("try"), &[Value::func(0)], &mut Leaky).unwrap();
    assert_eq!(to_string(r), r#"{val: nil, err: "inner"}"#);
    assert_eq!(
        crate::context::take_pending().message,
        "internal error: ERROR returned but no error is pending"
    );
}

#[test]
fn no_caller_calls_builtins_only() {
    let mut c = NoCaller;
    assert_eq!(
        to_string(c.call(Value::builtin(id("abs")), &[n(-2.0)]).unwrap()),
        "2"
    );
    assert!(c.call(Value::func(0), &[]).is_err());
    assert!(c.call(n(1.0), &[]).is_err());
}

/// `f() = try(f)` nests one `try` per ilusm call level. The runtime's part
/// of each level (`call` + `try_call`) must stay small: the program thread's
/// stack budgets 2 KiB per level for everything (ARCHITECTURE.md, invariant 5).
#[test]
fn try_reentry_costs_little_rust_stack() {
    struct Rec {
        addrs: Vec<usize>,
    }
    impl Caller for Rec {
        fn call(&mut self, _f: Value, _: &[Value]) -> RtResult<Value> {
            let marker = 0u8;
            self.addrs
                .push(std::hint::black_box(&marker) as *const u8 as usize);
            if self.addrs.len() > 20 {
                return Err(RtError::new("stack overflow (call depth 20)"));
            }
            call(id("try"), &[Value::func(0)], self)
        }
    }
    let mut r = Rec { addrs: vec![] };
    let out = call(id("try"), &[Value::func(0)], &mut r).unwrap();
    let inner = r#"{val: nil, err: "stack overflow (call depth 20)"}"#;
    let want = format!("{}{inner}{}", "{val: ".repeat(20), ", err: nil}".repeat(20));
    assert_eq!(to_string(out), want);
    let per_level = r.addrs[10].abs_diff(r.addrs[11]);
    assert!(
        per_level < 1024,
        "{per_level} bytes of Rust stack per try level"
    );
}
