//! The standard modules (spec §9): ilusm source under the workspace's
//! `lib/`, embedded into the toolchain at build time with `include_str!`,
//! so neither the CLI nor an AOT executable reads `lib/` at run time.
//!
//! `use NAME` loads module NAME as a unit named `<std>/NAME.ilu` (the name
//! diagnostics and traces print). An alias (`json` for `jsn`) loads the
//! same unit. The module's exports are its top-level functions whose
//! names do not start with `_`; trailing parameters named `opt_...` are
//! optional at a direct call ([`is_optional_param`]).

/// Each standard module: its name and its source.
const MODULES: &[(&str, &str)] = &[
    ("cry", include_str!("../../lib/cry.ilu")),
    ("fs", include_str!("../../lib/fs.ilu")),
    ("jsn", include_str!("../../lib/jsn.ilu")),
    ("net", include_str!("../../lib/net.ilu")),
    ("os", include_str!("../../lib/os.ilu")),
    ("trl", include_str!("../../lib/trl.ilu")),
    ("txt", include_str!("../../lib/txt.ilu")),
];

/// Other names a module answers to: (alias, module).
const ALIASES: &[(&str, &str)] = &[("json", "jsn")];

/// The prefix of a standard module's unit name.
pub const STD_PREFIX: &str = "<std>/";

/// The unit name and source of the standard module `name` (or alias).
pub fn find(name: &str) -> Option<(String, &'static str)> {
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, module)| *module);
    MODULES
        .iter()
        .find(|(m, _)| *m == canonical)
        .map(|(m, source)| (format!("{STD_PREFIX}{m}.ilu"), *source))
}

/// Every name `use` accepts, sorted, for the `unknown module` hint.
pub fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = MODULES
        .iter()
        .map(|(m, _)| *m)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .collect();
    names.sort_unstable();
    names
}

/// Whether a top-level function named `name` is exported (a module's
/// helpers start with `_`).
pub fn is_exported(name: &str) -> bool {
    !name.starts_with('_')
}

/// Whether a module function's parameter is optional: trailing
/// parameters named `opt_...` may be left out of a direct call
/// `MODULE.NAME(...)`, which then passes nil for them.
pub fn is_optional_param(name: &str) -> bool {
    name.starts_with("opt_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_share_the_unit() {
        assert_eq!(find("json").unwrap().0, "<std>/jsn.ilu");
        assert_eq!(find("jsn").unwrap().0, "<std>/jsn.ilu");
        assert!(find("nosuch").is_none());
        assert!(known_names().contains(&"json"));
    }

    /// Every module compiles, and exports exactly the functions of spec §9.
    #[test]
    fn every_module_compiles_with_the_spec_functions() {
        let expected: &[(&str, &[&str])] = &[
            ("cry", &["sha256", "sha512"]),
            ("fs", &["rd", "wr", "app", "ls", "md", "rm", "has"]),
            ("jsn", &["enc", "dec"]),
            ("json", &["enc", "dec"]),
            ("net", &["get", "post"]),
            ("os", &["env", "args", "run", "time", "sleep", "exit"]),
            (
                "trl",
                &[
                    "map", "fil", "fld", "sel", "idx", "any", "all", "tly", "srt", "rev", "unq",
                    "cat", "take", "drop", "slc", "sum", "max", "min", "has",
                ],
            ),
            (
                "txt",
                &[
                    "spl", "jn", "trm", "upr", "lwr", "rpt", "rep", "fnd", "sub", "sw", "ew",
                    "pad", "lpd",
                ],
            ),
        ];
        assert_eq!(expected.len(), known_names().len());
        for (module, functions) in expected {
            let program = format!("use {module}\nprn(kys({module}))\n");
            let compiled = crate::compile_source("t.ilu", program.as_bytes());
            let Ok(compiled) = compiled else {
                panic!("use {module} does not compile");
            };
            assert!(compiled.files.contains(&find(module).unwrap().0));
            let mut names: Vec<&str> = functions.to_vec();
            names.sort_unstable();
            // Each exported function is a function of the unit.
            for name in names {
                assert!(
                    compiled.functions.iter().any(|f| f.name == name),
                    "{module} lacks {name}"
                );
                let call = format!("use {module}\nf = {module}.{name}\n");
                assert!(crate::compile_source("t.ilu", call.as_bytes()).is_ok());
            }
        }
    }
}
