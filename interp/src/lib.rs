//! ilusm interpreter: a stack VM that executes verified bytecode.
//!
//! What it is: a loader that pre-decodes each function of a
//! [`ilusm_bytecode::Module`] into a vector of instructions (`load`), and a
//! dispatch loop over an operand stack and a frame stack (`vm`) with inline
//! fast paths for numbers and booleans. Entry point: [`run`].
//!
//! What it is not: it does not verify bytecode (callers run
//! `ilusm_bytecode::verify` first; the loader only rejects out-of-range
//! operands), and it implements no operation's general case, no builtin and
//! no printing: those are `ilusm-runtime`'s, shared with the native back
//! end, so both paths give one meaning and identical error reports.

mod fast;
mod fuse;
mod load;
mod vm;

use std::rc::Rc;

use ilusm_bytecode::Module;
use ilusm_runtime::native::{stack_size, Sinks};
use ilusm_runtime::{context, io, Caller, Value};

pub use load::program_image;

/// `--trace-locals`: whether an uncaught error's trace lists each frame's
/// local variables. A process-wide debugging switch of the CLI, read only
/// when an error unwinds.
static TRACE_LOCALS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turn `--trace-locals` on or off for every later run in this process.
pub fn set_trace_locals(on: bool) {
    TRACE_LOCALS.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn trace_locals() -> bool {
    TRACE_LOCALS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Run `module` to completion: print its output, report an uncaught error
/// on stderr. Returns the exit status: 0, 1 after a runtime error, 2 if the
/// module is malformed. `max_depth` is the call-depth limit (the CLI reads
/// `ILUSM_MAX_DEPTH` / `--max-depth`, e.g. with
/// `ilusm_runtime::native::max_depth_from_env`). `args` are the program's
/// arguments.
pub fn run(module: &Module, args: Vec<String>, max_depth: u64) -> i32 {
    run_with_io(module, args, max_depth, None)
}

/// [`run`], writing the program's stdout and stderr to `sinks` (`None`: the
/// process's own).
pub fn run_with_io(module: &Module, args: Vec<String>, max_depth: u64, sinks: Sinks) -> i32 {
    std::thread::scope(|scope| {
        // Interpreted calls use no Rust stack, but builtins that call back
        // into ilusm code nest dispatch loops: size the stack as native code's.
        let thread = std::thread::Builder::new()
            .name("ilusm".into())
            .stack_size(stack_size(max_depth))
            .spawn_scoped(scope, move || run_here(module, args, max_depth, sinks));
        match thread {
            Ok(t) => t.join().unwrap_or(101),
            Err(e) => {
                eprintln!("error: cannot start the interpreter thread: {e}");
                2
            }
        }
    })
}

/// [`run_with_io`] on the calling thread, which must have at least
/// `ilusm_runtime::native::stack_size(max_depth)` bytes of stack and must not
/// have run a program before (runtime state is per thread). For a caller
/// that starts such a thread anyway (the CLI compiles on it too), saving the
/// start of a second one.
pub fn run_here(module: &Module, args: Vec<String>, max_depth: u64, sinks: Sinks) -> i32 {
    let image = program_image(module);
    if let Some((out, err)) = sinks {
        io::set_sinks(out, err);
    }
    let image = Rc::new(image);
    context::install_program(image.clone());
    context::set_program_args(args);
    let status = match load::load(module) {
        Err(msg) => {
            io::write_err(format!("error: invalid bytecode: {msg}\n").as_bytes());
            2
        }
        Ok(prog) => {
            let mut vm = vm::Vm::new(&prog, max_depth);
            // The collector scans the native stack from here down.
            let run = || vm.call(Value::func(prog.entry), &[]);
            match ilusm_runtime::gc::with_stack_base(run) {
                Ok(_) => 0,
                Err(e) => {
                    io::write_err(e.render(&image).as_bytes());
                    1
                }
            }
        }
    };
    io::flush_out();
    status
}
