//! Arbitrary bytes as ilusm source (plus `use`d files, see
//! `src/compile_check.rs`) through the frontend, the verifier, the .ilbc
//! round trip and the disassembler.
#![no_main]

#[path = "../src/compile_check.rs"]
mod compile_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| compile_check::check_compile(data));
