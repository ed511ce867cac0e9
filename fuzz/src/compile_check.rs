//! What the `compile` fuzz target checks for one input. Shared, through
//! `#[path]`, by the fuzz target and by the stable replay test
//! `frontend/tests/fuzz_corpus.rs`, so CI checks the committed corpus with
//! exactly the fuzzer's assertions and without a fuzzer.
//!
//! The input is a small in-memory file tree: the bytes up to the first NUL
//! are the program `main.ilu`; each further NUL-separated segment is one
//! more file, its path on the segment's first line and its contents after
//! that newline. `use "..."` reads only from this tree (a missing path is
//! `NotFound`), never from disk: a fuzzer that could write `use
//! "/dev/stdin"` would block, and results would depend on the machine.

use ilusm_bytecode::{decode, disassemble, encode, verify};
use std::collections::HashMap;

/// The name the program is compiled under (what diagnostics print).
pub const MAIN_FILE: &str = "main.ilu";

/// At most this many extra files are read from one input. A chain of `use`s
/// costs time and code quadratic in its length (each file re-binds every name
/// of the files after it, spec §9), so 1000 files take seconds by design,
/// which would only make the fuzzer report slow inputs (docs/fuzzing.md).
pub const MAX_EXTRA_FILES: usize = 64;

/// Split a fuzz input into its program and its extra files (see the module
/// documentation). Later segments with the same path replace earlier ones;
/// segments past [`MAX_EXTRA_FILES`] are ignored.
pub fn split_files(data: &[u8]) -> (&[u8], HashMap<String, &[u8]>) {
    let mut segments = data.split(|&b| b == 0);
    let main = segments.next().unwrap_or_default();
    let mut files = HashMap::new();
    for segment in segments.take(MAX_EXTRA_FILES) {
        let (path, contents) = match segment.iter().position(|&b| b == b'\n') {
            Some(nl) => (&segment[..nl], &segment[nl + 1..]),
            None => (segment, &segment[segment.len()..]),
        };
        files.insert(String::from_utf8_lossy(path).into_owned(), contents);
    }
    (main, files)
}

/// A diagnostic must point into its file: a line that exists and a column
/// at most one past the line's end (where an unexpected end of line is).
fn assert_position_in(d: &ilusm_frontend::Diagnostic, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let line = (d.line as usize)
        .checked_sub(1)
        .and_then(|i| lines.get(i))
        .unwrap_or_else(|| {
            panic!(
                "diagnostic at line {} of a {}-line file: {}",
                d.line,
                lines.len(),
                d.render()
            )
        });
    let end = line.trim_end_matches('\r').chars().count() as u32 + 1;
    assert!(
        d.col >= 1 && d.col <= end + 1,
        "diagnostic at column {} of a line of {} columns: {}",
        d.col,
        end - 1,
        d.render()
    );
}

/// Compile the input; a program that compiles must verify, survive the
/// `.ilbc` writer/reader round trip unchanged and disassemble identically
/// before and after it. Panics (the fuzzer's crash) on any violation; a
/// compile error must come with at least one diagnostic, each renderable and
/// pointing into its file.
pub fn check_compile(data: &[u8]) {
    let (main, files) = split_files(data);
    let read = |path: &str| -> std::io::Result<Vec<u8>> {
        files
            .get(path)
            .map(|bytes| bytes.to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    let module = match ilusm_frontend::compile_with_reader(MAIN_FILE, main, &read) {
        Ok(module) => module,
        Err(diagnostics) => {
            assert!(
                !diagnostics.is_empty(),
                "compile failed without a diagnostic"
            );
            for d in &diagnostics {
                assert!(!d.render().is_empty());
                let text = if d.file == MAIN_FILE {
                    main
                } else {
                    files.get(&d.file).copied().unwrap_or_default()
                };
                assert_position_in(d, text);
            }
            return;
        }
    };
    let info = verify::verify(&module)
        .unwrap_or_else(|e| panic!("the frontend's output fails verification: {e}"));
    let bytes = encode(&module);
    let decoded =
        decode(&bytes).unwrap_or_else(|e| panic!("the .ilbc writer's output does not decode: {e}"));
    // Compared as bytes, not with `==`: a NaN constant is not equal to itself.
    assert!(
        encode(&decoded) == bytes,
        "the .ilbc round trip changed the module"
    );
    let (_, reloaded_info) =
        verify::load(&bytes).unwrap_or_else(|e| panic!("the written .ilbc fails to load: {e}"));
    assert_eq!(
        info, reloaded_info,
        "verification differs after the round trip"
    );
    assert_eq!(
        disassemble(&module),
        disassemble(&decoded),
        "disassembly differs after the round trip"
    );
}
