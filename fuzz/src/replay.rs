//! Replaying a fuzz target's inputs on the stable toolchain, without a
//! fuzzer: shared by `frontend/tests/fuzz_corpus.rs` and
//! `bytecode/tests/fuzz_corpus.rs`, which include this file by path.

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

/// Run `check` on every file of `dir` (relative to the repository root,
/// which is `manifest_dir/..`; a missing directory has no files), returning
/// how many there were; fails listing every input that panicked.
pub fn replay(manifest_dir: &str, dir: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(manifest_dir).join("..").join(dir);
    let files = if dir.exists() {
        files_in(&dir)
    } else {
        Vec::new()
    };
    let panicked: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).expect("a readable corpus file");
            std::panic::catch_unwind(|| check(&bytes)).is_err()
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
