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
        (lst(&[n(1.0), s("a")]), "lst"),
        (obj(&[("k", n(1.0))]), "obj"),
    ]
}

fn lst(items: &[Value]) -> Value {
    heap::alloc_list(items.to_vec())
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    let o = heap::alloc_object(0);
    for &(k, v) in pairs {
        heap::object(o).unwrap().set(s(k), v);
    }
    o
}

fn push(xs: Value, v: Value) {
    heap::list(xs).unwrap().push(v);
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
            let ok = (ta == "num" && tb == "num")
                || ta == "str"
                || tb == "str"
                || (ta == "lst" && tb == "lst");
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
        lst(&[]),
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
        lst(&[n(0.0)]),
        lst(&[Value::NIL]),
        obj(&[]),
        obj(&[("a", Value::FALSE)]),
        heap::alloc_closure(0, vec![]),
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

#[test]
fn list_plus_list_is_a_new_list() {
    let a = lst(&[n(1.0)]);
    let b = lst(&[s("x"), lst(&[])]);
    let c = add(a, b).unwrap();
    assert_eq!(to_string(c), r#"[1, "x", []]"#);
    assert_eq!(to_string(a), "[1]");
    assert_eq!(to_string(b), r#"["x", []]"#);
    let d = add(a, a).unwrap();
    assert_eq!(to_string(d), "[1, 1]");
    assert_ne!(d, a);
    let e = add(lst(&[]), lst(&[])).unwrap();
    assert_eq!(to_string(e), "[]");
    assert_eq!(msg(add(a, n(1.0))), "cannot add lst and num");
    assert_eq!(msg(add(obj(&[]), obj(&[]))), "cannot add obj and obj");
    // With a string, the list is converted.
    assert_eq!(to_string(add(s("xs="), b).unwrap()), r#"xs=["x", []]"#);
}

#[test]
fn deep_equality() {
    let eqs = |a, b| {
        let r = equal(a, b);
        assert_eq!(r, equal(b, a), "symmetric");
        assert_eq!(eq(a, b), Value::from_bool(r));
        assert_eq!(ne(a, b), Value::from_bool(!r));
        r
    };
    assert!(eqs(lst(&[n(1.0), s("a")]), lst(&[n(1.0), s("a")])));
    assert!(eqs(lst(&[]), lst(&[])));
    assert!(!eqs(lst(&[n(1.0)]), lst(&[n(1.0), n(1.0)])));
    assert!(!eqs(lst(&[n(1.0)]), lst(&[s("1")])));
    assert!(eqs(lst(&[n(0.0)]), lst(&[n(-0.0)])));
    assert!(!eqs(lst(&[n(f64::NAN)]), lst(&[n(f64::NAN)])));
    let inner = |x| lst(&[obj(&[("a", lst(&[n(x)]))])]);
    assert!(eqs(inner(1.0), inner(1.0)));
    assert!(!eqs(inner(1.0), inner(2.0)));
    // Objects: key order does not matter; key sets and values do.
    let ab = obj(&[("a", n(1.0)), ("b", n(2.0))]);
    let ba = obj(&[("b", n(2.0)), ("a", n(1.0))]);
    assert!(eqs(ab, ba));
    assert!(!eqs(ab, obj(&[("a", n(1.0))])));
    assert!(!eqs(ab, obj(&[("a", n(1.0)), ("c", n(2.0))])));
    assert!(!eqs(ab, obj(&[("a", n(1.0)), ("b", n(3.0))])));
    assert!(eqs(obj(&[]), obj(&[])));
    // Different container types are unequal.
    assert!(!eqs(lst(&[]), obj(&[])));
    assert!(!eqs(lst(&[]), s("[]")));
    // Identity: a container equals itself, even holding NaN.
    let nan_list = lst(&[n(f64::NAN)]);
    assert!(eqs(nan_list, nan_list));
    // Closures by identity.
    let f = heap::alloc_closure(1, vec![]);
    let g = heap::alloc_closure(1, vec![]);
    assert!(eqs(f, f));
    assert!(!eqs(f, g));
    assert!(!eqs(f, Value::func(1)));
    assert!(eqs(lst(&[f]), lst(&[f])));
    assert!(!eqs(lst(&[f]), lst(&[g])));
}

#[test]
fn equality_of_cyclic_structures_terminates() {
    // a = [1, a], b = [1, b]: equal as infinite unfoldings.
    let a = lst(&[n(1.0)]);
    push(a, a);
    let b = lst(&[n(1.0)]);
    push(b, b);
    assert!(equal(a, a));
    assert!(equal(a, b));
    // c = [1, [1, c]]: the same unfolding, with a longer period.
    let c = lst(&[n(1.0)]);
    let c2 = lst(&[n(1.0), c]);
    push(c, c2);
    assert!(equal(a, c));
    // d = [2, d] differs at the first element; e = [e, 1] vs f = [f, 2]
    // differs only after an endless first element.
    let d = lst(&[n(2.0)]);
    push(d, d);
    assert!(!equal(a, d));
    let e = lst(&[]);
    push(e, e);
    push(e, n(1.0));
    let f = lst(&[]);
    push(f, f);
    push(f, n(2.0));
    assert!(!equal(e, f));
    // Objects referring to each other.
    let o1 = obj(&[("v", n(1.0))]);
    let o2 = obj(&[("v", n(1.0))]);
    heap::object(o1).unwrap().set(s("next"), o2);
    heap::object(o2).unwrap().set(s("next"), o1);
    let p1 = obj(&[("v", n(1.0))]);
    heap::object(p1).unwrap().set(s("next"), p1);
    assert!(equal(o1, p1));
    heap::object(o2).unwrap().set(s("v"), n(5.0));
    assert!(!equal(o1, p1));
}

/// `[[[...[leaf]...]]]`, `depth` lists deep.
fn nested(depth: usize, leaf: Value) -> Value {
    let mut v = lst(&[leaf]);
    for _ in 0..depth {
        v = lst(&[v]);
    }
    v
}

#[test]
fn equality_of_deep_structures_uses_no_rust_stack() {
    let depth = 100_000;
    // On a small stack, to be sure no recursion is hiding.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let a = nested(depth, n(1.0));
            let b = nested(depth, n(1.0));
            let c = nested(depth, n(2.0));
            assert!(equal(a, b));
            assert!(!equal(a, c));
            assert!(!equal(a, nested(depth - 1, n(1.0))));
            let mut o = obj(&[("x", n(1.0))]);
            let mut p = obj(&[("x", n(1.0))]);
            for _ in 0..depth {
                o = obj(&[("k", o)]);
                p = obj(&[("k", p)]);
            }
            assert!(equal(o, p));
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn fmod_matches_the_float_remainder_bit_for_bit() {
    let xs = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        7.0,
        -7.0,
        13.0,
        -13.0,
        6.5,
        -6.5,
        1e15,
        -1e15,
        9007199254740991.0,
        9007199254740992.0,
        1e300,
        f64::INFINITY,
        f64::NAN,
        0.1,
    ];
    let ys = [
        1.0,
        -1.0,
        7.0,
        -7.0,
        3.0,
        0.5,
        2.5,
        1e15,
        9007199254740993.0,
        f64::INFINITY,
        f64::NAN,
    ];
    for &x in &xs {
        for &y in &ys {
            let want = x % y;
            let got = super::fmod(x, y);
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "fmod({x}, {y}) = {got}, want {want}"
            );
        }
    }
}
