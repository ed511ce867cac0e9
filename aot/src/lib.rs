//! ilusm native code: the ONE lowering from verified bytecode to Cranelift IR, and what is built
//! on it.
//!
//! What this crate is:
//! - the lowering (`lower.rs`, with the per-opcode fast paths in `lower_ops.rs`, list elements
//!   and object fields in `lower_access.rs`, and the other container/closure instructions in
//!   `lower_heap.rs`), generic over [`cranelift_module::Module`], so that the very same IR feeds
//!   both back ends below. The operand stack lives in SSA values, locals in `cranelift-frontend`
//!   variables; numbers, booleans, nil, cells, list elements and cached object fields take
//!   inline fast paths, everything else calls the runtime ABI of `ARCHITECTURE.md`
//!   (`ilusm_rt_*`, declared in `abi.rs`). `numbers.rs` proves stack slots numbers at compile
//!   time so their checks disappear, and small functions whose parameters are arithmetic
//!   operands or indexed get a second body for number or list arguments, picked by one check at
//!   entry (`specialize.rs`), and direct calls with number arguments enter a number body with
//!   the floats in registers (`number_entry.rs`); small functions that call nothing, and the
//!   base cases of recursive ones, are lowered in place of their direct calls (`inline.rs`);
//!   object literals' key sequences are numbered as shapes (`shapes.rs`), and stretches of code,
//!   and loops, get versions that know a local's shape (`stretch.rs`, `twins.rs`) or that fields
//!   of a shape hold numbers (`field_numbers.rs`) or that a list's elements have a shape
//!   (`list_elements.rs`);
//!   each function's call-depth room and error block live in `lower_frame.rs`; calls of
//!   function values in `lower_call.rs`; values deep in a long literal's operand stack are kept
//!   in memory (`deep_stack.rs`); slow paths that rejoin hot code call the runtime through
//!   `preserve_all` trampolines (`slow_calls.rs`); the functions' IR, built in order, is
//!   compiled on worker threads and defined in order (`define.rs`);
//! - [`compile_object`]: an object file for `x86_64-unknown-linux-gnu` or
//!   `aarch64-unknown-linux-gnu` exporting `main`, which hands the program image and the table of
//!   generic entries to `ilusm_rt_main`; and [`emit_clif`], the textual IR of the same lowering;
//! - [`link_executable`]: linking such an object with the runtime static library, using `cc` or
//!   `aarch64-linux-gnu-gcc`;
//! - [`jit_run`]: the same lowering compiled in memory with `cranelift-jit`, the runtime's
//!   symbols resolved to the functions linked into this process, run by
//!   `ilusm_runtime::native::run_native`.
//!
//! What it is not: it implements no language semantics beyond fast paths that give the runtime's
//! answer (invariant 1 of `ARCHITECTURE.md`); it does not verify bytecode (its input must already
//! have passed `ilusm_bytecode::verify::verify`, and the lowering relies on that); it neither
//! interprets bytecode nor depends on the interpreter; it does not build the runtime archive (the
//! CLI's `build.rs` does).
//!
//! Calling convention of the generated code: per bytecode function, a *direct entry*
//! `([env,] room, arg1 .. argN) -> value` (`call_direct` calls it; only functions that read
//! captured cells take `env`; `room` is how many more frames fit under the depth limit at the
//! caller) and a *generic entry* `extern "C" fn(env, argv) -> value`, the runtime's `NativeFn`,
//! which loads the arguments and calls the direct entry with the room left at the depth the
//! runtime's caller published (`lower_frame.rs`). A function whose specialized body assumes only
//! numbers may also have a *number entry* `(room, args) -> result` with those arguments, and a
//! number result, as `f64`s; direct calls with known-number arguments use it
//! (`number_entry.rs`).

mod abi;
mod deep_stack;
mod define;
mod field_numbers;
mod inline;
mod int_locals;
mod jit;
mod link;
mod list_elements;
mod lower;
mod lower_access;
mod lower_call;
mod lower_frame;
mod lower_heap;
mod lower_ints;
mod lower_module;
mod lower_ops;
mod number_entry;
mod numbers;
mod object;
mod shapes;
mod slow_calls;
mod specialize;
mod stretch;
#[cfg(test)]
mod tests;
mod twins;

pub use jit::jit_run;
pub use link::link_executable;
pub use object::{compile_object, emit_clif};

use std::fmt;
use std::str::FromStr;

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use target_lexicon::{Architecture, OperatingSystem, Triple};

/// The target triples [`compile_object`] accepts.
pub const SUPPORTED_TRIPLES: &[&str] = &["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];

/// Everything that can go wrong between bytecode and a running native program.
#[derive(Debug)]
pub enum AotError {
    /// A target triple other than the supported ones.
    UnsupportedTarget(String),
    /// Cranelift rejected the IR or failed to compile or emit it (a bug in this crate).
    Codegen(String),
    /// The linker for the target is not installed.
    LinkerMissing { linker: String, package: String },
    /// The linker ran and failed; `stderr` is what it printed.
    LinkFailed { linker: String, stderr: String },
    /// Writing temporary files or running a tool failed.
    Io(std::io::Error),
}

impl fmt::Display for AotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AotError::UnsupportedTarget(t) => write!(
                f,
                "unsupported target '{t}' (supported: {})",
                SUPPORTED_TRIPLES.join(", ")
            ),
            AotError::Codegen(msg) => write!(f, "native code generation failed: {msg}"),
            AotError::LinkerMissing { linker, package } => write!(
                f,
                "linker '{linker}' not found; install it with `apt-get install {package}`"
            ),
            AotError::LinkFailed { linker, stderr } => {
                write!(f, "linking with '{linker}' failed:\n{}", stderr.trim_end())
            }
            AotError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AotError {}

impl From<std::io::Error> for AotError {
    fn from(e: std::io::Error) -> Self {
        AotError::Io(e)
    }
}

impl From<cranelift_module::ModuleError> for AotError {
    fn from(e: cranelift_module::ModuleError) -> Self {
        AotError::Codegen(format!("{e:?}"))
    }
}

/// Parse and check a target triple: x86_64 or aarch64, Linux.
pub(crate) fn parse_triple(triple: &str) -> Result<Triple, AotError> {
    let unsupported = || AotError::UnsupportedTarget(triple.to_string());
    let t = Triple::from_str(triple).map_err(|_| unsupported())?;
    let arch_ok = matches!(
        t.architecture,
        Architecture::X86_64 | Architecture::Aarch64(_)
    );
    if !arch_ok || t.operating_system != OperatingSystem::Linux {
        return Err(unsupported());
    }
    Ok(t)
}

/// The shared code generator settings: optimise for speed, verify IR in debug builds.
pub(crate) fn base_flags(pic: bool) -> settings::Builder {
    let mut b = settings::builder();
    let set = |b: &mut settings::Builder, k: &str, v: &str| {
        b.set(k, v).expect("valid Cranelift setting");
    };
    set(&mut b, "opt_level", "speed");
    set(&mut b, "is_pic", if pic { "true" } else { "false" });
    // Verified in debug builds, and on request (`ILUSM_VERIFY`, README) in release builds, where
    // it is off for compile time.
    set(
        &mut b,
        "enable_verifier",
        if cfg!(debug_assertions) || std::env::var_os("ILUSM_VERIFY").is_some() {
            "true"
        } else {
            "false"
        },
    );
    b
}

/// The ISA for an object file for `triple` (position independent: linked into PIE executables).
pub(crate) fn object_isa(triple: &str) -> Result<OwnedTargetIsa, AotError> {
    let t = parse_triple(triple)?;
    let builder = cranelift_codegen::isa::lookup(t)
        .map_err(|e| AotError::Codegen(format!("no code generator for '{triple}': {e}")))?;
    builder
        .finish(settings::Flags::new(base_flags(true)))
        .map_err(|e| AotError::Codegen(e.to_string()))
}
