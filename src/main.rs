//! `ilusm`: the command-line driver. It parses arguments, loads a program
//! (compiling `.ilu` source or loading and verifying `.ilbc`), and hands it to
//! one of the back ends. It holds no language semantics of its own.
//!
//! Exit statuses: 0 success, 1 uncaught runtime error, 2 compile or usage
//! error (also: unreadable files, malformed `.ilbc`, link failures).

// Unit tests keep the test harness's `main`.
#![cfg_attr(not(test), no_main)]

mod difftest;
mod runtime_archive;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use ilusm_bytecode::Module;

/// Exit status of a compile, load, link or usage error.
const EXIT_COMPILE: u8 = 2;
/// Default maximum call depth (spec §7).
const DEFAULT_MAX_DEPTH: u64 = 10_000;

#[derive(Parser)]
#[command(name = "ilusm", version, about = "The ilusm language toolchain")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program (.ilu source or .ilbc bytecode) with the interpreter or the JIT.
    Run {
        /// Compile to native code in memory (Cranelift JIT) instead of interpreting.
        #[arg(long)]
        jit: bool,
        /// Maximum call depth (default: $ILUSM_MAX_DEPTH, else 10000).
        #[arg(long, value_name = "N")]
        max_depth: Option<u64>,
        /// Heap limit in bytes, with an optional K, M or G suffix (default: $ILUSM_MAX_HEAP, else none).
        #[arg(long, value_name = "SIZE")]
        max_heap: Option<String>,
        /// On an uncaught error, list each frame's local variables under it (interpreter only).
        #[arg(long, conflicts_with = "jit")]
        trace_locals: bool,
        /// The program (FILE), then the arguments passed to it. Everything after FILE goes to
        /// the program unchanged (`__sys_argv`), even words such as `--jit` or `--`.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "FILE [ARGS]"
        )]
        program: Vec<String>,
    },
    /// Compile a program to a bytecode file.
    Build {
        file: PathBuf,
        /// Output .ilbc file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Compile a program ahead of time to a native executable.
    Aot {
        file: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Target triple: x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu (default: the host).
        #[arg(long)]
        target: Option<String>,
        /// Emit Cranelift IR text or an object file instead of an executable.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Keep the function symbols in the executable, for profilers such as perf (each ilusm
        /// function is `ilusm_fnN_NAME`); by default it is stripped.
        #[arg(long)]
        symbols: bool,
    },
    /// Print the bytecode of a program in readable form.
    Dis { file: PathBuf },
    /// Differential testing: generate programs, run them on every path, compare.
    Difftest(difftest::Args),
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// Cranelift IR of every function, as text (to stdout unless -o is given).
    Clif,
    /// The object file, before linking.
    Obj,
    /// A linked executable (the default).
    Exe,
}

/// The process's entry, called by the C start-up: `#![no_main]` leaves out Rust's own start-up
/// code, which found the main thread's stack bounds by parsing `/proc/self/maps` (about a tenth
/// of `ilusm run hello.ilu`, in instructions and time) for a stack-overflow handler this binary
/// does not need (interpreted and native calls are bounded by the call-depth limit, and every
/// deep recursion runs on a thread sized for it). What it did that matters here is done
/// explicitly: `SIGPIPE` ignored (`ignore_sigpipe`, as in AOT executables) and stdout flushed
/// at the end. Arguments reach `std::env::args` through glibc's start-up all the same.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // A panic may not unwind out of an `extern "C"` function (it would abort): end with
    // status 101, as Rust's start-up did, after the panic hook has printed the message.
    std::panic::catch_unwind(cli_main).map_or(101, i32::from)
}

/// Test builds keep the harness's start-up and `main`; this one only roots the code below for
/// the dead-code lint, as the real `main` does in other builds.
#[cfg(test)]
fn main() {
    cli_main();
}

/// The command line's work: parse, run, report; the exit status.
fn cli_main() -> u8 {
    ilusm_runtime::io::ignore_sigpipe();
    let cli = Cli::parse();
    let code = match execute(cli.command) {
        Ok(status) => status,
        Err(message) => {
            eprint!("{message}");
            if !message.ends_with('\n') {
                eprintln!();
            }
            EXIT_COMPILE
        }
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    code
}

/// Runs one command; `Err` carries a message for a status-2 failure.
fn execute(command: Command) -> Result<u8, String> {
    match command {
        Command::Run {
            jit,
            max_depth,
            max_heap,
            trace_locals,
            program,
        } => {
            // `required` guarantees FILE; the rest are the program's arguments.
            let mut words = program.into_iter();
            let file = PathBuf::from(words.next().unwrap_or_default());
            let args: Vec<String> = words.collect();
            // Read once; an invalid limit is reported after the program loads, as before.
            let max_depth = max_depth.map_or_else(max_depth_from_env, Ok);
            // The process ends with the program (before any thread starts).
            ilusm_runtime::native::program_owns_process();
            if jit {
                let module = load(&file)?;
                let max_depth = run_settings(max_heap, max_depth)?;
                // The native runtime reads the limit from the environment,
                // exactly as an AOT executable does.
                std::env::set_var("ILUSM_MAX_DEPTH", max_depth.to_string());
                let status =
                    ilusm_aot::jit_run(&module, args).map_err(|e| format!("error: {e}"))?;
                return Ok(status.clamp(0, 255) as u8);
            }
            // The interpreter needs a thread with a big stack, and so does the compiler: one
            // thread does both. A second thread (a 64 MiB stack mapped and released, a malloc
            // arena, a start and an exit) was about 0.2 ms of the 2 ms `ilusm run hello.ilu`.
            let depth_for_stack = *max_depth.as_ref().unwrap_or(&DEFAULT_MAX_DEPTH);
            let stack = ilusm_frontend::COMPILER_STACK
                .max(ilusm_runtime::native::stack_size(depth_for_stack));
            std::thread::scope(|scope| {
                let thread = std::thread::Builder::new()
                    .name("ilusm".into())
                    .stack_size(stack)
                    .spawn_scoped(scope, move || {
                        let module = load_with(&file, ilusm_frontend::compile_source_here)?;
                        let max_depth = run_settings(max_heap, max_depth)?;
                        ilusm_interp::set_trace_locals(trace_locals);
                        let status = ilusm_interp::run_here(&module, args, max_depth, None);
                        Ok(status.clamp(0, 255) as u8)
                    });
                match thread {
                    Ok(t) => t.join().unwrap_or(Ok(101)),
                    Err(e) => Err(format!("error: cannot start the interpreter thread: {e}")),
                }
            })
        }
        Command::Build { file, output } => {
            let module = load(&file)?;
            let bytes = ilusm_bytecode::file::encode(&module);
            std::fs::write(&output, bytes)
                .map_err(|e| format!("error: cannot write {}: {e}", output.display()))?;
            Ok(0)
        }
        Command::Aot {
            file,
            output,
            target,
            emit,
            symbols,
        } => {
            let module = load(&file)?;
            let triple = target.unwrap_or_else(|| runtime_archive::HOST_TRIPLE.to_string());
            let emit = emit.unwrap_or(Emit::Exe);
            aot(&module, &triple, emit, output.as_deref(), symbols)?;
            Ok(0)
        }
        Command::Dis { file } => {
            let module = load(&file)?;
            print!("{}", ilusm_bytecode::dis::disassemble(&module));
            Ok(0)
        }
        Command::Difftest(args) => difftest::run(args),
    }
}

fn aot(
    module: &Module,
    triple: &str,
    emit: Emit,
    output: Option<&Path>,
    symbols: bool,
) -> Result<(), String> {
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|e| format!("error: cannot write {}: {e}", path.display()))
    };
    match emit {
        Emit::Clif => {
            let text = ilusm_aot::emit_clif(module, triple).map_err(|e| format!("error: {e}"))?;
            match output {
                Some(path) => write(path, text.as_bytes()),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        Emit::Obj | Emit::Exe => {
            let output = output.ok_or("error: missing output file: use -o FILE")?;
            let object =
                ilusm_aot::compile_object(module, triple).map_err(|e| format!("error: {e}"))?;
            if let Emit::Obj = emit {
                return write(output, &object);
            }
            let archive = runtime_archive::for_triple(triple)?;
            ilusm_aot::link_executable(&object, archive, triple, output, symbols)
                .map_err(|e| format!("error: {e}"))
        }
    }
}

/// Reads `ILUSM_MAX_DEPTH`, or the default.
fn max_depth_from_env() -> Result<u64, String> {
    match std::env::var("ILUSM_MAX_DEPTH") {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                format!("error: ILUSM_MAX_DEPTH must be a positive integer, got '{text}'")
            }),
        Err(_) => Ok(DEFAULT_MAX_DEPTH),
    }
}

/// The settings of `ilusm run` checked before anything runs, so that a bad value is a usage
/// error (status 2) rather than a failure mid-program: GC settings from the environment and
/// `--max-heap` (applied), and the call-depth limit (`--max-depth` or `ILUSM_MAX_DEPTH`, already
/// read; returned).
fn run_settings(max_heap: Option<String>, max_depth: Result<u64, String>) -> Result<u64, String> {
    ilusm_runtime::gc::check_env().map_err(|e| format!("error: {e}"))?;
    if let Some(size) = max_heap {
        let limit = ilusm_runtime::gc::parse_heap_size(&size)
            .map_err(|e| format!("error: --max-heap: {e}"))?;
        ilusm_runtime::gc::set_max_heap(Some(limit));
    }
    max_depth
}

/// Loads a program: `.ilbc` bytecode (a file named `*.ilbc`, or any file
/// starting with the magic number) is
/// decoded and verified; anything else is compiled as source. Compiler output
/// is verified too: the back ends trust only verified modules.
fn load(path: &Path) -> Result<Module, String> {
    load_with(path, ilusm_frontend::compile_source)
}

/// [`load`], compiling source with `compile` (`compile_source_here` on a thread with the
/// compiler's stack).
fn load_with(
    path: &Path,
    compile: fn(&str, &[u8]) -> Result<Module, Vec<ilusm_frontend::Diagnostic>>,
) -> Result<Module, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))?;
    let named_ilbc = path.extension().is_some_and(|e| e == "ilbc");
    if named_ilbc || bytes.starts_with(b"ILBC") {
        let (module, _info) = ilusm_bytecode::verify::load(&bytes)
            .map_err(|e| format!("error: {}: invalid bytecode: {e}", path.display()))?;
        return Ok(module);
    }
    let name = path.to_string_lossy();
    let module = compile(&name, &bytes).map_err(|diagnostics| {
        // A blank line between diagnostics keeps several errors apart.
        let rendered: Vec<String> = diagnostics.iter().map(|d| d.render()).collect();
        rendered.join("\n")
    })?;
    ilusm_bytecode::verify::verify(&module)
        .map_err(|e| format!("internal error: the compiler produced invalid bytecode: {e}"))?;
    Ok(module)
}
