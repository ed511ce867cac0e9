//! `use "file.ilu"`: files are read through the reader, relative to the
//! importing file, compiled into one module; cycles and missing files are
//! compile errors at the `use`.

use ilusm_bytecode::Instr::*;
use ilusm_frontend::{compile_with_reader, Diagnostic};
use std::collections::HashMap;

fn build(files: &[(&str, &str)]) -> Result<ilusm_bytecode::Module, Vec<Diagnostic>> {
    let map: HashMap<String, String> = files
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    let read = move |path: &str| -> std::io::Result<Vec<u8>> {
        map.get(path)
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    let (main_name, main_src) = files[0];
    compile_with_reader(main_name, main_src.as_bytes(), &read)
}

fn first_error(files: &[(&str, &str)]) -> String {
    match build(files) {
        Ok(_) => panic!("expected a compile error"),
        Err(d) => d[0].render(),
    }
}

#[test]
fn a_used_file_joins_the_module() {
    let m = build(&[
        ("dir/main.ilu", "use \"lib/u.ilu\"\nprn(twice(k))\n"),
        ("dir/lib/u.ilu", "k = 4\ntwice(x) = x * 2\n"),
    ])
    .unwrap();
    ilusm_bytecode::verify(&m).unwrap();
    assert_eq!(m.files, ["dir/main.ilu", "dir/lib/u.ilu"]);
    // main's globals, then u's, then u's "loaded" flag.
    assert_eq!(
        m.globals,
        ["k", "twice", "k", "twice", "<use dir/lib/u.ilu>"]
    );
    assert_eq!(m.functions[1].name, "<main>");
    assert_eq!(m.functions[1].file, 1);
    assert_eq!(m.functions[2].name, "twice");
    assert_eq!(m.functions[2].file, 1);
    let main = crate::helpers::instrs(&m, 0);
    assert_eq!(
        &main[..8],
        [
            PushFalse,
            SetGlobal(4),
            GetGlobal(4),
            JumpIf(29),
            PushTrue,
            SetGlobal(4),
            CallDirect { func: 1, argc: 0 },
            Pop
        ]
    );
    // Every name of u is copied into main's binding of it.
    assert_eq!(
        &main[8..12],
        [GetGlobal(2), SetGlobal(0), GetGlobal(3), SetGlobal(1)]
    );
}

#[test]
fn a_file_used_twice_is_one_unit() {
    let m = build(&[
        ("m.ilu", "use \"a.ilu\"\nuse \"b.ilu\"\nuse \"a.ilu\"\n"),
        ("a.ilu", "x = 1\n"),
        ("b.ilu", "use \"./a.ilu\"\ny = x\n"),
    ])
    .unwrap();
    assert_eq!(m.files, ["m.ilu", "a.ilu", "b.ilu"]);
    ilusm_bytecode::verify(&m).unwrap();
}

#[test]
fn import_cycle() {
    let text = first_error(&[
        ("m.ilu", "use \"a.ilu\"\n"),
        ("a.ilu", "use \"b.ilu\"\n"),
        ("b.ilu", "x = 1\nuse \"a.ilu\"\n"),
    ]);
    assert_eq!(
        text,
        "b.ilu:2:5: error: import cycle: a.ilu -> b.ilu -> a.ilu\n  |\n2 | use \"a.ilu\"\n  |     ^^^^^^^\n"
    );
    let text = first_error(&[("m.ilu", "use \"m.ilu\"\n")]);
    assert!(text.contains("import cycle: m.ilu -> m.ilu"), "{text}");
}

#[test]
fn missing_file_is_an_error_at_the_use() {
    let text = first_error(&[("d/m.ilu", "x = 1\nuse \"nope.ilu\"\n")]);
    assert!(
        text.starts_with("d/m.ilu:2:5: error: cannot read d/nope.ilu: "),
        "{text}"
    );
}

#[test]
fn errors_in_a_used_file_name_that_file() {
    let text = first_error(&[("m.ilu", "use \"u.ilu\"\n"), ("u.ilu", "prn(zz)\n")]);
    assert_eq!(
        text,
        "u.ilu:1:5: error: undefined name 'zz'\n  |\n1 | prn(zz)\n  |     ^^\n"
    );
    let text = first_error(&[("m.ilu", "use \"u.ilu\"\n"), ("u.ilu", "x = (\n")]);
    assert!(text.starts_with("u.ilu:"), "{text}");
}

#[test]
fn imported_names_are_bindings_of_the_importer() {
    let text = first_error(&[
        ("m.ilu", "def k = 1\nuse \"u.ilu\"\n"),
        ("u.ilu", "k = 2\n"),
    ]);
    assert!(
        text.contains("cannot reassign 'k' (declared with def)"),
        "{text}"
    );
    // A name only the used file defines resolves in the importer.
    build(&[("m.ilu", "use \"u.ilu\"\nprn(k)\n"), ("u.ilu", "k = 2\n")]).unwrap();
}
