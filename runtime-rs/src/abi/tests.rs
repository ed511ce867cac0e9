//! The container entry points as native code calls them: words in, words
//! out, `Value::ERROR` with the error pending on failure.

use super::*;
use crate::heap;

fn s(x: &str) -> u64 {
    heap::alloc_str(x).0
}

fn n(x: f64) -> u64 {
    Value::from_f64(x).0
}

fn show(v: u64) -> String {
    assert_ne!(
        v,
        Value::ERROR.0,
        "unexpected error: {}",
        context::take_pending()
    );
    print::to_string(Value(v))
}

fn error(v: u64) -> String {
    assert_eq!(v, Value::ERROR.0);
    context::take_pending().message
}

#[test]
fn lists_and_objects_through_the_abi() {
    let items = [n(1.0), s("two"), Value::TRUE.0];
    let xs = unsafe { ilusm_rt_make_list(items.as_ptr(), 3) };
    assert_eq!(show(xs), r#"[1, "two", tru]"#);
    assert_eq!(
        show(unsafe { ilusm_rt_make_list(std::ptr::null(), 0) }),
        "[]"
    );
    let pairs = [s("name"), s("ibot"), s("port"), n(8080.0)];
    let o = unsafe { ilusm_rt_make_object(pairs.as_ptr(), 2, 0) };
    assert_eq!(show(o), r#"{name: "ibot", port: 8080}"#);
    assert_eq!(
        show(unsafe { ilusm_rt_make_object(std::ptr::null(), 0, 0) }),
        "{}"
    );
    let bad = [n(1.0), n(2.0)];
    assert_eq!(
        error(unsafe { ilusm_rt_make_object(bad.as_ptr(), 1, 0) }),
        "obj key must be a str, got num"
    );

    assert_eq!(show(ilusm_rt_index(xs, n(1.0))), "two");
    assert_eq!(
        error(ilusm_rt_index(xs, n(5.0))),
        "index 5 out of range for lst of length 3"
    );
    assert_eq!(show(ilusm_rt_index_opt(xs, n(5.0))), "nil");
    assert_eq!(show(ilusm_rt_index_opt(Value::NIL.0, n(0.0))), "nil");
    assert_eq!(error(ilusm_rt_index(n(1.0), n(0.0))), "cannot index num");
    assert_eq!(show(ilusm_rt_set_index(xs, n(0.0), n(7.0))), "nil");
    assert_eq!(
        error(ilusm_rt_set_index(s("abc"), n(0.0), n(7.0))),
        "cannot assign into str"
    );
    assert_eq!(show(ilusm_rt_len(xs)), "3");
    assert_eq!(
        error(ilusm_rt_len(Value::TRUE.0)),
        "len expects a str, lst, obj or buf, got bol"
    );

    // A string with the same text as the object's key, but another string
    // object: found by content, then cached at its position (1).
    let port = s("port");
    let mut ic = FieldCache { key: 0, pos: 0 };
    unsafe {
        assert_eq!(show(ilusm_rt_get_field_ic(o, port, &mut ic)), "8080");
        assert_eq!((ic.key, ic.pos), (port, 1));
        assert_eq!(
            show(ilusm_rt_set_field_ic(o, port, n(9000.0), &mut ic)),
            "nil"
        );
        assert_eq!(show(ilusm_rt_index(o, s("port"))), "9000");
        let mut fresh = FieldCache { key: 0, pos: 0 };
        assert_eq!(show(ilusm_rt_get_field_ic(o, s("nope"), &mut fresh)), "nil");
        assert_eq!(fresh.key, 0, "a missing key leaves the cache empty");
        assert_eq!(
            error(ilusm_rt_get_field_ic(Value::NIL.0, port, &mut fresh)),
            "cannot read field 'port' of nil"
        );
        assert_eq!(
            show(ilusm_rt_get_field_opt_ic(Value::NIL.0, port, &mut fresh)),
            "nil"
        );
        assert_eq!(
            error(ilusm_rt_set_field_ic(xs, port, n(1.0), &mut fresh)),
            "cannot set field 'port' of lst"
        );
    }

    assert_eq!(ilusm_rt_iter_prep(xs), xs);
    assert_eq!(show(ilusm_rt_iter_prep(o)), r#"["name", "port"]"#);
    assert_eq!(show(ilusm_rt_iter_prep(s("hé"))), r#"["h", "é"]"#);
    assert_eq!(error(ilusm_rt_iter_prep(n(1.0))), "cannot iterate over num");

    // Operators on containers.
    let ys = unsafe { ilusm_rt_make_list(items.as_ptr(), 3) };
    assert_eq!(
        show(ilusm_rt_add(xs, ys)),
        r#"[7, "two", tru, 1, "two", tru]"#
    );
    assert_eq!(ilusm_rt_eq(xs, ys), Value::FALSE.0);
    assert_eq!(ilusm_rt_set_index(xs, n(0.0), n(1.0)), Value::NIL.0);
    assert_eq!(ilusm_rt_eq(xs, ys), Value::TRUE.0);
    assert_eq!(
        ilusm_rt_truthy(unsafe { ilusm_rt_make_list(std::ptr::null(), 0) }),
        0
    );
    assert_eq!(
        ilusm_rt_truthy(unsafe { ilusm_rt_make_object(std::ptr::null(), 0, 0) }),
        1
    );
}

#[test]
fn cells_and_closures_through_the_abi() {
    let c = ilusm_rt_make_cell(n(1.0));
    assert_eq!(show(ilusm_rt_cell_get(c)), "1");
    assert_eq!(ilusm_rt_cell_set(c, s("x")), Value::NIL.0);
    assert_eq!(show(ilusm_rt_cell_get(c)), "x");
    let f = unsafe { ilusm_rt_make_closure(5, [c].as_ptr(), 1) };
    assert_eq!(ilusm_rt_closure_cell(f, 0), c);
    assert_eq!(
        error(ilusm_rt_closure_cell(f, 1)),
        "internal error: no captured cell 1"
    );
    assert_eq!(error(ilusm_rt_cell_get(f)), "internal error: not a cell");
    assert_eq!(
        error(unsafe { ilusm_rt_make_closure(5, [n(0.0)].as_ptr(), 1) }),
        "internal error: a closure capture must be a cell"
    );
    let g = unsafe { ilusm_rt_make_closure(5, std::ptr::null(), 0) };
    assert_eq!(ilusm_rt_eq(f, f), Value::TRUE.0);
    assert_eq!(ilusm_rt_eq(f, g), Value::FALSE.0);
}
