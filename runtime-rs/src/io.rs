//! Program output: one buffered stdout writer per program thread.
//!
//! Everything a program prints goes through [`write_out`]; it is flushed by
//! [`flush_out`] (at exit) and before anything is written to stderr with
//! [`write_err`], so the two streams interleave in program order. The sinks
//! are thread-local like the rest of the runtime state; by default they are
//! the process's stdout (block-buffered) and stderr. Tests and embedders may
//! replace them with [`set_sinks`].

use std::cell::RefCell;
use std::io::Write;

struct Sinks {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
}

fn default_sinks() -> Sinks {
    Sinks {
        out: Box::new(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        )),
        err: Box::new(std::io::stderr()),
    }
}

thread_local! {
    static SINKS: RefCell<Option<Sinks>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Sinks) -> R) -> R {
    SINKS.with(|s| f(s.borrow_mut().get_or_insert_with(default_sinks)))
}

/// Replace this thread's stdout and stderr sinks (the old ones are flushed
/// and dropped).
pub fn set_sinks(out: Box<dyn Write>, err: Box<dyn Write>) {
    let old = SINKS.with(|s| s.borrow_mut().replace(Sinks { out, err }));
    if let Some(mut old) = old {
        let _ = old.out.flush();
    }
}

/// Ignore `SIGPIPE` in this process, as every path's start-up does (the
/// CLI's `main` and `ilusm_rt_main`; Rust's own start-up, which did it for
/// the CLI, is not used: it costs a tenth of `ilusm run hello.ilu`). Output
/// to a closed pipe then fails with an error, which [`write_out`] ignores, and
/// the program runs on, on every path alike (docs/language.md).
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler
    // code; nothing else in the process relies on SIGPIPE being delivered.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Append to stdout (buffered). Write errors (a closed pipe) are ignored:
/// the program runs on (`SIGPIPE` is ignored: [`ignore_sigpipe`]).
pub fn write_out(bytes: &[u8]) {
    with(|s| {
        let _ = s.out.write_all(bytes);
    })
}

/// Flush stdout.
pub fn flush_out() {
    with(|s| {
        let _ = s.out.flush();
    })
}

/// Flush stdout, then write to stderr.
pub fn write_err(bytes: &[u8]) {
    with(|s| {
        let _ = s.out.flush();
        let _ = s.err.write_all(bytes);
        let _ = s.err.flush();
    })
}
