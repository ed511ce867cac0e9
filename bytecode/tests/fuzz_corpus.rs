//! Replays the `verify` fuzz target's committed corpus
//! (`fuzz/corpus/verify/`) and the inputs of crashes it found
//! (`tests/fuzz-regressions/verify/`) through the fuzz target's own check,
//! on the stable toolchain and without a fuzzer: what the fuzzer once
//! explored, or once crashed on, stays covered in every test run.

#[path = "../../fuzz/src/ilbc_check.rs"]
mod ilbc_check;

#[path = "../../fuzz/src/replay.rs"]
mod replay;

fn replay(dir: &str) -> usize {
    replay::replay(env!("CARGO_MANIFEST_DIR"), dir, |bytes| {
        ilbc_check::check_ilbc(bytes)
    })
}

#[test]
fn the_verify_corpus_loads_or_fails_cleanly() {
    let n = replay("fuzz/corpus/verify");
    assert!(
        n > 100,
        "only {n} corpus files: is fuzz/corpus/verify there?"
    );
}

#[test]
fn the_verify_crash_inputs_load_or_fail_cleanly() {
    replay("tests/fuzz-regressions/verify");
}
