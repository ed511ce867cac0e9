//! The process and its environment: `__sys_run_command`, `__sys_get_env`,
//! `__sys_argv`, `__sys_get_time`, `__sys_sleep`, `__sys_exit`.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{expects, make_object, os_message, str_arg, string_list};
use crate::builtins::name;
use crate::context;
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::io;
use crate::print::num_to_string;
use crate::value::Value;

/// `__sys_run_command(cmd, args)`: run `cmd` (looked up in `PATH` unless it
/// contains a `/`) with the strings of the list `args`, passed unchanged,
/// without a shell. stdin is empty; stdout and stderr are captured. The
/// result is `{cod, out, err}`: the exit status, or 128 + N when the child
/// was killed by signal N (as shells report it); output bytes that are not
/// UTF-8 become U+FFFD.
pub(super) fn run_command(id: u16, cmd: Value, args: Value) -> RtResult<Value> {
    let program = str_arg(id, cmd)?;
    let list = heap::list(args).ok_or_else(|| expects(id, "a lst of str arguments", args))?;
    let mut words = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let w = list.get(i).unwrap_or(Value::NIL);
        let text = heap::str_of(w).ok_or_else(|| {
            RtError::new(format!(
                "{}: argument {i} must be a str, got {}",
                name(id),
                crate::print::type_name(w)
            ))
        })?;
        words.push(text.to_string());
    }
    let fail =
        |e: std::io::Error| RtError::new(format!("cannot run '{program}': {}", os_message(&e)));
    let resolved = resolve_program(program).map_err(fail)?;
    let output = Command::new(resolved)
        .arg0(program)
        .args(&words)
        .stdin(Stdio::null())
        .output()
        .map_err(fail)?;
    let code = match output.status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128 + output.status.signal().unwrap_or(0)
        }
    };
    let out = heap::alloc_string(String::from_utf8_lossy(&output.stdout).into_owned());
    let _root = gc::TempRoots::new(&[out]);
    let err = heap::alloc_string(String::from_utf8_lossy(&output.stderr).into_owned());
    make_object(&[
        ("cod", Value::from_f64(code as f64)),
        ("out", out),
        ("err", err),
    ])
}

/// The file `program` names: itself if it contains a `/`, else the first
/// executable file of that name in a `PATH` directory (`/usr/bin:/bin` when
/// `PATH` is unset). The standard library would do this search itself, but
/// it learns that nothing was found only from a failing `exec` in the child,
/// which emulators (qemu-user, used to test aarch64 executables) do not
/// report back, so a missing program looked like a child exiting with 127.
/// Searching first gives the same error everywhere.
fn resolve_program(program: &str) -> std::io::Result<PathBuf> {
    let not_found = || std::io::Error::from_raw_os_error(libc::ENOENT);
    if program.is_empty() {
        return Err(not_found());
    }
    if program.contains('/') {
        let path = PathBuf::from(program);
        // Fails with the OS's reason (missing file, missing directory...).
        std::fs::metadata(&path)?;
        return Ok(path);
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(not_found)
}

/// `__sys_get_env(name)`: the variable's value (invalid UTF-8 replaced by
/// U+FFFD), or nil when it is not set.
pub(super) fn get_env(id: u16, var: Value) -> RtResult<Value> {
    let key = str_arg(id, var)?;
    if key.is_empty() || key.contains(['=', '\0']) {
        return Ok(Value::NIL);
    }
    match std::env::var_os(key) {
        Some(v) => gc::ok(heap::alloc_string(v.to_string_lossy().into_owned())),
        None => Ok(Value::NIL),
    }
}

/// `__sys_argv()`: a new list of the program's arguments.
pub(super) fn argv() -> RtResult<Value> {
    string_list(context::program_args())
}

/// `__sys_get_time()`: whole milliseconds since the Unix epoch.
pub(super) fn get_time() -> RtResult<Value> {
    let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as f64,
        Err(before) => -(before.duration().as_millis() as f64),
    };
    Ok(Value::from_f64(ms))
}

/// `__sys_sleep(ms)`: pause for `ms` milliseconds (fractions allowed).
/// Output printed so far is flushed first, so it shows before the pause.
pub(super) fn sleep(id: u16, ms: Value) -> RtResult<Value> {
    let n = ms.as_f64().ok_or_else(|| expects(id, "a num", ms))?;
    if !(n >= 0.0 && n.is_finite()) {
        return Err(RtError::new(format!(
            "{}: invalid duration {} (expected a non-negative number of milliseconds)",
            name(id),
            num_to_string(n)
        )));
    }
    io::flush_out();
    std::thread::sleep(Duration::from_secs_f64(n / 1000.0));
    Ok(Value::NIL)
}

/// `__sys_exit(code)`: end the program now with status `code` (an integer
/// 0-255), from any depth: stdout is flushed (and the `ILUSM_GC_STATS` line
/// printed) as at a normal end; no error report.
pub(super) fn exit(id: u16, code: Value) -> RtResult<Value> {
    let n = code.as_f64().ok_or_else(|| expects(id, "a num", code))?;
    if !(n.fract() == 0.0 && (0.0..=255.0).contains(&n)) {
        return Err(RtError::new(format!(
            "{}: invalid status {} (expected an integer from 0 to 255)",
            name(id),
            num_to_string(n)
        )));
    }
    io::flush_out();
    gc::report_at_exit();
    std::process::exit(n as i32)
}
