//! Arbitrary bytes as a `.ilbc` file through the loader, the verifier, the
//! writer and the disassembler (see `src/ilbc_check.rs`).
#![no_main]

#[path = "../src/ilbc_check.rs"]
mod ilbc_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ilbc_check::check_ilbc(data));
