//! Replays the `compile` fuzz target's committed corpus
//! (`fuzz/corpus/compile/`) and the inputs of crashes it found
//! (`tests/fuzz-regressions/compile/`) through the fuzz target's own check,
//! on the stable toolchain and without a fuzzer: what the fuzzer once
//! explored, or once crashed on, stays covered in every test run.

#[path = "../../fuzz/src/compile_check.rs"]
mod compile_check;

use std::path::{Path, PathBuf};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Run the check on every file of `dir` (under the repository root; a
/// missing directory has no files), returning how many there were; fails
/// listing every input that panicked.
fn replay(dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let files = if dir.exists() {
        files_in(&dir)
    } else {
        Vec::new()
    };
    let panicked: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).expect("a readable corpus file");
            std::panic::catch_unwind(|| compile_check::check_compile(&bytes)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        panicked.is_empty(),
        "{} of {} inputs panicked:\n{}",
        panicked.len(),
        files.len(),
        panicked.join("\n")
    );
    files.len()
}

#[test]
fn the_compile_corpus_compiles_or_fails_cleanly() {
    let n = replay("fuzz/corpus/compile");
    assert!(
        n > 100,
        "only {n} corpus files: is fuzz/corpus/compile there?"
    );
}

#[test]
fn the_compile_crash_inputs_compile_or_fail_cleanly() {
    replay("tests/fuzz-regressions/compile");
}
