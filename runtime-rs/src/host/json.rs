//! `__json_encode` and `__json_decode`.
//!
//! Decoding parses with `serde_json` (`preserve_order`: objects keep their
//! key order; a repeated key keeps its first position and its last value)
//! and converts the tree into ilusm values. Encoding is written here rather
//! than by converting to `serde_json::Value` first: numbers are written as
//! ilusm prints them (Rust's `Display` for `f64`, never an exponent, so
//! always valid JSON: `1` not `1.0`, `-0`, `1e21` as
//! `1000000000000000000000`), containers are walked with an explicit stack
//! (any depth costs heap, not Rust stack) and a container met again on its
//! own path is reported as a cycle. Strings are escaped by `serde_json`.

use std::collections::HashSet;

use super::str_arg;
use crate::builtins::name;
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap::{self, ListObj, ObjObj};
use crate::print::{fmt_num, type_name};
use crate::value::Value;

/// `__json_decode(text)`: the value `text` denotes. Malformed JSON is an
/// error with serde's description and position.
pub(super) fn decode(id: u16, text: Value) -> RtResult<Value> {
    let s = str_arg(id, text)?;
    let tree: serde_json::Value = serde_json::from_str(s)
        .map_err(|e| RtError::new(format!("{}: invalid JSON: {e}", name(id))))?;
    let roots = gc::TempRoots::new(&[]);
    let v = build(&tree, &roots);
    gc::ok(v)
}

/// The ilusm value of a JSON tree. Every new container is rooted in
/// `roots` as soon as it is made, and every finished child until it is
/// stored, so nothing is lost to a collection while the rest is built.
/// Recursion is bounded by serde_json's nesting limit (128).
fn build(j: &serde_json::Value, roots: &gc::TempRoots) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::NIL,
        J::Bool(b) => Value::from_bool(*b),
        J::Number(n) => Value::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        J::String(s) => heap::alloc_str(s),
        J::Array(items) => {
            let l = heap::alloc_list(Vec::with_capacity(items.len()));
            roots.push(l);
            let list = heap::list(l).expect("a new list");
            for item in items {
                let v = build(item, roots);
                list.push(v);
            }
            l
        }
        J::Object(map) => {
            let o = heap::alloc_object(map.len());
            roots.push(o);
            let obj = heap::object(o).expect("a new object");
            for (k, item) in map {
                let v = build(item, roots);
                // Storing allocates the key string: keep `v` alive.
                roots.push(v);
                obj.set_str(k, v);
            }
            o
        }
    }
}

/// A container being encoded and where to continue.
enum Open<'a> {
    List(&'a ListObj, usize),
    Object(&'a ObjObj, usize),
}

/// `__json_encode(v)`: compact JSON. Numbers must be finite; functions,
/// builtins and buffers cannot be encoded; neither can a list or object
/// that contains itself.
pub(super) fn encode(id: u16, v: Value) -> RtResult<Value> {
    let mut out = String::new();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut open: HashSet<usize> = HashSet::new();
    let mut next = Some(v);
    loop {
        if let Some(v) = next.take() {
            if let Some(l) = heap::list(v) {
                enter(id, v, &mut open, "lst")?;
                out.push('[');
                stack.push((Open::List(l, 0), v.heap_addr()));
            } else if let Some(o) = heap::object(v) {
                enter(id, v, &mut open, "obj")?;
                out.push('{');
                stack.push((Open::Object(o, 0), v.heap_addr()));
            } else {
                scalar(id, v, &mut out)?;
            }
        }
        let Some((top, addr)) = stack.last_mut() else {
            break;
        };
        match top {
            Open::List(l, i) => match l.get(*i) {
                Some(x) => {
                    if *i > 0 {
                        out.push(',');
                    }
                    *i += 1;
                    next = Some(x);
                }
                None => {
                    out.push(']');
                    open.remove(addr);
                    stack.pop();
                }
            },
            Open::Object(o, at) => match o.next_entry(*at) {
                Some((pos, k, x)) => {
                    if *at > 0 {
                        out.push(',');
                    }
                    *at = pos + 1;
                    string(heap::str_of(k).unwrap_or(""), &mut out);
                    out.push(':');
                    next = Some(x);
                }
                None => {
                    out.push('}');
                    open.remove(addr);
                    stack.pop();
                }
            },
        }
    }
    gc::ok(heap::alloc_string(out))
}

/// Note that container `v` is open; an error if it already is (a cycle).
fn enter(id: u16, v: Value, open: &mut HashSet<usize>, what: &str) -> RtResult<()> {
    if open.insert(v.heap_addr()) {
        Ok(())
    } else {
        Err(RtError::new(format!(
            "{}: cannot encode {} that contains itself",
            name(id),
            with_article(what)
        )))
    }
}

/// Append a value that is not a list or object.
fn scalar(id: u16, v: Value, out: &mut String) -> RtResult<()> {
    if let Some(n) = v.as_f64() {
        if !n.is_finite() {
            let mut s = format!("{}: cannot encode ", name(id));
            fmt_num(n, &mut s);
            return Err(RtError::new(s));
        }
        fmt_num(n, out);
        return Ok(());
    }
    match v {
        Value::NIL => out.push_str("null"),
        Value::TRUE => out.push_str("true"),
        Value::FALSE => out.push_str("false"),
        _ => match heap::str_of(v) {
            Some(s) => string(s, out),
            None => {
                return Err(RtError::new(format!(
                    "{}: cannot encode {}",
                    name(id),
                    with_article(type_name(v))
                )))
            }
        },
    }
    Ok(())
}

/// `a lst`, `an obj`.
fn with_article(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

/// Append `s` as a JSON string literal.
fn string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        // Serializing a str cannot fail; this keeps the code panic-free.
        Err(_) => out.push_str("\"\""),
    }
}
