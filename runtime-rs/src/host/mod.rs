//! The host functions of spec §9 (`__sys_*`, `__http_*`, `__buf_new`,
//! `__cry_hash`, `__json_*`): files, HTTP, processes, the environment,
//! time, buffers, hashes and JSON. The standard modules under `lib/` wrap
//! them. `builtins` dispatches every host id to [`call`].
//!
//! Every failure is an ordinary runtime error (catchable with `try`) whose
//! message names the resource and never carries an OS error number, so the
//! text is the same on every path and every machine (`runtime-rs/ERRORS.md`
//! lists them). Results are built with [`make_object`], which roots what it
//! holds across its allocations (ARCHITECTURE.md, GC invariant 3).

mod crypto;
mod fs;
mod http;
mod json;
mod process;

use crate::builtins::{id, name};
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::print::type_name;
use crate::value::Value;

/// Call host function `id` (arity already checked) with `args`.
#[inline(never)]
pub(crate) fn call(id: u16, args: &[Value]) -> RtResult<Value> {
    let arg = |i: usize| args.get(i).copied().unwrap_or(Value::NIL);
    match id {
        id::SYS_READ_FILE => fs::read_file(id, arg(0)),
        id::SYS_WRITE_FILE => fs::write_file(id, arg(0), arg(1)),
        id::SYS_APPEND_FILE => fs::append_file(id, arg(0), arg(1)),
        id::SYS_READ_DIR => fs::read_dir(id, arg(0)),
        id::SYS_STAT => fs::stat(id, arg(0)),
        id::SYS_REMOVE => fs::remove(id, arg(0)),
        id::SYS_MKDIR => fs::mkdir(id, arg(0)),
        id::HTTP_GET => http::request(id, arg(0), arg(1), None),
        id::HTTP_POST => http::request(id, arg(0), arg(1), Some(arg(2))),
        id::SYS_RUN_COMMAND => process::run_command(id, arg(0), arg(1)),
        id::SYS_GET_ENV => process::get_env(id, arg(0)),
        id::SYS_ARGV => process::argv(),
        id::SYS_GET_TIME => process::get_time(),
        id::SYS_SLEEP => process::sleep(id, arg(0)),
        id::SYS_EXIT => process::exit(id, arg(0)),
        id::BUF_NEW => buf_new(id, arg(0)),
        id::CRY_HASH => crypto::hash(id, arg(0), arg(1)),
        id::JSON_ENCODE => json::encode(id, arg(0)),
        id::JSON_DECODE => json::decode(id, arg(0)),
        _ => Err(RtError::new(format!("unknown builtin {id}"))),
    }
}

/// `NAME expects WHAT, got T`.
pub(crate) fn expects(id: u16, what: &str, v: Value) -> Box<RtError> {
    RtError::new(format!("{} expects {what}, got {}", name(id), type_name(v)))
}

/// The text of a string argument.
pub(crate) fn str_arg<'a>(id: u16, v: Value) -> RtResult<&'a str> {
    heap::str_of(v).ok_or_else(|| expects(id, "a str", v))
}

/// The bytes of content given as a str (its UTF-8) or a buf, copied: the
/// caller may allocate or block while holding them.
pub(crate) fn content_arg(id: u16, v: Value) -> RtResult<Vec<u8>> {
    if let Some(s) = heap::str_of(v) {
        Ok(s.as_bytes().to_vec())
    } else if let Some(b) = heap::buffer(v) {
        Ok(b.with_bytes(<[u8]>::to_vec))
    } else {
        Err(expects(id, "a str or buf", v))
    }
}

/// An OS error's text without the `(os error N)` that Rust appends, so
/// messages do not vary with the OS's error numbering:
/// `No such file or directory`.
pub(crate) fn os_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

/// A new object with `fields` in order. The values are rooted while the
/// object and its key strings are allocated.
pub(crate) fn make_object(fields: &[(&str, Value)]) -> RtResult<Value> {
    let roots = gc::TempRoots::new(&[]);
    for &(_, v) in fields {
        roots.push(v);
    }
    let o = heap::alloc_object(fields.len());
    roots.push(o);
    let obj = heap::object(o).expect("a new object");
    for &(k, v) in fields {
        obj.set_str(k, v);
    }
    gc::ok(o)
}

/// A new list of new strings.
pub(crate) fn string_list(items: impl IntoIterator<Item = String>) -> RtResult<Value> {
    let out = heap::alloc_list(Vec::new());
    let _root = gc::TempRoots::new(&[out]);
    let list = heap::list(out).expect("a new list");
    for s in items {
        list.push(heap::alloc_string(s));
    }
    gc::ok(out)
}

/// The largest buffer `__buf_new` makes: 4 GiB.
const MAX_BUFFER: f64 = (1u64 << 32) as f64;

/// `__buf_new(size)`: a buffer of `size` zero bytes.
fn buf_new(id: u16, size: Value) -> RtResult<Value> {
    let n = size.as_f64().ok_or_else(|| expects(id, "a num", size))?;
    if !(n.fract() == 0.0 && (0.0..=MAX_BUFFER).contains(&n)) {
        return Err(RtError::new(format!(
            "{}: invalid size {} (expected an integer from 0 to 4294967296)",
            name(id),
            crate::print::num_to_string(n)
        )));
    }
    gc::ok(heap::alloc_buffer(n as usize))
}
