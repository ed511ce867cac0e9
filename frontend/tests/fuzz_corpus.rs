//! Replays the `compile` fuzz target's committed corpus
//! (`fuzz/corpus/compile/`) and the inputs of crashes it found
//! (`tests/fuzz-regressions/compile/`) through the fuzz target's own check,
//! on the stable toolchain and without a fuzzer: what the fuzzer once
//! explored, or once crashed on, stays covered in every test run.

#[path = "../../fuzz/src/compile_check.rs"]
mod compile_check;

#[path = "../../fuzz/src/replay.rs"]
mod replay;

fn replay(dir: &str) -> usize {
    replay::replay(env!("CARGO_MANIFEST_DIR"), dir, |bytes| {
        compile_check::check_compile(bytes)
    })
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
