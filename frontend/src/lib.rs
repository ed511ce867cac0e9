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
//! runs). It compiles the whole language of spec §1–§9. A program, every
//! file it `use`s ([`modules`]) and every standard module it `use`s
//! ([`stdlib`], embedded from `lib/`) compile into one module.

pub mod ast;
mod compile;
mod diag;
mod emit;
pub mod lexer;
mod modules;
pub mod parser;
mod resolve;
pub mod stdlib;
mod suggest;

pub use diag::{CompileError, Diagnostic, Pos};

use ilusm_bytecode::Module;
use std::path::Path;

/// Compile a program. `file_name` is recorded as `Module::files[0]` and
/// printed in diagnostics, as given; files it `use`s are read from disk,
/// relative to the directory of `file_name`.
pub fn compile_source(file_name: &str, source: &[u8]) -> Result<Module, Vec<Diagnostic>> {
    compile_with_reader(file_name, source, &|path: &str| std::fs::read(path))
}

/// [`compile_source`] on the calling thread, which must have at least
/// [`COMPILER_STACK`] bytes of stack: for a caller that starts such a thread
/// anyway (the CLI runs the program on it next), saving the start of one.
pub fn compile_source_here(file_name: &str, source: &[u8]) -> Result<Module, Vec<Diagnostic>> {
    compile_here(file_name, source, &|path: &str| std::fs::read(path))
}

/// [`compile_source`], reading the files the program `use`s with `read`
/// (given each file's path: the importer's directory joined with the
/// `use`d path, normalized lexically).
pub fn compile_with_reader(
    file_name: &str,
    source: &[u8],
    read: &(dyn Fn(&str) -> std::io::Result<Vec<u8>> + Sync),
) -> Result<Module, Vec<Diagnostic>> {
    match with_big_stack(|| compile_here(file_name, source, read)) {
        Some(result) => result,
        None => Err(vec![Diagnostic::file_level(
            file_name,
            "internal error: the compiler thread did not finish",
        )]),
    }
}

/// Read and compile the file at `path`. A file that cannot be read gives
/// one diagnostic at line 0, rendered `error: cannot read FILE: REASON`.
pub fn compile_file(path: &Path) -> Result<Module, Vec<Diagnostic>> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => compile_source(&name, &bytes),
        Err(e) => Err(vec![Diagnostic::file_level(
            &name,
            format!("cannot read {name}: {e}"),
        )]),
    }
}

fn compile_here(
    file_name: &str,
    source: &[u8],
    read: &dyn Fn(&str) -> std::io::Result<Vec<u8>>,
) -> Result<Module, Vec<Diagnostic>> {
    let loaded = modules::load(file_name, source, read);
    let units = &loaded.units;
    let diagnostics = |errors: Vec<(usize, CompileError)>| -> Vec<Diagnostic> {
        errors
            .into_iter()
            .map(|(u, e)| Diagnostic::from_error(&units[u].name, &units[u].shown, e))
            .collect()
    };
    if !loaded.errors.is_empty() {
        return Err(diagnostics(loaded.errors));
    }
    let programs: Vec<&ast::Program> = units
        .iter()
        .map(|u| u.program.as_ref().expect("parsed without errors"))
        .collect();
    // Resolve used files before their users: a `use` binds the names the
    // used file's resolution found.
    let mut resolutions: Vec<Option<resolve::Resolution<'_>>> =
        (0..units.len()).map(|_| None).collect();
    for &u in &loaded.order {
        let imports: std::collections::HashMap<Pos, resolve::Imported> = units[u]
            .imports
            .iter()
            .filter_map(|(&pos, &target)| {
                if units[target].is_std {
                    return Some((pos, resolve::Imported::Module(target)));
                }
                let res = resolutions[target].as_ref()?;
                let names = res
                    .globals
                    .iter()
                    .map(|name| (name.clone(), res.module_unit(name)))
                    .collect();
                Some((pos, resolve::Imported::File(names)))
            })
            .collect();
        match resolve::resolve(programs[u], &imports) {
            Ok(r) => resolutions[u] = Some(r),
            Err(errors) => {
                return Err(diagnostics(errors.into_iter().map(|e| (u, e)).collect()));
            }
        }
    }
    let inputs: Vec<compile::UnitInput<'_, '_>> = units
        .iter()
        .zip(&resolutions)
        .zip(&programs)
        .map(|((unit, res), program)| compile::UnitInput {
            name: unit.name.clone(),
            program,
            res: res.as_ref().expect("every unit is resolved"),
            imports: &unit.imports,
            is_std: unit.is_std,
        })
        .collect();
    compile::compile(&inputs).map_err(diagnostics)
}

/// Stack for the compiler thread. The recursive phases are bounded by
/// [`lexer::MAX_NESTING`] levels, but a level's stack frames are large in
/// debug builds, and callers (test harness threads, fuzzers) may run on
/// small stacks; a dedicated thread makes the bound independent of them.
pub const COMPILER_STACK: usize = 64 << 20;

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
