//! Malformed `.ilbc` files: each is rejected by `decode`/`load` with its
//! specific message.

mod common;

use common::*;
use ilusm_bytecode::{decode, encode, load, Instr, LoadError};

/// The tiny module whose layout the offsets below refer to:
///
/// ```text
///  0 magic            4 version    6 flags
///  8 constant count  12 k0 tag    13 k0 bits     21 k1 tag  22 k1 len  26 "hi"
/// 28 global count    32 g0 len    36 "g"
/// 37 file count      41 file0 len 45 "t.ilu"
/// 50 function count  54 name len  58 "<main>"    64 arity   65 num_locals
/// 67 num_captures    69 file index 73 code len   77 code (5) 82 line count
/// 86 line entry 0 (pc, line, col) 98 entry      102 end
/// ```
fn tiny() -> Vec<u8> {
    let m = main_only(raw(&[
        Instr::PushNil,
        Instr::Print(1),
        Instr::Pop,
        Instr::Halt,
    ]));
    let bytes = encode(&m);
    assert_eq!(bytes.len(), 102);
    bytes
}

fn with(at: usize, new: &[u8]) -> Vec<u8> {
    let mut b = tiny();
    b[at..at + new.len()].copy_from_slice(new);
    b
}

fn cut(len: usize) -> Vec<u8> {
    tiny()[..len].to_vec()
}

#[test]
fn tiny_module_loads() {
    let (m, info) = load(&tiny()).unwrap();
    assert_eq!(m.functions[0].name, "<main>");
    assert_eq!(info.functions[0].max_stack, 1);
}

#[test]
fn round_trip_of_a_real_module() {
    let m = sample();
    let bytes = encode(&m);
    assert_eq!(decode(&bytes).unwrap(), m);
    let (back, _) = load(&bytes).unwrap();
    assert_eq!(encode(&back), bytes);
}

#[test]
fn empty_file() {
    assert_eq!(load_err(&[]), "truncated file: magic at byte offset 0");
}

#[test]
fn truncated_magic() {
    assert_eq!(load_err(b"IL"), "truncated file: magic at byte offset 0");
}

#[test]
fn bad_magic() {
    assert_eq!(load_err(&with(0, b"ILBX")), "bad magic: not an .ilbc file");
    assert_eq!(load_err(b"\x7fELF"), "bad magic: not an .ilbc file");
    assert_eq!(load_err(b"X"), "bad magic: not an .ilbc file");
}

#[test]
fn bad_version() {
    assert_eq!(
        load_err(&with(4, &[7, 0])),
        "unsupported .ilbc version 7 (this toolchain reads version 1)"
    );
}

#[test]
fn truncated_version() {
    assert_eq!(
        load_err(&cut(5)),
        "truncated file: version at byte offset 4"
    );
}

#[test]
fn bad_flags() {
    assert_eq!(
        load_err(&with(6, &[2, 0])),
        "unsupported .ilbc flags 0x0002 at byte offset 6 (known: 0x0001 local names)"
    );
    // The local-names flag without its section: the module ends early.
    assert!(
        load_err(&with(6, &[1, 0])).starts_with("truncated file: local name count of function 0"),
        "{}",
        load_err(&with(6, &[1, 0]))
    );
}

#[test]
fn truncated_constant_count() {
    assert_eq!(
        load_err(&cut(10)),
        "truncated file: constants count at byte offset 8"
    );
}

#[test]
fn truncated_number_constant() {
    // The constant count is checked against the remaining bytes first.
    assert_eq!(
        load_err(&cut(15)),
        "truncated file: 2 constants declared at byte offset 8 need at least 10 bytes but \
         only 3 remain"
    );
    // A file that ends inside the number's bits (count 1, tag, 4 of 8 bytes).
    let b = b"ILBC\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00";
    assert_eq!(load_err(b), "truncated file: constant 0 at byte offset 13");
}

#[test]
fn truncated_string_length() {
    assert_eq!(
        load_err(&cut(24)),
        "truncated file: constant 1 length at byte offset 22"
    );
}

#[test]
fn truncated_string_constant() {
    assert_eq!(
        load_err(&cut(27)),
        "truncated file: constant 1 of 2 bytes at byte offset 22 but only 1 bytes remain"
    );
}

#[test]
fn bad_constant_tag() {
    assert_eq!(
        load_err(&with(12, &[3])),
        "bad tag 3 for constant 0 at byte offset 12 (expected 1 = number or 2 = string)"
    );
}

#[test]
fn huge_constant_count() {
    assert_eq!(
        load_err(&with(8, &[0xFF; 4])),
        "truncated file: 4294967295 constants declared at byte offset 8 need at least \
         21474836475 bytes but only 90 remain"
    );
}

#[test]
fn huge_global_count() {
    assert_eq!(
        load_err(&with(28, &[0xFF; 4])),
        "truncated file: 4294967295 globals declared at byte offset 28 need at least \
         17179869180 bytes but only 70 remain"
    );
}

#[test]
fn huge_function_count() {
    assert_eq!(
        load_err(&with(50, &[0xFF; 4])),
        "truncated file: 4294967295 functions declared at byte offset 50 need at least \
         90194313195 bytes but only 48 remain"
    );
}

#[test]
fn huge_line_count() {
    assert_eq!(
        load_err(&with(82, &[0xFF; 4])),
        "truncated file: 4294967295 line entries of function 0 declared at byte offset 82 \
         need at least 51539607540 bytes but only 16 remain"
    );
}

#[test]
fn huge_code_length() {
    assert_eq!(
        load_err(&with(73, &[0xFF; 4])),
        "truncated file: function 0 code of 4294967295 bytes at byte offset 73 but only \
         25 bytes remain"
    );
}

#[test]
fn huge_string_length() {
    assert_eq!(
        load_err(&with(32, &[0xFF; 4])),
        "truncated file: global 0 of 4294967295 bytes at byte offset 32 but only 66 bytes remain"
    );
}

#[test]
fn huge_count_in_a_tiny_file() {
    // 40 bytes: header, then a count of 0xFFFFFFFF constants and junk.
    let mut b = b"ILBC\x01\x00\x00\x00\xff\xff\xff\xff".to_vec();
    b.resize(40, 0);
    assert_eq!(
        load_err(&b),
        "truncated file: 4294967295 constants declared at byte offset 8 need at least \
         21474836475 bytes but only 28 remain"
    );
}

#[test]
fn invalid_utf8_function_name() {
    assert_eq!(
        load_err(&with(58, &[0xFF])),
        "invalid UTF-8 in function 0 name at byte offset 58"
    );
}

#[test]
fn invalid_utf8_global_name() {
    assert_eq!(
        load_err(&with(36, &[0xC3])),
        "invalid UTF-8 in global 0 at byte offset 36"
    );
}

#[test]
fn invalid_utf8_string_constant() {
    assert_eq!(
        load_err(&with(27, &[0x80])),
        "invalid UTF-8 in constant 1 at byte offset 27"
    );
}

#[test]
fn truncated_global_count() {
    assert_eq!(
        load_err(&cut(34)),
        "truncated file: 1 globals declared at byte offset 28 need at least 4 bytes but only \
         2 remain"
    );
}

#[test]
fn truncated_file_count() {
    assert_eq!(
        load_err(&cut(40)),
        "truncated file: files count at byte offset 37"
    );
}

#[test]
fn truncated_function() {
    assert_eq!(
        load_err(&cut(64)),
        "truncated file: 1 functions declared at byte offset 50 need at least 21 bytes but \
         only 10 remain"
    );
}

#[test]
fn truncated_function_fields() {
    // A long name makes the function count plausible; then the fields run out.
    let mut m = main_only(raw(&[Instr::Halt]));
    m.functions[0].name = "x".repeat(30);
    let b = encode(&m);
    // functions count at 50, name length at 54, name at 58..88, arity at 88.
    assert_eq!(
        load_err(&b[..88]),
        "truncated file: function 0 arity at byte offset 88"
    );
    assert_eq!(
        load_err(&b[..90]),
        "truncated file: function 0 num_locals at byte offset 89"
    );
    assert_eq!(
        load_err(&b[..92]),
        "truncated file: function 0 num_captures at byte offset 91"
    );
    assert_eq!(
        load_err(&b[..95]),
        "truncated file: function 0 file index at byte offset 93"
    );
    assert_eq!(
        load_err(&b[..98]),
        "truncated file: function 0 code length at byte offset 97"
    );
}

#[test]
fn truncated_code() {
    assert_eq!(
        load_err(&cut(79)),
        "truncated file: function 0 code of 5 bytes at byte offset 73 but only 2 bytes remain"
    );
}

#[test]
fn truncated_line_table() {
    assert_eq!(
        load_err(&cut(92)),
        "truncated file: 1 line entries of function 0 declared at byte offset 82 need at \
         least 12 bytes but only 6 remain"
    );
}

#[test]
fn truncated_entry() {
    assert_eq!(
        load_err(&cut(100)),
        "truncated file: entry at byte offset 98"
    );
}

#[test]
fn trailing_bytes() {
    let mut b = tiny();
    b.extend_from_slice(&[0, 0, 0]);
    assert_eq!(
        load_err(&b),
        "trailing bytes: 3 bytes after the end of the module at byte offset 102"
    );
}

#[test]
fn format_errors_carry_their_offset() {
    match load(&with(12, &[9])) {
        Err(LoadError::Format { offset, .. }) => assert_eq!(offset, 12),
        other => panic!("{other:?}"),
    }
}

#[test]
fn verify_errors_come_through_load() {
    // Entry index 5 of 1 function.
    let b = with(98, &[5, 0, 0, 0]);
    match load(&b) {
        Err(LoadError::Verify(e)) => {
            assert_eq!(
                e.to_string(),
                "entry function index 5 out of range (1 functions)"
            )
        }
        other => panic!("{other:?}"),
    }
    // An unknown opcode in the code.
    assert_eq!(
        load_err(&with(80, &[0xEE])),
        "function '<main>' at offset 3: unknown opcode 0xee"
    );
}
