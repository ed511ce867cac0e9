//! The builtin function table: the ids that `call_builtin` and
//! `push_builtin` carry. The runtime implements each id; a test in the
//! interpreter crate checks that both sides agree on names and order.

/// Builtins by id (the index). Spec §8 first, then the host functions of §9.
pub const BUILTINS: &[&str] = &[
    "prn", "len", "str", "num", "int", "typ", "try", "err", "asr", "psh", "pop", "kys", "has",
    "del", "chr", "ord", "flr", "sqrt", "abs", "min", "max",
];

/// The id of the builtin named `name`.
pub fn builtin_id(name: &str) -> Option<u16> {
    BUILTINS.iter().position(|b| *b == name).map(|i| i as u16)
}

/// The name of builtin `id`.
pub fn builtin_name(id: u16) -> Option<&'static str> {
    BUILTINS.get(id as usize).copied()
}

/// Id of `prn`, which the compiler turns into the `print` instruction.
pub const PRN: u16 = 0;
