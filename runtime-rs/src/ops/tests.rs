//! Every operator on every pair of types in the current subset.

use super::*;
use crate::print::to_string;

fn s(x: &str) -> Value {
    heap::alloc_str(x)
}

fn n(x: f64) -> Value {
    Value::from_f64(x)
}

/// One value of each type, with its type name.
fn samples() -> Vec<(Value, &'static str)> {
    vec![
        (n(2.0), "num"),
        (s("ab"), "str"),
        (Value::TRUE, "bol"),
        (Value::NIL, "nil"),
        (Value::func(1), "fun"),
        (Value::builtin(3), "bif"),
    ]
}

fn msg(r: RtResult<Value>) -> String {
    r.expect_err("expected an error").message
}

#[test]
fn arithmetic_on_numbers() {
    assert_eq!(add(n(2.0), n(3.0)).unwrap(), n(5.0));
    assert_eq!(sub(n(2.0), n(3.0)).unwrap(), n(-1.0));
    assert_eq!(mul(n(2.0), n(3.0)).unwrap(), n(6.0));
    assert_eq!(div(n(10.0), n(4.0)).unwrap(), n(2.5));
    assert_eq!(rem(n(-7.0), n(3.0)).unwrap(), n(-1.0));
    assert_eq!(rem(n(7.0), n(-3.0)).unwrap(), n(1.0));
    assert_eq!(rem(n(5.5), n(2.0)).unwrap(), n(1.5));
    assert_eq!(neg(n(2.0)).unwrap(), n(-2.0));
    assert_eq!(to_string(neg(n(0.0)).unwrap()), "-0");
    assert_eq!(msg(div(n(1.0), n(0.0))), "division by zero");
    assert_eq!(msg(div(n(1.0), n(-0.0))), "division by zero");
    assert_eq!(msg(rem(n(1.0), n(0.0))), "division by zero");
    assert!(div(n(f64::NAN), n(1.0))
        .unwrap()
        .to_f64_unchecked()
        .is_nan());
}

#[test]
fn add_with_strings_converts_the_other_side() {
    let cat = |a, b| to_string(add(a, b).unwrap());
    assert_eq!(cat(s("ab"), s("cd")), "abcd");
    assert_eq!(cat(s("n="), n(2.5)), "n=2.5");
    assert_eq!(cat(n(1.0), s("x")), "1x");
    assert_eq!(cat(s("x"), Value::NIL), "xnil");
    assert_eq!(cat(Value::TRUE, s("!")), "tru!");
    assert_eq!(cat(s(""), Value::builtin(1)), "<bif len>");
    assert_eq!(cat(s("é"), s("😀")), "é😀");
}

#[test]
fn add_errors_for_every_other_pair() {
    for (a, ta) in samples() {
        for (b, tb) in samples() {
            let ok = (ta == "num" && tb == "num") || ta == "str" || tb == "str";
            match add(a, b) {
                Ok(_) => assert!(ok, "{ta} + {tb} should fail"),
                Err(e) => {
                    assert!(!ok, "{ta} + {tb} should work");
                    assert_eq!(e.message, format!("cannot add {ta} and {tb}"));
                }
            }
        }
    }
}

#[test]
fn numeric_operators_reject_every_non_number_pair() {
    type Op = fn(Value, Value) -> RtResult<Value>;
    let table: [(Op, &str); 4] = [
        (sub, "subtract"),
        (mul, "multiply"),
        (div, "divide"),
        (rem, "take the remainder of"),
    ];
    for (op, verb) in table {
        for (a, ta) in samples() {
            for (b, tb) in samples() {
                if ta == "num" && tb == "num" {
                    assert!(op(a, b).is_ok());
                } else {
                    assert_eq!(msg(op(a, b)), format!("cannot {verb} {ta} and {tb}"));
                }
            }
        }
    }
    // Type errors win over division by zero.
    assert_eq!(msg(div(s("a"), n(0.0))), "cannot divide str and num");
}

#[test]
fn negation() {
    for (a, ta) in samples() {
        if ta != "num" {
            assert_eq!(msg(neg(a)), format!("cannot negate {ta}"));
        }
    }
}

#[test]
fn truthiness() {
    let falsy = [
        n(0.0),
        n(-0.0),
        n(f64::NAN),
        s(""),
        Value::FALSE,
        Value::NIL,
    ];
    for v in falsy {
        assert!(!truthy(v), "{}", to_string(v));
        assert_eq!(not(v), Value::TRUE);
    }
    let truthy_values = [
        n(1.0),
        n(-0.5),
        n(f64::INFINITY),
        s("0"),
        s(" "),
        Value::TRUE,
        Value::func(0),
        Value::builtin(0),
    ];
    for v in truthy_values {
        assert!(truthy(v), "{}", to_string(v));
        assert_eq!(not(v), Value::FALSE);
    }
}

#[test]
fn equality() {
    assert!(equal(n(1.0), n(1.0)));
    assert!(equal(n(0.0), n(-0.0)));
    assert!(!equal(n(f64::NAN), n(f64::NAN)));
    let nan = n(f64::NAN);
    assert!(!equal(nan, nan));
    assert_eq!(ne(nan, nan), Value::TRUE);
    assert!(equal(s("héllo"), s("héllo")));
    assert!(!equal(s("a"), s("b")));
    assert!(!equal(n(1.0), s("1")));
    assert!(equal(Value::func(2), Value::func(2)));
    assert!(!equal(Value::func(2), Value::func(3)));
    assert!(equal(Value::builtin(2), Value::builtin(2)));
    assert!(!equal(Value::builtin(2), Value::func(2)));
    assert!(!equal(Value::NIL, Value::FALSE));
    assert!(!equal(n(0.0), Value::FALSE));
    assert!(!equal(s(""), Value::NIL));
    // Across all pairs: equal only to itself (same type).
    for (i, (a, _)) in samples().into_iter().enumerate() {
        for (j, (b, _)) in samples().into_iter().enumerate() {
            assert_eq!(equal(a, b), i == j);
            assert_eq!(eq(a, b), Value::from_bool(i == j));
            assert_eq!(ne(a, b), Value::from_bool(i != j));
        }
    }
}

#[test]
fn ordering() {
    assert_eq!(lt(n(1.0), n(2.0)).unwrap(), Value::TRUE);
    assert_eq!(le(n(2.0), n(2.0)).unwrap(), Value::TRUE);
    assert_eq!(gt(n(1.0), n(2.0)).unwrap(), Value::FALSE);
    assert_eq!(ge(n(2.0), n(2.0)).unwrap(), Value::TRUE);
    for op in [lt, le, gt, ge] {
        assert_eq!(op(n(f64::NAN), n(1.0)).unwrap(), Value::FALSE);
        assert_eq!(op(n(1.0), n(f64::NAN)).unwrap(), Value::FALSE);
    }
    assert_eq!(lt(s("abc"), s("abd")).unwrap(), Value::TRUE);
    assert_eq!(lt(s("ab"), s("abc")).unwrap(), Value::TRUE);
    assert_eq!(lt(s("Z"), s("a")).unwrap(), Value::TRUE);
    // By code point: U+00E9 < U+1F600, and U+FFFF < U+10000 as in UTF-8 byte order.
    assert_eq!(lt(s("é"), s("😀")).unwrap(), Value::TRUE);
    assert_eq!(lt(s("\u{FFFF}"), s("\u{10000}")).unwrap(), Value::TRUE);
    assert_eq!(ge(s("b"), s("a")).unwrap(), Value::TRUE);
    for (a, ta) in samples() {
        for (b, tb) in samples() {
            let ok = (ta == "num" && tb == "num") || (ta == "str" && tb == "str");
            for op in [lt, le, gt, ge] {
                match op(a, b) {
                    Ok(_) => assert!(ok),
                    Err(e) => {
                        assert!(!ok);
                        assert_eq!(e.message, format!("cannot compare {ta} and {tb}"));
                    }
                }
            }
        }
    }
}

#[test]
fn concat_uses_str_of_each_value() {
    let v = concat(&[s("total: "), n(3.0), s(" "), Value::TRUE, Value::NIL]).unwrap();
    assert_eq!(to_string(v), "total: 3 trunil");
    assert_eq!(to_string(concat(&[]).unwrap()), "");
}
