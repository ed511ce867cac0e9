//! The builtin function table: the ids that `call_builtin` and
//! `push_builtin` carry. The runtime implements each id; a test in the
//! interpreter crate checks that both sides agree on names and order.

/// Builtins by id (the index). Spec §8 first, then the host functions of §9.
#[rustfmt::skip]
pub const BUILTINS: &[&str] = &[
    "prn",
    "len",
    "str",
    "num",
    "int",
    "typ",
    "try",
    "err",
    "asr",
    "psh",
    "pop",
    "kys",
    "has",
    "del",
    "chr",
    "ord",
    "flr",
    "sqrt",
    "abs",
    "min",
    "max",
    // Host functions (spec §9), then the extras beyond the seed set.
    "__sys_read_file",
    "__sys_write_file",
    "__http_get",
    "__http_post",
    "__sys_run_command",
    "__sys_get_env",
    "__buf_new",
    "__cry_hash",
    "__json_encode",
    "__json_decode",
    "__sys_read_dir",
    "__sys_stat",
    "__sys_remove",
    "__sys_mkdir",
    "__sys_argv",
    "__sys_get_time",
    "__sys_sleep",
    "__sys_exit",
    "__sys_append_file",
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
