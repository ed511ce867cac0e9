//! Files and directories: `__sys_read_file`, `__sys_write_file`,
//! `__sys_append_file`, `__sys_read_dir`, `__sys_stat`, `__sys_remove`,
//! `__sys_mkdir`. Paths are used as given (relative to the working
//! directory); error messages quote them as given.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use super::{content_arg, make_object, os_message, str_arg, string_list};
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::value::Value;

/// `cannot VERB 'PATH': REASON`.
fn failed(verb: &str, path: &str, e: &std::io::Error) -> Box<RtError> {
    RtError::new(format!("cannot {verb} '{path}': {}", os_message(e)))
}

/// `__sys_read_file(path)`: the file's contents as a string.
pub(super) fn read_file(id: u16, path: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let bytes = fs::read(p).map_err(|e| failed("read file", p, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| RtError::new(format!("cannot read file '{p}': not valid UTF-8")))?;
    gc::ok(heap::alloc_string(text))
}

/// `__sys_write_file(path, content)`: replace the file atomically. The
/// content goes to a new temporary file in the same directory, which is
/// flushed to disk and then renamed over `path`: a reader (or a crash) sees
/// the old contents or the new, never a mix. An existing file's permissions
/// are kept.
pub(super) fn write_file(id: u16, path: Value, content: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let bytes = content_arg(id, content)?;
    write_atomically(Path::new(p), &bytes).map_err(|e| failed("write file", p, &e))?;
    Ok(Value::NIL)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let base = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidInput, "not a file name"))?;
    let temp = dir.join(format!(
        ".{}.{}-{}.tmp",
        base.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        if let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    match result {
        Ok(()) => {
            // Make the rename itself durable; a failure here loses nothing
            // the caller could act on.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// `__sys_append_file(path, content)`: append, creating the file if missing.
pub(super) fn append_file(id: u16, path: Value, content: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let bytes = content_arg(id, content)?;
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| failed("append to file", p, &e))?;
    Ok(Value::NIL)
}

/// `__sys_read_dir(path)`: the entry names (without `.` and `..`), sorted
/// by bytes. A name that is not UTF-8 has its invalid bytes replaced by
/// U+FFFD.
pub(super) fn read_dir(id: u16, path: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let fail = |e: std::io::Error| failed("read directory", p, &e);
    let mut names = Vec::new();
    for entry in fs::read_dir(p).map_err(fail)? {
        names.push(
            entry
                .map_err(fail)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    names.sort_unstable();
    string_list(names)
}

/// `__sys_stat(path)`: `{typ, size, mtime}` (symbolic links followed;
/// `mtime` in whole milliseconds since the epoch), or nil when nothing is
/// at `path`.
pub(super) fn stat(id: u16, path: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let meta = match fs::metadata(p) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Value::NIL)
        }
        Err(e) => return Err(failed("stat", p, &e)),
    };
    let typ = if meta.is_file() {
        "file"
    } else if meta.is_dir() {
        "dir"
    } else {
        "other"
    };
    let mtime = meta
        .modified()
        .ok()
        .map(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_millis() as f64,
            Err(before) => -(before.duration().as_millis() as f64),
        })
        .unwrap_or(0.0);
    let typ = heap::alloc_str(typ);
    make_object(&[
        ("typ", typ),
        ("size", Value::from_f64(meta.len() as f64)),
        ("mtime", Value::from_f64(mtime)),
    ])
}

/// `__sys_remove(path)`: remove a file (or symbolic link) or an empty
/// directory.
pub(super) fn remove(id: u16, path: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    let result = match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir(p),
        Ok(_) => fs::remove_file(p),
        Err(e) => Err(e),
    };
    result.map_err(|e| failed("remove", p, &e))?;
    Ok(Value::NIL)
}

/// `__sys_mkdir(path)`: create a directory and its missing parents; an
/// existing directory is fine.
pub(super) fn mkdir(id: u16, path: Value) -> RtResult<Value> {
    let p = str_arg(id, path)?;
    fs::create_dir_all(p).map_err(|e| failed("create directory", p, &e))?;
    Ok(Value::NIL)
}
