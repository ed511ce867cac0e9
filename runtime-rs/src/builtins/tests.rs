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
fn unsupported_builtins_say_so_after_checking_arity() {
    assert_eq!(fail("try", &[Value::func(0)]), "try is not supported yet");
    assert_eq!(fail("psh", &[n(1.0), n(2.0)]), "psh is not supported yet");
    assert_eq!(fail("psh", &[n(1.0)]), "psh expects 2 arguments, got 1");
    for b in ["pop", "kys"] {
        assert_eq!(fail(b, &[n(1.0)]), format!("{b} is not supported yet"));
    }
    for b in ["has", "del"] {
        assert_eq!(
            fail(b, &[n(1.0), n(1.0)]),
            format!("{b} is not supported yet")
        );
    }
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
