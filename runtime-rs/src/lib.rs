//! ilusm runtime: everything a running ilusm program needs, whichever back
//! end runs it.
//!
//! What it is: the value representation ([`value`], NaN-boxing), the heap
//! ([`heap`]), the general case of every operator ([`ops`]) and container
//! operation ([`containers`]), printing ([`print`](mod@print), [`io`]), the
//! builtins ([`builtins`]), runtime errors and their reports ([`error`]),
//! the host functions of spec §9 ([`host`]: files, HTTP, processes, JSON,
//! hashes, buffers), the garbage collector ([`gc`]), the program image ([`program`]), the
//! `extern "C"` ABI called by native code ([`abi`]) and the native start-up
//! ([`native`]).
//! The interpreter calls it as Rust; AOT executables link it as a static
//! library and reach it through [`abi`]; the JIT does both.
//!
//! What it is not: it knows nothing of bytecode, Cranelift or source text,
//! and depends on no other ilusm crate (ARCHITECTURE.md). It does not run
//! programs itself: executing instructions is the back ends' job.
//!
//! State: one program runs on one thread, and all runtime state (heap and
//! collector, output buffer, pending error, installed program) is
//! thread-local; see [`context`].

pub mod abi;
pub mod builtins;
pub mod containers;
pub mod context;
pub mod error;
pub mod gc;
pub mod heap;
pub mod host;
pub mod io;
pub mod native;
pub mod ops;
pub mod print;
pub mod program;
pub mod range;
pub mod value;

/// mimalloc instead of the C library's malloc when the `mimalloc` feature
/// is on (off by default: see its note in Cargo.toml): the buffers of strings,
/// lists and objects are allocated and freed at the rate the program makes
/// garbage. `no_thp`: transparent huge pages for its arena cost more at
/// start-up (zeroing 2 MiB pages) than they gain here.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use builtins::Caller;
pub use error::{RtError, RtResult};
pub use native::NativeFn;
pub use program::{ImageConstant, ImageFunction, ProgramImage};
pub use value::Value;
