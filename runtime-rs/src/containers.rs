//! Lists, objects, buffers, cells and closures as the language sees them: literals,
//! indexing and fields (plain and nil-safe), loop preparation, and the
//! container builtins (`len psh pop kys has del`). Every message is in
//! ERRORS.md.
//!
//! Indices: a list or string index must be a number; it selects an element
//! when it is an integer `0 <= i < len` (strings count code points). Any
//! other number (negative, fractional, NaN, too large) is out of range.
//! Object keys must be strings; reading a missing key gives nil.
//!
//! Allocation: every operation that allocates returns its result through
//! `gc::ok`, so exceeding the heap limit fails the operation with `out of
//! memory`; those that grow a container in place end with a
//! `gc::safepoint`. `make_list` and `make_cell` themselves cannot fail (for
//! the runtime's own use); the instructions use [`make_list_checked`] and
//! [`make_cell_checked`], so that every path reports an exceeded limit at
//! the same instruction.

use std::cell::Cell;

use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap::{self, Kind};
use crate::ops;
use crate::print::{fmt_num, type_name};
use crate::value::Value;

/// A new list of `items` (the `make_list` instruction). Never fails: see
/// the module docs for the heap limit.
pub fn make_list(items: &[Value]) -> Value {
    heap::alloc_list(items.to_vec())
}

/// The `make_list` instruction: [`make_list`], or the out-of-memory error
/// if it took the heap past its limit.
pub fn make_list_checked(items: &[Value]) -> RtResult<Value> {
    gc::ok(make_list(items))
}

/// The `make_cell` instruction: [`make_cell`], or the out-of-memory error.
pub fn make_cell_checked(v: Value) -> RtResult<Value> {
    gc::ok(make_cell(v))
}

/// A new object from `key0, val0, key1, val1, ...` (the `make_object`
/// instruction). Keys must be strings. A repeated key keeps its first
/// position and its last value.
pub fn make_object(pairs: &[Value]) -> RtResult<Value> {
    make_object_shaped(pairs, 0)
}

/// [`make_object`] for an object literal whose key sequence native code numbered `shape`
/// (0: none); see `heap::ObjObj::shape`.
pub fn make_object_shaped(pairs: &[Value], shape: u32) -> RtResult<Value> {
    let o = heap::alloc_object(pairs.len() / 2);
    let obj = heap::object(o).expect("a new object");
    if shape != 0 {
        obj.set_shape(shape);
    }
    for kv in pairs.chunks(2) {
        let (k, v) = (kv[0], kv.get(1).copied().unwrap_or(Value::NIL));
        if !obj.set(k, v) {
            return Err(key_type_error(k));
        }
    }
    if shape != 0 {
        obj.confirm_shape(pairs.len() / 2);
    }
    gc::ok(o)
}

/// `obj key must be a str, got T`.
fn key_type_error(k: Value) -> Box<RtError> {
    RtError::new(format!("obj key must be a str, got {}", type_name(k)))
}

fn key_of<'a>(k: Value) -> RtResult<&'a str> {
    heap::str_of(k).ok_or_else(|| key_type_error(k))
}

/// The position an index selects in a sequence of `len` elements, or `None`
/// if out of range. A non-number is `T index must be a num, got T2`.
fn position(what: &str, i: Value, len: usize) -> RtResult<Option<usize>> {
    let Some(n) = i.as_f64() else {
        return Err(RtError::new(format!(
            "{what} index must be a num, got {}",
            type_name(i)
        )));
    };
    Ok((n >= 0.0 && n.fract() == 0.0 && n < len as f64).then_some(n as usize))
}

/// `index I out of range for T of length N`.
fn out_of_range(i: Value, what: &str, len: usize) -> Box<RtError> {
    let mut s = String::from("index ");
    fmt_num(i.to_f64_unchecked(), &mut s);
    s.push_str(&format!(" out of range for {what} of length {len}"));
    RtError::new(s)
}

/// The one-code-point string at `pos` of string `s`.
fn char_string(s: &heap::StrObj, pos: usize) -> Value {
    let c = s.char_at(pos).unwrap_or('\u{FFFD}');
    let mut buf = [0u8; 4];
    heap::alloc_str(c.encode_utf8(&mut buf))
}

/// `a[i]` when `opt` is false; `a?[i]` (nil for a nil `a` or an index out
/// of range) when true.
fn index_impl(a: Value, i: Value, opt: bool) -> RtResult<Value> {
    match heap::kind(a) {
        Some(Kind::List) => {
            let l = heap::list(a).expect("kind List");
            match position("lst", i, l.len())? {
                Some(p) => Ok(l.get(p).unwrap_or(Value::NIL)),
                None if opt => Ok(Value::NIL),
                None => Err(out_of_range(i, "lst", l.len())),
            }
        }
        Some(Kind::Object) => {
            let o = heap::object(a).expect("kind Object");
            Ok(o.get(key_of(i)?).unwrap_or(Value::NIL))
        }
        Some(Kind::Str) => {
            let s = heap::string(a).expect("kind Str");
            match position("str", i, s.char_len())? {
                Some(p) => gc::ok(char_string(s, p)),
                None if opt => Ok(Value::NIL),
                None => Err(out_of_range(i, "str", s.char_len())),
            }
        }
        Some(Kind::Buffer) => {
            let b = heap::buffer(a).expect("kind Buffer");
            match position("buf", i, b.len())? {
                Some(p) => Ok(Value::from_f64(b.get(p).unwrap_or(0) as f64)),
                None if opt => Ok(Value::NIL),
                None => Err(out_of_range(i, "buf", b.len())),
            }
        }
        _ if opt && a.is_nil() => Ok(Value::NIL),
        _ => Err(RtError::new(format!("cannot index {}", type_name(a)))),
    }
}

/// `a[i]`: list element, object value (nil if missing), or the code point
/// of a string as a string.
pub fn index(a: Value, i: Value) -> RtResult<Value> {
    index_impl(a, i, false)
}

/// `a?[i]`: like [`index`], but nil when `a` is nil or the index is out of
/// range. Type errors (`cannot index num`, a string list index) still raise.
pub fn index_opt(a: Value, i: Value) -> RtResult<Value> {
    index_impl(a, i, true)
}

/// `a[i] = v` -> nil: a list element in range, or an object key (added if
/// missing). Strings are immutable.
pub fn set_index(a: Value, i: Value, v: Value) -> RtResult<Value> {
    match heap::kind(a) {
        Some(Kind::List) => {
            let l = heap::list(a).expect("kind List");
            match position("lst", i, l.len())? {
                Some(p) => {
                    l.set(p, v);
                    Ok(Value::NIL)
                }
                None => Err(out_of_range(i, "lst", l.len())),
            }
        }
        Some(Kind::Object) => {
            key_of(i)?;
            heap::object(a).expect("kind Object").set(i, v);
            gc::safepoint()?;
            Ok(Value::NIL)
        }
        Some(Kind::Buffer) => {
            let b = heap::buffer(a).expect("kind Buffer");
            let Some(p) = position("buf", i, b.len())? else {
                return Err(out_of_range(i, "buf", b.len()));
            };
            b.set(p, byte_of(v)?);
            Ok(Value::NIL)
        }
        _ => Err(RtError::new(format!("cannot assign into {}", type_name(a)))),
    }
}

/// The byte a value stored into a buffer stands for: an integer 0-255.
fn byte_of(v: Value) -> RtResult<u8> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=255.0).contains(&n) => Ok(n as u8),
        Some(n) => {
            let mut s = String::from("buf byte must be an integer from 0 to 255, got ");
            fmt_num(n, &mut s);
            Err(RtError::new(s))
        }
        None => Err(RtError::new(format!(
            "buf byte must be an integer from 0 to 255, got {}",
            type_name(v)
        ))),
    }
}

fn field_name<'a>(key: Value) -> RtResult<&'a str> {
    heap::str_of(key).ok_or_else(|| RtError::new("internal error: a field name must be a str"))
}

/// `a.key` (`key` a string): the object's value, or nil if missing.
pub fn get_field(a: Value, key: Value) -> RtResult<Value> {
    get_field_cached(a, key, &Cell::new(u32::MAX))
}

/// [`get_field`] through the inline cache `hint` of one access site (see
/// [`heap::ObjObj::get_cached`]).
#[inline]
pub fn get_field_cached(a: Value, key: Value, hint: &Cell<u32>) -> RtResult<Value> {
    let name = field_name(key)?;
    match heap::object(a) {
        Some(o) => Ok(o.get_cached(key, name, hint).unwrap_or(Value::NIL)),
        None => Err(RtError::new(format!(
            "cannot read field '{name}' of {}",
            type_name(a)
        ))),
    }
}

/// `a?.key`: nil when `a` is nil, else [`get_field`].
pub fn get_field_opt(a: Value, key: Value) -> RtResult<Value> {
    if a.is_nil() {
        Ok(Value::NIL)
    } else {
        get_field(a, key)
    }
}

/// `a.key = v` -> nil (adds the key if missing).
pub fn set_field(a: Value, key: Value, v: Value) -> RtResult<Value> {
    set_field_cached(a, key, v, &Cell::new(u32::MAX))
}

/// [`set_field`] through the inline cache `hint` of one access site.
/// Replacing a present key never grows the object, so only adding one is a
/// safepoint.
#[inline]
pub fn set_field_cached(a: Value, key: Value, v: Value, hint: &Cell<u32>) -> RtResult<Value> {
    let name = field_name(key)?;
    match heap::object(a) {
        Some(o) => {
            if !o.replace_cached(key, name, v, hint) {
                o.set(key, v);
                gc::safepoint()?;
            }
            Ok(Value::NIL)
        }
        None => Err(RtError::new(format!(
            "cannot set field '{name}' of {}",
            type_name(a)
        ))),
    }
}

/// What an `x <- a` loop walks: a list is itself (the loop re-reads its
/// length each step, so elements pushed during the loop are visited); a
/// string becomes a new list of one-code-point strings; an object a new
/// list of its keys at this moment.
pub fn iter_prep(a: Value) -> RtResult<Value> {
    match heap::kind(a) {
        Some(Kind::List) => Ok(a),
        Some(Kind::Str) => {
            // `s` borrows the text of `a` across allocations, which may
            // collect: keep `a` rooted. The characters go straight into the
            // (rooted) result list, not into a vector the collector cannot see.
            let _root = gc::TempRoots::new(&[a]);
            let s = heap::string(a).expect("kind Str");
            let out = heap::alloc_list(Vec::with_capacity(s.char_len()));
            let list = heap::list(out).expect("a new list");
            let mut buf = [0u8; 4];
            for c in s.as_str().chars() {
                list.push(heap::alloc_str(c.encode_utf8(&mut buf)));
            }
            gc::ok(out)
        }
        Some(Kind::Object) => gc::ok(heap::alloc_list(
            heap::object(a).expect("kind Object").keys(),
        )),
        _ => Err(RtError::new(format!(
            "cannot iterate over {}",
            type_name(a)
        ))),
    }
}

/// `NAME expects WHAT, got T`.
fn expects(name: &str, what: &str, v: Value) -> Box<RtError> {
    RtError::new(format!("{name} expects {what}, got {}", type_name(v)))
}

/// `len(a)`: code points of a string, elements of a list, keys of an object.
pub fn len(a: Value) -> RtResult<Value> {
    let n = match heap::kind(a) {
        Some(Kind::Str) => heap::string(a).map_or(0, |s| s.char_len()),
        Some(Kind::List) => heap::list(a).map_or(0, |l| l.len()),
        Some(Kind::Object) => heap::object(a).map_or(0, |o| o.len()),
        Some(Kind::Buffer) => heap::buffer(a).map_or(0, |b| b.len()),
        _ => return Err(expects("len", "a str, lst, obj or buf", a)),
    };
    Ok(Value::from_f64(n as f64))
}

/// `psh(xs, v)`: append in place; returns `xs`. Only a push that grew the
/// buffer is a collection safepoint (one that did not added no bytes).
/// Inlined into `ilusm_rt_psh`, native code's call for it: a call of its own costs a fifth of
/// its instructions.
#[inline(always)]
pub fn psh(xs: Value, v: Value) -> RtResult<Value> {
    let l = heap::list(xs).ok_or_else(|| expects("psh", "a lst", xs))?;
    if l.push(v) {
        gc::safepoint()?;
    }
    Ok(xs)
}

/// `pop(xs)`: remove and return the last element.
pub fn pop(xs: Value) -> RtResult<Value> {
    let l = heap::list(xs).ok_or_else(|| expects("pop", "a lst", xs))?;
    l.pop().ok_or_else(|| RtError::new("pop from empty lst"))
}

/// `kys(o)`: a new list of the keys, in order.
pub fn kys(o: Value) -> RtResult<Value> {
    let obj = heap::object(o).ok_or_else(|| expects("kys", "an obj", o))?;
    gc::ok(heap::alloc_list(obj.keys()))
}

/// `has(c, k)`: an object has key `k` (a string); a list has an element
/// `== k`; a string contains the substring `k`.
pub fn has(c: Value, k: Value) -> RtResult<Value> {
    let found = match heap::kind(c) {
        Some(Kind::Object) => {
            let key = key_of(k)?;
            heap::object(c).is_some_and(|o| o.contains(key))
        }
        Some(Kind::List) => {
            let l = heap::list(c).expect("kind List");
            let mut i = 0;
            let mut found = false;
            while let Some(x) = l.get(i) {
                if ops::equal(x, k) {
                    found = true;
                    break;
                }
                i += 1;
            }
            found
        }
        Some(Kind::Str) => {
            let needle =
                heap::str_of(k).ok_or_else(|| expects("has", "a str to find in a str", k))?;
            heap::str_of(c).is_some_and(|s| s.contains(needle))
        }
        _ => return Err(expects("has", "a lst, obj or str", c)),
    };
    Ok(Value::from_bool(found))
}

/// `del(o, k)`: remove key `k` (missing is fine); returns `o`.
pub fn del(o: Value, k: Value) -> RtResult<Value> {
    let obj = heap::object(o).ok_or_else(|| expects("del", "an obj", o))?;
    obj.remove(key_of(k)?);
    Ok(o)
}

/// A new cell holding `v`. Never fails: see the module docs for the heap
/// limit.
pub fn make_cell(v: Value) -> Value {
    heap::alloc_cell(v)
}

fn cell_of<'a>(c: Value) -> RtResult<&'a heap::CellObj> {
    heap::cell(c).ok_or_else(|| RtError::new("internal error: not a cell"))
}

/// The value in cell `c`.
pub fn cell_get(c: Value) -> RtResult<Value> {
    Ok(cell_of(c)?.get())
}

/// Store `v` in cell `c` -> nil.
pub fn cell_set(c: Value, v: Value) -> RtResult<Value> {
    cell_of(c)?.set(v);
    Ok(Value::NIL)
}

/// A new closure of function `func` over `cells` (which must be cells).
pub fn make_closure(func: u32, cells: &[Value]) -> RtResult<Value> {
    if cells.iter().any(|&c| heap::cell(c).is_none()) {
        return Err(RtError::new(
            "internal error: a closure capture must be a cell",
        ));
    }
    gc::ok(heap::alloc_closure(func, cells.to_vec()))
}

/// Cell `i` of closure `c`.
pub fn closure_cell(c: Value, i: u32) -> RtResult<Value> {
    heap::closure(c)
        .and_then(|c| c.cells().get(i as usize).copied())
        .ok_or_else(|| RtError::new(format!("internal error: no captured cell {i}")))
}

/// Whether `v` can be called: a function, a closure or a builtin.
pub fn is_callable(v: Value) -> bool {
    v.as_func().is_some() || v.as_builtin().is_some() || heap::closure(v).is_some()
}

#[cfg(test)]
mod tests;
