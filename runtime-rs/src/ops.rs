//! The general case of every operator (spec §4), written once.
//!
//! Back ends inline fast paths for numbers and booleans and call these for
//! everything else; each function also handles the fast-path cases, so it
//! is correct on any input.

use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap::{self, Kind};
use crate::print::{self, type_name};
use crate::value::Value;

mod equal;

pub use equal::equal;

fn binary_error(verb: &str, a: Value, b: Value) -> Box<RtError> {
    RtError::new(format!(
        "cannot {verb} {} and {}",
        type_name(a),
        type_name(b)
    ))
}

#[inline]
fn nums(a: Value, b: Value) -> Option<(f64, f64)> {
    Some((a.as_f64()?, b.as_f64()?))
}

/// `a + b`: numbers add; two strings concatenate; a string and anything
/// else concatenate with `str` of the other side; two lists make a new list.
pub fn add(a: Value, b: Value) -> RtResult<Value> {
    if let Some((x, y)) = nums(a, b) {
        return Ok(Value::from_f64(x + y));
    }
    match (heap::str_of(a), heap::str_of(b)) {
        (Some(x), Some(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            gc::ok(heap::alloc_string(s))
        }
        (Some(x), None) => {
            let mut s = x.to_owned();
            print::display(b, &mut s);
            gc::ok(heap::alloc_string(s))
        }
        (None, Some(y)) => {
            let mut s = print::to_string(a);
            s.push_str(y);
            gc::ok(heap::alloc_string(s))
        }
        (None, None) => match (heap::list(a), heap::list(b)) {
            (Some(x), Some(y)) => {
                let mut items = Vec::with_capacity(x.len() + y.len());
                items.extend(x.to_vec());
                items.extend(y.to_vec());
                gc::ok(heap::alloc_list(items))
            }
            _ => Err(binary_error("add", a, b)),
        },
    }
}

/// `a - b` (numbers only).
pub fn sub(a: Value, b: Value) -> RtResult<Value> {
    nums(a, b)
        .map(|(x, y)| Value::from_f64(x - y))
        .ok_or_else(|| binary_error("subtract", a, b))
}

/// `a * b` (numbers only).
pub fn mul(a: Value, b: Value) -> RtResult<Value> {
    nums(a, b)
        .map(|(x, y)| Value::from_f64(x * y))
        .ok_or_else(|| binary_error("multiply", a, b))
}

/// `a / b`: float division; dividing by zero is an error.
pub fn div(a: Value, b: Value) -> RtResult<Value> {
    let (x, y) = nums(a, b).ok_or_else(|| binary_error("divide", a, b))?;
    if y == 0.0 {
        return Err(RtError::new("division by zero"));
    }
    Ok(Value::from_f64(x / y))
}

/// `a % b`: C `fmod`, the sign of the dividend; by zero is an error.
pub fn rem(a: Value, b: Value) -> RtResult<Value> {
    let (x, y) = nums(a, b).ok_or_else(|| binary_error("take the remainder of", a, b))?;
    if y == 0.0 {
        return Err(RtError::new("division by zero"));
    }
    Ok(Value::from_f64(fmod(x, y)))
}

/// C `fmod(x, y)` for `y != 0`, bit for bit. Rust's `%` on `f64` is a
/// software `fmod` (tens of nanoseconds), so integers below 2^53 in
/// magnitude, the common case, take an integer remainder instead: it is
/// exact, as `fmod` is, and has the dividend's sign once `copysign` gives a
/// zero result the sign `fmod` would (`-7 % 7` is `-0`). Native code does
/// the same inline (`ilusm-aot`'s `mod`).
#[inline]
pub fn fmod(x: f64, y: f64) -> f64 {
    const EXACT: f64 = (1u64 << 53) as f64;
    if x.abs() < EXACT && y.abs() < EXACT {
        let (xi, yi) = (x as i64, y as i64);
        if xi as f64 == x && yi as f64 == y && yi != 0 {
            return ((xi % yi) as f64).copysign(x);
        }
    }
    x % y
}

/// `-a`.
pub fn neg(a: Value) -> RtResult<Value> {
    a.as_f64()
        .map(|x| Value::from_f64(-x))
        .ok_or_else(|| RtError::new(format!("cannot negate {}", type_name(a))))
}

/// Truthiness (spec §2): `fls`, `nil`, `0`, NaN, `""` and `[]` are falsy.
#[inline]
pub fn truthy(a: Value) -> bool {
    if let Some(x) = a.as_f64() {
        return x != 0.0 && !x.is_nan();
    }
    match a {
        Value::FALSE | Value::NIL => false,
        Value::TRUE => true,
        _ => match heap::kind(a) {
            Some(Kind::Str) => heap::str_of(a).is_some_and(|s| !s.is_empty()),
            Some(Kind::List) => heap::list(a).is_some_and(|l| !l.is_empty()),
            // Objects (even `{}`), functions, builtins, buffers.
            _ => true,
        },
    }
}

/// `!a` / `not a`.
#[inline]
pub fn not(a: Value) -> Value {
    Value::from_bool(!truthy(a))
}

/// `a == b` as a value.
pub fn eq(a: Value, b: Value) -> Value {
    Value::from_bool(equal(a, b))
}

/// `a != b` as a value.
pub fn ne(a: Value, b: Value) -> Value {
    Value::from_bool(!equal(a, b))
}

/// Order two numbers or two strings (by code point); anything else is
/// `cannot compare T1 and T2`. `None` means unordered (NaN).
pub fn compare(a: Value, b: Value) -> RtResult<Option<std::cmp::Ordering>> {
    if let Some((x, y)) = nums(a, b) {
        return Ok(x.partial_cmp(&y));
    }
    match (heap::str_of(a), heap::str_of(b)) {
        // UTF-8 byte order is code-point order.
        (Some(x), Some(y)) => Ok(Some(x.cmp(y))),
        _ => Err(binary_error("compare", a, b)),
    }
}

/// `a < b`.
pub fn lt(a: Value, b: Value) -> RtResult<Value> {
    Ok(Value::from_bool(compare(a, b)?.is_some_and(|o| o.is_lt())))
}

/// `a <= b`.
pub fn le(a: Value, b: Value) -> RtResult<Value> {
    Ok(Value::from_bool(compare(a, b)?.is_some_and(|o| o.is_le())))
}

/// `a > b`.
pub fn gt(a: Value, b: Value) -> RtResult<Value> {
    Ok(Value::from_bool(compare(a, b)?.is_some_and(|o| o.is_gt())))
}

/// `a >= b`.
pub fn ge(a: Value, b: Value) -> RtResult<Value> {
    Ok(Value::from_bool(compare(a, b)?.is_some_and(|o| o.is_ge())))
}

/// The `concat` instruction (string interpolation): `str` of each value,
/// concatenated.
pub fn concat(values: &[Value]) -> RtResult<Value> {
    let mut s = String::new();
    for &v in values {
        print::display(v, &mut s);
    }
    gc::ok(heap::alloc_string(s))
}

#[cfg(test)]
mod tests;
