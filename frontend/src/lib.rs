//! The ilusm frontend: source text in, an `ilusm_bytecode::Module` or
//! compile diagnostics out.
//!
//! The pipeline is [`lexer`] (text to tokens, indentation to
//! `Indent`/`Dedent`), [`parser`] (tokens to the [`ast`]), `resolve` (scopes
//! and binding rules, spec §6) and `compile` (the AST to bytecode, following
//! ARCHITECTURE.md's conventions). Every phase reports errors as values and
//! never panics, whatever the input.
//!
//! This crate does not run code, know run-time values, or verify bytecode
//! (that is `ilusm_bytecode::verify`, which every module passes before it
//! runs). The parser covers the whole language; the compiler currently
//! handles the "vertical slice" (numbers, strings, booleans, nil,
//! arithmetic, comparisons, logic, globals and locals, `if`, `whl`, named
//! functions, calls and builtins) and reports `not supported yet: ...` for
//! the rest.

pub mod ast;
mod compile;
mod diag;
mod emit;
pub mod lexer;
pub mod parser;
mod resolve;

pub use diag::{CompileError, Diagnostic, Pos};

use ilusm_bytecode::Module;
use std::path::Path;

/// Compile a program. `file_name` is recorded as `Module::files[0]` and
/// printed in diagnostics, as given.
pub fn compile_source(file_name: &str, source: &[u8]) -> Result<Module, Vec<Diagnostic>> {
    match with_big_stack(|| compile_here(file_name, source)) {
        Some(result) => result,
        None => Err(vec![Diagnostic {
            file: file_name.to_string(),
            line: 0,
            col: 0,
            message: "internal error: the compiler thread did not finish".to_string(),
            source_line: String::new(),
            hint: None,
        }]),
    }
}

/// Read and compile the file at `path`. A file that cannot be read gives
/// one diagnostic at line 0, rendered `error: cannot read FILE: REASON`.
pub fn compile_file(path: &Path) -> Result<Module, Vec<Diagnostic>> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => compile_source(&name, &bytes),
        Err(e) => Err(vec![Diagnostic {
            file: name.clone(),
            line: 0,
            col: 0,
            message: format!("cannot read {name}: {e}"),
            source_line: String::new(),
            hint: None,
        }]),
    }
}

fn compile_here(file_name: &str, source: &[u8]) -> Result<Module, Vec<Diagnostic>> {
    let lossy = String::from_utf8_lossy(source);
    let shown = lossy.strip_prefix('\u{feff}').unwrap_or(&lossy);
    let diagnostics = |errors: Vec<CompileError>| -> Vec<Diagnostic> {
        errors
            .into_iter()
            .map(|e| Diagnostic::from_error(file_name, shown, e))
            .collect()
    };
    let text = lexer::decode_source(source).map_err(|e| diagnostics(vec![e]))?;
    let tokens = lexer::tokenize(text).map_err(|e| diagnostics(vec![e]))?;
    let program = parser::parse(tokens).map_err(|e| diagnostics(vec![e]))?;
    let resolution = resolve::resolve(&program).map_err(diagnostics)?;
    compile::compile(&program, &resolution, file_name).map_err(diagnostics)
}

/// Stack for the compiler thread. The recursive phases are bounded by
/// [`lexer::MAX_NESTING`] levels, but a level's stack frames are large in
/// debug builds, and callers (test harness threads, fuzzers) may run on
/// small stacks; a dedicated thread makes the bound independent of them.
const COMPILER_STACK: usize = 64 << 20;

/// Run `job` on a thread with [`COMPILER_STACK`] bytes of stack (or here,
/// if no thread can be started). `None` only if the job did not finish.
fn with_big_stack<T: Send>(job: impl FnOnce() -> T + Send) -> Option<T> {
    let mut job = Some(job);
    let mut out = None;
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("ilusm-compile".to_string())
            .stack_size(COMPILER_STACK)
            .spawn_scoped(s, || {
                if let Some(job) = job.take() {
                    out = Some(job());
                }
            });
        if let Ok(handle) = spawned {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    if let Some(job) = job.take() {
        out = Some(job());
    }
    out
}
