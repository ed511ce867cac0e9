//! What the `verify` fuzz target checks for one input. Shared, through
//! `#[path]`, by the fuzz target and by the stable replay test
//! `bytecode/tests/fuzz_corpus.rs`.
//!
//! The input is a would-be `.ilbc` file, loaded the way the CLI loads one
//! (`ilusm_bytecode::verify::load`: decode, then verify). Errors must be
//! values with a message; a file that decodes must re-encode to the same
//! bytes (the format has exactly one encoding of each module) and must
//! disassemble (the disassembler accepts unverified modules).

use ilusm_bytecode::{decode, disassemble, encode, verify};

/// Load the input as the CLI does and check the invariants above. Panics
/// (the fuzzer's crash) on any violation.
pub fn check_ilbc(data: &[u8]) {
    let module = match decode(data) {
        Ok(module) => module,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                verify::load(data).is_err(),
                "load accepts what decode rejects"
            );
            return;
        }
    };
    assert!(
        encode(&module) == data,
        "a decoded module re-encodes to different bytes"
    );
    let text = disassemble(&module);
    assert!(text.starts_with("ilbc version "));
    match verify::load(data) {
        Ok((_, info)) => {
            assert_eq!(info.functions.len(), module.functions.len());
            assert_eq!(verify::verify(&module).ok(), Some(info));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(verify::verify(&module).is_err(), "load and verify disagree");
        }
    }
}
