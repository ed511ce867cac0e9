//! Per-thread runtime state shared by both back ends.
//!
//! **Choice: all runtime state is thread-local.** One program runs on one
//! thread (the interpreter and the native start-up each run it on a thread
//! of its own with a large stack), so thread-local state needs no locking,
//! several programs (tests) can run in one process side by side, and
//! everything is torn down when the program's thread ends (but the heap's
//! objects are left to the operating system when the process ends with it:
//! [`crate::native::program_owns_process`]). The exceptions
//! are the call-depth counters `ilusm_rt_depth` / `ilusm_rt_max_depth`,
//! which the ABI fixes as process-wide statics (see [`crate::abi`]).
//!
//! State kept here: the installed [`ProgramImage`] (for `<fun NAME>`,
//! arity errors and `undefined name`), the program's arguments (for
//! `__sys_argv`), and the pending error of the native
//! path (ARCHITECTURE.md invariant 4). The heap ([`crate::heap`]) and its
//! collector's registry and roots ([`crate::gc`]), the output sinks
//! ([`crate::io`]) and the native tables ([`crate::native`]: constants and
//! global slots, collector roots) are thread-local in their own modules.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::RtError;
use crate::program::ProgramImage;
use crate::value::Value;

thread_local! {
    static PROGRAM: RefCell<Option<Rc<ProgramImage>>> = const { RefCell::new(None) };
    static PENDING: RefCell<Option<Box<RtError>>> = const { RefCell::new(None) };
    static ARGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Set the program's arguments (what `__sys_argv` returns: the words after
/// the program's name). Back ends call this on the program's thread.
pub fn set_program_args(args: Vec<String>) {
    ARGS.with(|a| *a.borrow_mut() = args);
}

/// The program's arguments.
pub fn program_args() -> Vec<String> {
    ARGS.with(|a| a.borrow().clone())
}

/// Make `image` the program of this thread. Both back ends call this first
/// on the program's thread; it also marks the thread as running a program
/// for the collector (its `ILUSM_GC_STATS` line is printed when the thread
/// ends).
pub fn install_program(image: Rc<ProgramImage>) {
    PROGRAM.with(|p| *p.borrow_mut() = Some(image));
    crate::gc::program_started();
}

/// The program of this thread, if one is installed.
pub fn program() -> Option<Rc<ProgramImage>> {
    PROGRAM.with(|p| p.borrow().clone())
}

/// The name of function `func` of the installed program.
pub fn function_name(func: u32) -> Option<String> {
    PROGRAM.with(|p| {
        p.borrow()
            .as_ref()
            .and_then(|img| img.functions.get(func as usize).map(|f| f.name.clone()))
    })
}

/// The arity of function `func` of the installed program.
pub fn function_arity(func: u32) -> Option<u32> {
    PROGRAM.with(|p| {
        p.borrow()
            .as_ref()
            .and_then(|img| img.functions.get(func as usize).map(|f| f.arity))
    })
}

/// The name of global slot `index` of the installed program.
pub fn global_name(index: u32) -> String {
    PROGRAM.with(|p| {
        p.borrow()
            .as_ref()
            .and_then(|img| img.globals.get(index as usize).cloned())
            .unwrap_or_else(|| format!("global #{index}"))
    })
}

/// Store `e` as the pending error and return [`Value::ERROR`].
pub fn raise(e: Box<RtError>) -> Value {
    PENDING.with(|p| *p.borrow_mut() = Some(e));
    Value::ERROR
}

/// Turn a result into an ABI word: the value, or [`Value::ERROR`] with the
/// error pending.
pub fn to_abi(r: Result<Value, Box<RtError>>) -> u64 {
    match r {
        Ok(v) => v.0,
        Err(e) => raise(e).0,
    }
}

/// Append a frame to the pending error's trace (no-op if none is pending).
pub fn trace(func: u32, pc: u32) {
    PENDING.with(|p| {
        if let Some(e) = p.borrow_mut().as_mut() {
            e.trace.push((func, pc));
        }
    })
}

/// Take the pending error. If none is pending (a back-end bug), an
/// internal error says so rather than panicking.
pub fn take_pending() -> Box<RtError> {
    PENDING
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| RtError::new("internal error: ERROR returned but no error is pending"))
}

/// Drop the pending error, if any (an error caught by `try`).
pub fn clear_pending() {
    PENDING.with(|p| p.borrow_mut().take());
}
