//! Builtin functions (spec §8), dispatched by id.
//!
//! Builtins that call back into ilusm code (`try` now; sorting with a
//! comparator or the like later) do so through a [`Caller`], which each back
//! end implements: the interpreter by re-entering its dispatch loop, the
//! native runtime by calling the function's generic entry.

use crate::containers;
use crate::context;
use crate::error::{arity_message, RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::ops;
use crate::print::{self, type_name};
use crate::value::Value;

/// Builtin names by id. A copy of `ilusm_bytecode::builtins::BUILTINS`
/// (this crate may not depend on the bytecode crate); a test in
/// `ilusm-interp` asserts the two lists are identical.
#[rustfmt::skip]
pub const NAMES: &[&str] = &[
    "prn",
    "len",
    "str",
    "num",
    "int",
    "typ",
    "try",
    "err",
    "asr",
    "psh",
    "pop",
    "kys",
    "has",
    "del",
    "chr",
    "ord",
    "flr",
    "sqrt",
    "abs",
    "min",
    "max",
    // Host functions (spec §9), then the extras beyond the seed set.
    "__sys_read_file",
    "__sys_write_file",
    "__http_get",
    "__http_post",
    "__sys_run_command",
    "__sys_get_env",
    "__buf_new",
    "__cry_hash",
    "__json_encode",
    "__json_decode",
    "__sys_read_dir",
    "__sys_stat",
    "__sys_remove",
    "__sys_mkdir",
    "__sys_argv",
    "__sys_get_time",
    "__sys_sleep",
    "__sys_exit",
    "__sys_append_file",
];

/// Builtin ids (indices into [`NAMES`]).
pub mod id {
    pub const PRN: u16 = 0;
    pub const LEN: u16 = 1;
    pub const STR: u16 = 2;
    pub const NUM: u16 = 3;
    pub const INT: u16 = 4;
    pub const TYP: u16 = 5;
    pub const TRY: u16 = 6;
    pub const ERR: u16 = 7;
    pub const ASR: u16 = 8;
    pub const PSH: u16 = 9;
    pub const POP: u16 = 10;
    pub const KYS: u16 = 11;
    pub const HAS: u16 = 12;
    pub const DEL: u16 = 13;
    pub const CHR: u16 = 14;
    pub const ORD: u16 = 15;
    pub const FLR: u16 = 16;
    pub const SQRT: u16 = 17;
    pub const ABS: u16 = 18;
    pub const MIN: u16 = 19;
    pub const MAX: u16 = 20;
    // Host functions (spec §9), implemented in `crate::host`.
    pub const SYS_READ_FILE: u16 = 21;
    pub const SYS_WRITE_FILE: u16 = 22;
    pub const HTTP_GET: u16 = 23;
    pub const HTTP_POST: u16 = 24;
    pub const SYS_RUN_COMMAND: u16 = 25;
    pub const SYS_GET_ENV: u16 = 26;
    pub const BUF_NEW: u16 = 27;
    pub const CRY_HASH: u16 = 28;
    pub const JSON_ENCODE: u16 = 29;
    pub const JSON_DECODE: u16 = 30;
    pub const SYS_READ_DIR: u16 = 31;
    pub const SYS_STAT: u16 = 32;
    pub const SYS_REMOVE: u16 = 33;
    pub const SYS_MKDIR: u16 = 34;
    pub const SYS_ARGV: u16 = 35;
    pub const SYS_GET_TIME: u16 = 36;
    pub const SYS_SLEEP: u16 = 37;
    pub const SYS_EXIT: u16 = 38;
    pub const SYS_APPEND_FILE: u16 = 39;
}

/// Calls an ilusm value from inside a builtin.
pub trait Caller {
    /// Call `f` (any value: arity and callability are checked, as for the
    /// `call` instruction) with `args`, and return its result or its error.
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value>;
}

/// A [`Caller`] for contexts without ilusm code (tests, constant folding):
/// calling a builtin works, calling a user function is an error.
pub struct NoCaller;

impl Caller for NoCaller {
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value> {
        match f.as_builtin() {
            Some(id) => call(id, args, self),
            None => Err(RtError::new(
                "internal error: user functions cannot be called here",
            )),
        }
    }
}

/// The name of builtin `id`.
pub fn name(id: u16) -> &'static str {
    NAMES.get(id as usize).copied().unwrap_or("?")
}

/// How many arguments builtin `id` takes: `(min, max)`, `max = None` for variadic.
pub fn arity(id: u16) -> (u32, Option<u32>) {
    match id {
        id::PRN => (0, None),
        id::ASR => (1, Some(2)),
        id::PSH | id::HAS | id::DEL | id::MIN | id::MAX => (2, Some(2)),
        id::SYS_WRITE_FILE
        | id::SYS_APPEND_FILE
        | id::HTTP_GET
        | id::SYS_RUN_COMMAND
        | id::CRY_HASH => (2, Some(2)),
        id::HTTP_POST => (3, Some(3)),
        id::SYS_ARGV | id::SYS_GET_TIME => (0, Some(0)),
        _ => (1, Some(1)),
    }
}

fn check_arity(id: u16, got: usize) -> RtResult<()> {
    let (min, max) = arity(id);
    let ok = got >= min as usize && max.is_none_or(|m| got <= m as usize);
    if ok {
        return Ok(());
    }
    let message = match max {
        Some(m) if m == min => arity_message(name(id), min, got),
        Some(m) => format!("{} expects {min} or {m} arguments, got {got}", name(id)),
        None => format!("{} expects at least {min} arguments, got {got}", name(id)),
    };
    Err(RtError::new(message))
}

/// `NAME expects a TYPE, got T`.
fn expects(id: u16, what: &str, v: Value) -> Box<RtError> {
    RtError::new(format!("{} expects {what}, got {}", name(id), type_name(v)))
}

fn number(id: u16, v: Value) -> RtResult<f64> {
    v.as_f64().ok_or_else(|| expects(id, "a num", v))
}

/// Parse a number string for `num` and `int`: surrounding whitespace is
/// ignored; then an optional sign and either `0x` hex digits or a decimal
/// float in Rust's syntax (`12`, `-3.5`, `.5`, `1e9`, `inf`, `NaN`).
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let magnitude = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        hex.bytes().fold(0.0f64, |acc, b| {
            acc * 16.0 + (b as char).to_digit(16).unwrap_or(0) as f64
        })
    } else {
        // Rust's parser would take a second sign ("--1", "-+1"): refuse it.
        if body.starts_with(['+', '-']) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_arg(id: u16, v: Value) -> RtResult<f64> {
    if let Some(n) = v.as_f64() {
        return Ok(n);
    }
    let Some(s) = heap::str_of(v) else {
        return Err(expects(id, "a num or str", v));
    };
    parse_number(s).ok_or_else(|| {
        let mut q = String::new();
        print::quote(s, &mut q);
        RtError::new(format!("{}: cannot parse {q} as a number", name(id)))
    })
}

/// `try(f)`: call `f` with no arguments; `{val: result, err: nil}`, or
/// `{val: nil, err: "message"}` if the call raised (any runtime error,
/// from any depth, including a wrong arity of `f` itself). `f` may be a
/// function, a closure or a builtin.
#[inline(never)]
fn try_call(f: Value, caller: &mut dyn Caller) -> RtResult<Value> {
    if !containers::is_callable(f) {
        return Err(expects(id::TRY, "a fun", f));
    }
    let (val, err) = match caller.call(f, &[]) {
        Ok(v) => (v, Value::NIL),
        Err(e) => {
            // The error is handled: nothing of it may reach a later report.
            context::clear_pending();
            (Value::NIL, heap::alloc_string(e.message))
        }
    };
    // The result and the message are held across the allocations below,
    // which may collect: root them (and the object) explicitly.
    let roots = gc::TempRoots::new(&[val, err]);
    let r = heap::alloc_object(2);
    roots.push(r);
    let o = heap::object(r).expect("a new object");
    o.set_str("val", val);
    o.set_str("err", err);
    // Building the result never fails: a heap limit it exceeds is reported
    // by the program's next allocating operation.
    Ok(r)
}

/// Call builtin `id` with `args`.
pub fn call(id: u16, args: &[Value], caller: &mut dyn Caller) -> RtResult<Value> {
    // Builtins that call back into ilusm code are kept out of the big match
    // below, so each level of such re-entry costs little Rust stack.
    if id == id::TRY {
        check_arity(id, args.len())?;
        return try_call(args[0], caller);
    }
    call_plain(id, args)
}

/// Every builtin that does not call back into ilusm code.
#[inline(never)]
fn call_plain(id: u16, args: &[Value]) -> RtResult<Value> {
    check_arity(id, args.len())?;
    let a = args.first().copied().unwrap_or(Value::NIL);
    let num = Value::from_f64;
    match id {
        id::PRN => {
            print::prn(args);
            Ok(Value::NIL)
        }
        id::LEN => containers::len(a),
        id::STR => gc::ok(if heap::string(a).is_some() {
            a
        } else {
            heap::alloc_string(print::to_string(a))
        }),
        id::NUM => parse_arg(id, a).map(num),
        id::INT => parse_arg(id, a).map(|n| num(n.trunc())),
        id::TYP => gc::ok(heap::alloc_str(type_name(a))),
        id::ERR => Err(RtError::new(print::to_string(a))),
        id::ASR => {
            if ops::truthy(a) {
                Ok(Value::NIL)
            } else if let Some(&m) = args.get(1) {
                Err(RtError::new(print::to_string(m)))
            } else {
                Err(RtError::new("assertion failed"))
            }
        }
        id::CHR => {
            let n = number(id, a)?;
            let c = (n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n))
                .then(|| char::from_u32(n as u32))
                .flatten();
            match c {
                Some(c) => gc::ok(heap::alloc_string(c.to_string())),
                None => Err(RtError::new(format!(
                    "chr: invalid code point {}",
                    print::num_to_string(n)
                ))),
            }
        }
        id::ORD => {
            let s = heap::string(a).ok_or_else(|| expects(id, "a str", a))?;
            if s.char_len() != 1 {
                return Err(RtError::new(format!(
                    "ord expects a str of one code point, got {}",
                    s.char_len()
                )));
            }
            Ok(num(s.as_str().chars().next().map_or(0, |c| c as u32) as f64))
        }
        id::FLR => number(id, a).map(|n| num(n.floor())),
        id::SQRT => number(id, a).map(|n| num(n.sqrt())),
        id::ABS => number(id, a).map(|n| num(n.abs())),
        id::MIN | id::MAX => {
            let b = args[1];
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Err(RtError::new(format!(
                    "{} expects two nums, got {} and {}",
                    name(id),
                    type_name(a),
                    type_name(b)
                )));
            };
            Ok(num(min_max(id == id::MIN, x, y)))
        }
        id::PSH => containers::psh(a, args[1]),
        id::POP => containers::pop(a),
        id::KYS => containers::kys(a),
        id::HAS => containers::has(a, args[1]),
        id::DEL => containers::del(a, args[1]),
        _ => crate::host::call(id, args),
    }
}

/// `min`/`max` of two numbers, spelled out rather than `f64::min`/`max`:
/// those leave the sign of a zero result unspecified, and x86_64 and
/// aarch64 really do differ (found by difftest). Ties, including `0` and
/// `-0`, give the first argument; a NaN gives the other argument.
fn min_max(want_min: bool, x: f64, y: f64) -> f64 {
    if x.is_nan() {
        return y;
    }
    if y.is_nan() {
        return x;
    }
    let y_wins = if want_min { y < x } else { y > x };
    if y_wins {
        y
    } else {
        x
    }
}

#[cfg(test)]
mod tests;
