//! Every container operation on every type, with exact messages.

use super::*;
use crate::print::to_string;

fn s(x: &str) -> Value {
    heap::alloc_str(x)
}

fn n(x: f64) -> Value {
    Value::from_f64(x)
}

fn lst(items: &[Value]) -> Value {
    make_list(items)
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    // `kv` is not a root: the keys are rooted while it is built.
    let roots = crate::gc::TempRoots::new(&[]);
    let mut kv = Vec::new();
    for &(k, v) in pairs {
        let key = s(k);
        roots.push(key);
        kv.extend([key, v]);
    }
    make_object(&kv).unwrap()
}

fn msg(r: RtResult<Value>) -> String {
    r.expect_err("expected an error").message
}

fn show(r: RtResult<Value>) -> String {
    to_string(r.expect("expected a value"))
}

/// `[1, "two", tru]`, `{name: "ibot", port: 8080}`, `"héllo"`.
fn samples() -> (Value, Value, Value) {
    (
        lst(&[n(1.0), s("two"), Value::TRUE]),
        obj(&[("name", s("ibot")), ("port", n(8080.0))]),
        s("héllo"),
    )
}

#[test]
fn literals() {
    let (xs, o, _) = samples();
    assert_eq!(to_string(xs), r#"[1, "two", tru]"#);
    assert_eq!(to_string(o), r#"{name: "ibot", port: 8080}"#);
    assert_eq!(to_string(lst(&[])), "[]");
    assert_eq!(to_string(obj(&[])), "{}");
    // A repeated key keeps its first position and its last value.
    let d = obj(&[("a", n(1.0)), ("b", n(2.0)), ("a", n(3.0))]);
    assert_eq!(to_string(d), "{a: 3, b: 2}");
    assert_eq!(
        msg(make_object(&[n(1.0), n(2.0)])),
        "obj key must be a str, got num"
    );
}

#[test]
fn indexing_lists() {
    let (xs, _, _) = samples();
    assert_eq!(show(index(xs, n(0.0))), "1");
    assert_eq!(show(index(xs, n(1.0))), "two");
    assert_eq!(show(index(xs, n(2.0))), "tru");
    assert_eq!(
        msg(index(xs, n(3.0))),
        "index 3 out of range for lst of length 3"
    );
    assert_eq!(
        msg(index(xs, n(5.0))),
        "index 5 out of range for lst of length 3"
    );
    assert_eq!(
        msg(index(xs, n(-1.0))),
        "index -1 out of range for lst of length 3"
    );
    assert_eq!(
        msg(index(xs, n(1.5))),
        "index 1.5 out of range for lst of length 3"
    );
    assert_eq!(
        msg(index(xs, n(f64::NAN))),
        "index NaN out of range for lst of length 3"
    );
    assert_eq!(
        msg(index(xs, n(f64::INFINITY))),
        "index inf out of range for lst of length 3"
    );
    assert_eq!(msg(index(xs, s("0"))), "lst index must be a num, got str");
    assert_eq!(
        msg(index(lst(&[]), n(0.0))),
        "index 0 out of range for lst of length 0"
    );
    // -0 is the integer 0.
    assert_eq!(show(index(xs, n(-0.0))), "1");
}

#[test]
fn indexing_objects_and_strings() {
    let (_, o, h) = samples();
    assert_eq!(show(index(o, s("name"))), "ibot");
    assert_eq!(show(index(o, s("nope"))), "nil");
    assert_eq!(msg(index(o, n(0.0))), "obj key must be a str, got num");
    assert_eq!(show(index(h, n(1.0))), "é");
    assert_eq!(show(index(h, n(4.0))), "o");
    assert_eq!(
        msg(index(s("abc"), n(9.0))),
        "index 9 out of range for str of length 3"
    );
    assert_eq!(
        msg(index(h, n(-1.0))),
        "index -1 out of range for str of length 5"
    );
    assert_eq!(
        msg(index(h, Value::NIL)),
        "str index must be a num, got nil"
    );
    assert_eq!(show(index(s("😀x"), n(0.0))), "😀");
}

#[test]
fn indexing_other_types_fails() {
    for (v, t) in [
        (n(1.0), "num"),
        (Value::NIL, "nil"),
        (Value::TRUE, "bol"),
        (Value::func(0), "fun"),
        (Value::builtin(0), "bif"),
    ] {
        assert_eq!(msg(index(v, n(0.0))), format!("cannot index {t}"));
        assert_eq!(
            msg(set_index(v, n(0.0), n(1.0))),
            format!("cannot assign into {t}")
        );
    }
    let c = make_closure(0, &[]).unwrap();
    assert_eq!(msg(index(c, n(0.0))), "cannot index fun");
}

#[test]
fn nil_safe_indexing() {
    let (xs, o, h) = samples();
    assert_eq!(show(index_opt(Value::NIL, n(0.0))), "nil");
    assert_eq!(show(index_opt(xs, n(7.0))), "nil");
    assert_eq!(show(index_opt(xs, n(-1.0))), "nil");
    assert_eq!(show(index_opt(xs, n(0.0))), "1");
    assert_eq!(show(index_opt(o, s("zzz"))), "nil");
    assert_eq!(show(index_opt(h, n(10.0))), "nil");
    assert_eq!(show(index_opt(h, n(0.0))), "h");
    // Type errors still raise.
    assert_eq!(msg(index_opt(n(1.0), n(0.0))), "cannot index num");
    assert_eq!(
        msg(index_opt(xs, s("a"))),
        "lst index must be a num, got str"
    );
    assert_eq!(msg(index_opt(o, n(1.0))), "obj key must be a str, got num");
}

#[test]
fn assigning_by_index() {
    let (xs, o, h) = samples();
    assert_eq!(show(set_index(xs, n(1.0), n(9.0))), "nil");
    assert_eq!(to_string(xs), "[1, 9, tru]");
    assert_eq!(
        msg(set_index(xs, n(3.0), n(0.0))),
        "index 3 out of range for lst of length 3"
    );
    assert_eq!(
        msg(set_index(xs, n(0.5), n(0.0))),
        "index 0.5 out of range for lst of length 3"
    );
    assert_eq!(
        msg(set_index(xs, s("x"), n(0.0))),
        "lst index must be a num, got str"
    );
    set_index(o, s("port"), n(9001.0)).unwrap();
    set_index(o, s("new"), Value::NIL).unwrap();
    assert_eq!(to_string(o), r#"{name: "ibot", port: 9001, new: nil}"#);
    assert_eq!(
        msg(set_index(o, n(1.0), n(0.0))),
        "obj key must be a str, got num"
    );
    assert_eq!(msg(set_index(h, n(0.0), s("x"))), "cannot assign into str");
}

#[test]
fn fields() {
    let (xs, o, _) = samples();
    let name = s("name");
    let x = s("x");
    assert_eq!(show(get_field(o, name)), "ibot");
    assert_eq!(show(get_field(o, x)), "nil");
    assert_eq!(
        msg(get_field(Value::NIL, x)),
        "cannot read field 'x' of nil"
    );
    assert_eq!(msg(get_field(n(1.0), x)), "cannot read field 'x' of num");
    assert_eq!(msg(get_field(xs, x)), "cannot read field 'x' of lst");
    assert_eq!(show(get_field_opt(Value::NIL, x)), "nil");
    assert_eq!(show(get_field_opt(o, name)), "ibot");
    assert_eq!(
        msg(get_field_opt(n(1.0), x)),
        "cannot read field 'x' of num"
    );
    assert_eq!(show(set_field(o, s("port"), n(9000.0))), "nil");
    set_field(o, x, n(1.0)).unwrap();
    assert_eq!(to_string(o), r#"{name: "ibot", port: 9000, x: 1}"#);
    assert_eq!(
        msg(set_field(Value::NIL, x, n(1.0))),
        "cannot set field 'x' of nil"
    );
    assert_eq!(
        msg(set_field(s("a"), x, n(1.0))),
        "cannot set field 'x' of str"
    );
    // `cfg["port"]` and `cfg.port` are the same field.
    assert_eq!(show(index(o, s("port"))), "9000");
}

#[test]
fn iteration_preparation() {
    let (xs, o, h) = samples();
    assert_eq!(iter_prep(xs).unwrap(), xs);
    assert_eq!(show(iter_prep(h)), r#"["h", "é", "l", "l", "o"]"#);
    let keys = iter_prep(o).unwrap();
    assert_eq!(to_string(keys), r#"["name", "port"]"#);
    // A snapshot: later changes to the object do not show.
    set_field(o, s("z"), n(0.0)).unwrap();
    assert_eq!(to_string(keys), r#"["name", "port"]"#);
    assert_eq!(show(iter_prep(s(""))), "[]");
    assert_eq!(msg(iter_prep(n(1.0))), "cannot iterate over num");
    assert_eq!(msg(iter_prep(Value::NIL)), "cannot iterate over nil");
}

#[test]
fn len_of_everything() {
    let (xs, o, h) = samples();
    assert_eq!(show(len(xs)), "3");
    assert_eq!(show(len(o)), "2");
    assert_eq!(show(len(h)), "5");
    assert_eq!(show(len(lst(&[]))), "0");
    assert_eq!(
        msg(len(n(1.0))),
        "len expects a str, lst, obj or buf, got num"
    );
    assert_eq!(
        msg(len(Value::NIL)),
        "len expects a str, lst, obj or buf, got nil"
    );
}

#[test]
fn push_pop_keys() {
    let xs = lst(&[]);
    assert_eq!(psh(xs, n(1.0)).unwrap(), xs);
    psh(xs, s("a")).unwrap();
    assert_eq!(to_string(xs), r#"[1, "a"]"#);
    assert_eq!(show(pop(xs)), "a");
    assert_eq!(show(pop(xs)), "1");
    assert_eq!(msg(pop(xs)), "pop from empty lst");
    assert_eq!(msg(psh(n(1.0), n(1.0))), "psh expects a lst, got num");
    assert_eq!(msg(pop(s("ab"))), "pop expects a lst, got str");
    let (_, o, _) = samples();
    let k = kys(o).unwrap();
    assert_eq!(to_string(k), r#"["name", "port"]"#);
    assert_ne!(k, kys(o).unwrap(), "a new list each time");
    assert_eq!(msg(kys(xs)), "kys expects an obj, got lst");
}

#[test]
fn has_on_each_container() {
    let (xs, o, h) = samples();
    let yes = |r: RtResult<Value>| r.unwrap() == Value::TRUE;
    assert!(yes(has(o, s("name"))));
    assert!(!yes(has(o, s("nam"))));
    assert!(yes(has(xs, s("two"))));
    assert!(yes(has(xs, n(1.0))));
    assert!(!yes(has(xs, s("1"))));
    let nested = lst(&[lst(&[n(1.0)]), obj(&[("a", n(1.0))])]);
    assert!(yes(has(nested, lst(&[n(1.0)]))));
    assert!(yes(has(nested, obj(&[("a", n(1.0))]))));
    assert!(!yes(has(nested, lst(&[]))));
    assert!(yes(has(h, s("éll"))));
    assert!(yes(has(h, s(""))));
    assert!(!yes(has(h, s("x"))));
    assert_eq!(msg(has(o, n(1.0))), "obj key must be a str, got num");
    assert_eq!(
        msg(has(h, n(1.0))),
        "has expects a str to find in a str, got num"
    );
    assert_eq!(
        msg(has(n(1.0), n(1.0))),
        "has expects a lst, obj or str, got num"
    );
}

#[test]
fn del_keeps_the_order_of_the_rest() {
    let o = obj(&[("a", n(1.0)), ("b", n(2.0)), ("c", n(3.0)), ("d", n(4.0))]);
    assert_eq!(del(o, s("b")).unwrap(), o);
    assert_eq!(to_string(o), "{a: 1, c: 3, d: 4}");
    del(o, s("missing")).unwrap();
    del(o, s("a")).unwrap();
    assert_eq!(to_string(o), "{c: 3, d: 4}");
    // Re-adding a deleted key appends it.
    set_field(o, s("a"), n(5.0)).unwrap();
    assert_eq!(to_string(o), "{c: 3, d: 4, a: 5}");
    assert_eq!(show(len(o)), "3");
    assert_eq!(to_string(kys(o).unwrap()), r#"["c", "d", "a"]"#);
    assert_eq!(msg(del(lst(&[]), s("a"))), "del expects an obj, got lst");
    assert_eq!(msg(del(o, n(0.0))), "obj key must be a str, got num");
}

#[test]
fn cells_and_closures() {
    let c = make_cell(n(1.0));
    assert_eq!(show(cell_get(c)), "1");
    assert_eq!(show(cell_set(c, s("x"))), "nil");
    assert_eq!(show(cell_get(c)), "x");
    let f = make_closure(3, &[c, make_cell(Value::NIL)]).unwrap();
    assert_eq!(closure_cell(f, 0).unwrap(), c);
    assert!(heap::cell(closure_cell(f, 1).unwrap()).is_some());
    assert_eq!(
        msg(closure_cell(f, 2)),
        "internal error: no captured cell 2"
    );
    assert_eq!(msg(cell_get(n(1.0))), "internal error: not a cell");
    assert_eq!(
        msg(make_closure(0, &[n(1.0)])),
        "internal error: a closure capture must be a cell"
    );
    assert_eq!(type_name(f), "fun");
    assert!(is_callable(f) && is_callable(Value::func(0)) && is_callable(Value::builtin(1)));
    assert!(!is_callable(c) && !is_callable(n(0.0)) && !is_callable(Value::NIL));
}
