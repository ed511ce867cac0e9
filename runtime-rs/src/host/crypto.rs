//! `__cry_hash(data, alg)`: SHA-256 / SHA-512 digests (the `sha2` crate).

use sha2::{Digest, Sha256, Sha512};

use super::{content_arg, str_arg};
use crate::builtins::name;
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::value::Value;

/// The lowercase hex digest of `data` (a str's UTF-8 bytes, or a buf's
/// bytes) with `alg`, `"sha256"` or `"sha512"`.
pub(super) fn hash(id: u16, data: Value, alg: Value) -> RtResult<Value> {
    let alg_name = str_arg(id, alg)?;
    let digest: Vec<u8> = match alg_name {
        "sha256" => with_bytes(id, data, |b| Sha256::digest(b).to_vec())?,
        "sha512" => with_bytes(id, data, |b| Sha512::digest(b).to_vec())?,
        other => {
            let mut quoted = String::new();
            crate::print::quote(other, &mut quoted);
            return Err(RtError::new(format!(
                "{}: unknown algorithm {quoted} (expected \"sha256\" or \"sha512\")",
                name(id)
            )));
        }
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0'));
        hex.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0'));
    }
    gc::ok(heap::alloc_string(hex))
}

/// Run `f` on the bytes of a str or buf without copying them (nothing in
/// `f` allocates on the ilusm heap or runs ilusm code).
fn with_bytes<R>(id: u16, data: Value, f: impl FnOnce(&[u8]) -> R) -> RtResult<R> {
    if let Some(s) = heap::str_of(data) {
        Ok(f(s.as_bytes()))
    } else if let Some(b) = heap::buffer(data) {
        Ok(b.with_bytes(f))
    } else {
        // The same message as for file content.
        content_arg(id, data).map(|bytes| f(&bytes))
    }
}
