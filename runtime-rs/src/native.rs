//! Start-up shared by AOT executables (through [`crate::abi::ilusm_rt_main`])
//! and the JIT (calling [`run_native`] directly), and the per-thread tables
//! the ABI functions read: constants, global slots and the native function
//! table.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use crate::abi::{ilusm_rt_constants, ilusm_rt_depth, ilusm_rt_max_depth};
use crate::builtins::{self, Caller};
use crate::context;
use crate::error::{arity_error, RtError, RtResult};
use crate::heap;
use crate::io;
use crate::print::type_name;
use crate::program::{ImageConstant, ProgramImage};
use crate::value::Value;

/// The generic entry of a compiled function: reads `arity` arguments from
/// `argv` and returns the result (or `Value::ERROR` with the error pending).
/// `env` is the closure value being called (the function reaches its
/// captured cells with `ilusm_rt_closure_cell(env, i)`), or nil when a plain
/// function value (`Value::func`) is called.
pub type NativeFn = extern "C" fn(env: u64, argv: *const u64) -> u64;

/// The default call-depth limit.
pub const DEFAULT_MAX_DEPTH: u64 = 10_000;
/// The largest accepted limit (the native stack is sized from it).
pub const MAX_MAX_DEPTH: u64 = 1_000_000;

/// Parse a call-depth limit as given in `ILUSM_MAX_DEPTH` or `--max-depth`:
/// an integer from 1 to [`MAX_MAX_DEPTH`].
pub fn parse_max_depth(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_MAX_DEPTH).contains(&n) => Ok(n),
        _ => Err(format!(
            "invalid call depth limit '{text}' (expected an integer from 1 to {MAX_MAX_DEPTH})"
        )),
    }
}

/// The limit from `ILUSM_MAX_DEPTH`, or the default when it is unset.
pub fn max_depth_from_env() -> Result<u64, String> {
    match std::env::var("ILUSM_MAX_DEPTH") {
        Ok(s) => parse_max_depth(&s).map_err(|e| format!("ILUSM_MAX_DEPTH: {e}")),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_DEPTH),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err("ILUSM_MAX_DEPTH: invalid call depth limit (not UTF-8)".into())
        }
    }
}

/// Stack size for the thread that runs a program with call-depth limit
/// `limit`: 16 MiB plus 2 KiB per level, so the limit, not the OS, decides.
pub fn stack_size(limit: u64) -> usize {
    (16 << 20) + (limit.min(MAX_MAX_DEPTH) as usize) * 2048
}

/// What the ABI functions need on the program's thread.
pub(crate) struct NativeState {
    pub table: Vec<NativeFn>,
    pub constants: Vec<Value>,
}

thread_local! {
    pub(crate) static NATIVE: RefCell<Option<NativeState>> = const { RefCell::new(None) };
    /// Base of the global slots (a leaked boxed slice, freed by `uninstall`).
    pub(crate) static GLOBALS: Cell<(*mut u64, usize)> = const { Cell::new((std::ptr::null_mut(), 0)) };
}

/// Set up this thread to run `image`: install the program, make the
/// constants (strings are allocated once, here) and the global slots (all
/// unassigned).
fn install(image: &Rc<ProgramImage>, table: Vec<NativeFn>) {
    context::install_program(image.clone());
    let globals = vec![Value::UNASSIGNED.0; image.globals.len()].into_boxed_slice();
    let len = globals.len();
    GLOBALS.with(|g| g.set((Box::into_raw(globals) as *mut u64, len)));
    NATIVE.with(|n| {
        *n.borrow_mut() = Some(NativeState {
            table,
            constants: Vec::with_capacity(image.constants.len()),
        })
    });
    // Each constant goes into the (rooted) table as soon as it is made: an
    // allocation may collect, and a vector being collected is not a root.
    for c in &image.constants {
        let v = match c {
            ImageConstant::Num(n) => Value::from_f64_canonical(*n),
            ImageConstant::Str(s) => heap::alloc_str(s),
        };
        NATIVE.with(|n| {
            if let Some(state) = n.borrow_mut().as_mut() {
                state.constants.push(v);
            }
        });
    }
    // The table is complete and never grows again, so its words stay where they are.
    NATIVE.with(|n| {
        if let Some(state) = n.borrow_mut().as_mut() {
            let base = state.constants.as_mut_ptr() as *mut u64;
            ilusm_rt_constants.store(base, Ordering::Relaxed);
        }
    });
}

/// Visit the collector roots of the native path: the constants and the
/// global slots (native code stores into those directly).
pub(crate) fn trace_roots(visit: &mut dyn FnMut(Value)) {
    NATIVE.with(|n| {
        if let Some(state) = n.borrow().as_ref() {
            state.constants.iter().for_each(|&v| visit(v));
        }
    });
    let (ptr, len) = GLOBALS.with(|g| g.get());
    if !ptr.is_null() {
        // SAFETY: the live global slots made by `install`.
        let slots = unsafe { std::slice::from_raw_parts(ptr, len) };
        slots.iter().for_each(|&w| visit(Value(w)));
    }
}

fn uninstall() {
    ilusm_rt_constants.store(std::ptr::null_mut(), Ordering::Relaxed);
    NATIVE.with(|n| *n.borrow_mut() = None);
    let (ptr, len) = GLOBALS.with(|g| g.replace((std::ptr::null_mut(), 0)));
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw of a boxed slice of this length in `install`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
    }
}

/// `call` of any value from native code: callability and arity checks,
/// then the function's generic entry (with `env` = the closure for a
/// closure, nil for a plain function); builtins through the dispatcher.
/// Returns the result word, or `Value::ERROR` with the error pending.
pub(crate) fn call_value(callee: Value, args: &[Value]) -> Value {
    let (f, env) = if let Some(f) = callee.as_func() {
        (f, Value::NIL)
    } else if let Some(c) = heap::closure(callee) {
        (c.func(), callee)
    } else if let Some(id) = callee.as_builtin() {
        return match builtins::call(id, args, &mut NativeCaller) {
            Ok(v) => v,
            Err(e) => context::raise(e),
        };
    } else {
        return context::raise(RtError::new(format!("cannot call {}", type_name(callee))));
    };
    let entry = NATIVE.with(|n| {
        n.borrow()
            .as_ref()
            .and_then(|s| s.table.get(f as usize).copied())
    });
    let (Some(entry), Some(arity)) = (entry, context::function_arity(f)) else {
        return context::raise(RtError::new(format!("internal error: no function {f}")));
    };
    if args.len() != arity as usize {
        let name = context::function_name(f).unwrap_or_default();
        return context::raise(arity_error(&name, arity, args.len()));
    }
    // A non-null pointer even for no arguments.
    let argv = if args.is_empty() {
        std::ptr::NonNull::<u64>::dangling().as_ptr() as *const u64
    } else {
        args.as_ptr() as *const u64
    };
    Value(entry(env.0, argv))
}

/// The [`Caller`] of the native path: calls go through `call_value` (as `ilusm_rt_call_value`), and
/// a pending error becomes `Err`.
pub struct NativeCaller;

impl Caller for NativeCaller {
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value> {
        let r = call_value(f, args);
        if r.is_error() {
            Err(context::take_pending())
        } else {
            Ok(r)
        }
    }
}

/// The calling process runs one program and ends with it: an AOT executable (`ilusm_rt_main`) or
/// `ilusm run`. Call it before any other thread starts.
///
/// - The program thread's heap is left to the operating system at exit
///   ([`crate::gc::leave_heap_at_exit`]).
/// - `malloc` keeps one arena (glibc's `M_ARENA_MAX`). The program runs on a thread of its own
///   (for its stack size), and glibc gives a second thread an arena of its own, which grows its
///   64 MiB heaps a few pages at a time with one `mprotect` each: the strings benchmark made
///   27,134 such calls. The main arena grows with `brk` in 128 KiB steps (833 calls). The
///   threads of one program never allocate at the same time, except the JIT's compiler threads
///   before it, where the per-thread caches serve most requests.
pub fn program_owns_process() {
    crate::gc::leave_heap_at_exit();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Run a compiled program: `table[i]` is the generic entry of function `i`
/// of `image`. Reads `ILUSM_MAX_DEPTH` and checks the collector's settings
/// (`ILUSM_MAX_HEAP`, see [`crate::gc`]); runs the entry function on a
/// thread whose stack is sized from the limit; prints the report of an
/// uncaught error. Returns the exit status: 0, 1 after a runtime error, 2
/// if a setting or the program is invalid. `args` are the program's
/// arguments (without the executable's name).
pub fn run_native(image: ProgramImage, table: Vec<NativeFn>, args: Vec<String>) -> i32 {
    if let Err(msg) = crate::gc::check_env() {
        eprintln!("error: {msg}");
        return 2;
    }
    match max_depth_from_env() {
        Ok(limit) => run_native_with_limit(image, table, args, limit),
        Err(msg) => {
            eprintln!("error: {msg}");
            2
        }
    }
}

/// [`run_native`] with an explicit call-depth limit.
pub fn run_native_with_limit(
    image: ProgramImage,
    table: Vec<NativeFn>,
    args: Vec<String>,
    limit: u64,
) -> i32 {
    run_native_with_io(image, table, args, limit, None)
}

/// Output sinks (stdout, stderr) for a program thread; `None` means the
/// process's own.
pub type Sinks = Option<(Box<dyn Write + Send>, Box<dyn Write + Send>)>;

/// [`run_native_with_limit`] writing to the given sinks.
pub fn run_native_with_io(
    image: ProgramImage,
    table: Vec<NativeFn>,
    args: Vec<String>,
    limit: u64,
    sinks: Sinks,
) -> i32 {
    if table.len() != image.functions.len() {
        eprintln!(
            "error: malformed program: {} functions but {} native entries",
            image.functions.len(),
            table.len()
        );
        return 2;
    }
    ilusm_rt_max_depth.store(limit, Ordering::Relaxed);
    ilusm_rt_depth.store(0, Ordering::Relaxed);
    let thread = std::thread::Builder::new()
        .name("ilusm".into())
        .stack_size(stack_size(limit))
        .spawn(move || {
            // Collections scan the native stack from here down.
            crate::gc::with_stack_base(move || {
                if let Some((out, err)) = sinks {
                    io::set_sinks(out, err);
                }
                let image = Rc::new(image);
                install(&image, table);
                context::set_program_args(args);
                let entry =
                    NATIVE.with(|n| n.borrow().as_ref().map(|s| s.table[image.entry as usize]));
                let status = match entry {
                    Some(entry) => {
                        let r = entry(Value::NIL.0, std::ptr::NonNull::<u64>::dangling().as_ptr());
                        if r == Value::ERROR.0 {
                            let e = context::take_pending();
                            io::write_err(e.render(&image).as_bytes());
                            1
                        } else {
                            0
                        }
                    }
                    None => 2,
                };
                io::flush_out();
                uninstall();
                status
            })
        });
    match thread.map(|t| t.join()) {
        Ok(Ok(status)) => status,
        Ok(Err(_)) => 101,
        Err(e) => {
            eprintln!("error: cannot start the program thread: {e}");
            2
        }
    }
}

#[cfg(test)]
mod tests;
