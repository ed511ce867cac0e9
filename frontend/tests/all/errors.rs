//! Compile errors through the public API: exact messages, positions and
//! rendering.

use crate::helpers::{error, first_diag};
use ilusm_frontend::{compile_file, compile_source};

#[test]
fn undefined_name() {
    let d = first_diag(b"x = 1\nprn(y)\n");
    assert_eq!(d.message, "undefined name 'y'");
    assert_eq!((d.line, d.col), (2, 5));
    assert_eq!(error("f(a) = a + b\n"), "undefined name 'b'");
}

#[test]
fn def_cannot_be_reassigned() {
    assert_eq!(
        error("def limit = 100\nlimit = 5\n"),
        "cannot reassign 'limit' (declared with def)"
    );
    let d = first_diag(b"f() =\n    def k = 1\n    k = 2\n    k\n");
    assert_eq!(d.message, "cannot reassign 'k' (declared with def)");
    assert_eq!((d.line, d.col), (3, 5));
    assert_eq!(
        error("def x = 1\ndef x = 2\n"),
        "cannot reassign 'x' (declared with def)"
    );
    assert_eq!(
        error("f(x) =\n    def x = 2\n    x\n"),
        "cannot reassign 'x' (declared with def)"
    );
    assert_eq!(
        error("def f = 1\nf() = 2\n"),
        "cannot reassign 'f' (declared with def)"
    );
}

#[test]
fn def_in_a_function_does_not_clash_with_a_global() {
    crate::helpers::compile("def x = 1\nf() =\n    x = 2\n    x\nprn(f(), x)\n");
}

#[test]
fn chained_comparison() {
    let d = first_diag(b"prn(1 < 2 < 3)\n");
    assert_eq!(d.message, "comparison operators cannot be chained");
    assert_eq!((d.line, d.col), (1, 11));
}

#[test]
fn brk_cnt_ret_outside_their_construct() {
    assert_eq!(error("brk\n"), "brk outside a loop");
    assert_eq!(error("if tru: cnt\n"), "cnt outside a loop");
    assert_eq!(error("ret 1\n"), "ret outside a function");
    assert_eq!(
        error("whl tru:\n    f() =\n        brk\n    brk\n"),
        "brk outside a loop"
    );
}

#[test]
fn lexical_errors_through_the_api() {
    assert_eq!(error("x = \"a\\qb\"\n"), "unknown escape '\\q'");
    assert_eq!(error("if x:\n    a\n  b\n"), "inconsistent indentation");
    assert_eq!(
        error("if x:\n    a\nif y:\n\tb\n"),
        "indentation mixes tabs and spaces"
    );
    let d = first_diag(b"x = 1\ny = \"a\x00\"\n");
    assert_eq!(
        (d.message.as_str(), d.line, d.col),
        ("NUL byte in source", 2, 7)
    );
    let d = first_diag(b"x = 1\ny = \"\xff\"\n");
    assert_eq!(
        (d.message.as_str(), d.line, d.col),
        ("invalid UTF-8 in source", 2, 6)
    );
}

#[test]
fn language_errors_of_the_whole_language() {
    assert_eq!(error("use nosuch\n"), "unknown module 'nosuch'");
    assert_eq!(
        error("use trl\ntrl.nope([])\n"),
        "module 'trl' has no function 'nope'"
    );
    assert_eq!(
        error("f() =\n    use \"x.ilu\"\n"),
        "'use' is only allowed at the top level of a file"
    );
    // Rebinding a local of an enclosing function, in any way but a parameter.
    for src in [
        "f() =\n    n = 0\n    g() =\n        n = n + 1\n    g\n",
        "f() =\n    n = 0\n    h = \\() n\n    g() =\n        n <- [1]: prn n\n    g\n",
        "f(n) =\n    g() =\n        def n = 2\n    g\n",
        "f() =\n    n = 0\n    g() =\n        k() =\n            n = 1\n        k\n    g\n",
    ] {
        assert_eq!(error(src), "cannot assign to captured name 'n'", "{src}");
    }
    let d = first_diag(b"f() =\n    n = 0\n    g() =\n        n = n + 1\n    g\n");
    assert_eq!((d.line, d.col), (4, 9));
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "'n' is a local of the enclosing function 'f'; a nested function cannot rebind it: \
             use another name, or keep the value in a list or object"
        )
    );
    // Parameters shadow; top-level names are globals, never captured.
    crate::helpers::compile("f(x) =\n    g = \\(x) x * 2\n    g(x)\nn = 0\nh() =\n    n = 1\n");
}

#[test]
fn several_errors_are_reported_in_order() {
    let diags = compile_source("t.ilu", b"prn(a)\nprn(b)\n").unwrap_err();
    let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs, ["undefined name 'a'", "undefined name 'b'"]);
}

#[test]
fn render_format() {
    // The spec's first line, then codespan's snippet: a gutter with the
    // line number, the span underlined (columns count code points).
    let d = first_diag("s = \"é\" + nope\n".as_bytes());
    assert_eq!(
        d.render(),
        "test.ilu:1:11: error: undefined name 'nope'\n  |\n1 | s = \"é\" + nope\n  |           ^^^^\n"
    );
    // Tabs are expanded to four spaces in the quoted line and the underline alike.
    let d = first_diag(b"if tru:\n\tprn(x)\n");
    assert_eq!(
        d.render(),
        "test.ilu:2:6: error: undefined name 'x'\n  |\n2 |     prn(x)\n  |         ^\n"
    );
    // A hint is a note under the snippet.
    let d = first_diag(b"x = \"\\q\"\n");
    assert!(d.render().ends_with(
        "^\n  |\n  = hint: valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\' and \\u{...}\n"
    ));
    // An error at the end of a line points just past its last character.
    let d = first_diag(b"x = 1 +\n");
    assert_eq!(
        d.render(),
        "test.ilu:1:8: error: expected an expression, found end of line\n  |\n1 | x = 1 +\n  |        ^\n"
    );
}

#[test]
fn crlf_source_lines_render_without_cr() {
    let d = first_diag(b"x = 1\r\nprn(y)\r\n");
    assert_eq!(d.source_line, "prn(y)");
}

#[test]
fn unreadable_file() {
    let path = std::path::Path::new("/nonexistent/dir/prog.ilu");
    let diags = compile_file(path).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!((diags[0].line, diags[0].col), (0, 0));
    let text = diags[0].render();
    assert!(
        text.starts_with("error: cannot read /nonexistent/dir/prog.ilu: "),
        "{text}"
    );
    assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
}

#[test]
fn nesting_limit() {
    let ok = format!("x = {}1{}\nprn(x)\n", "(".repeat(250), ")".repeat(250));
    crate::helpers::compile(&ok);
    let deep = format!("x = {}1{}\n", "(".repeat(300), ")".repeat(300));
    assert_eq!(error(&deep), "nesting too deep");
    let chain = format!("x = 1{}\n", " + 1".repeat(300));
    assert_eq!(error(&chain), "nesting too deep");
    let negations = format!("x = {}1\n", "-".repeat(300));
    assert_eq!(error(&negations), "nesting too deep");
    let blocks: String = (0..300)
        .map(|i| format!("{}if tru:\n", " ".repeat(i)))
        .collect();
    assert_eq!(
        error(&(blocks + &" ".repeat(300) + "1\n")),
        "nesting too deep"
    );
    let interp = format!("x = {}1{}\n", "$\"{".repeat(300), "}\"".repeat(300));
    assert_eq!(error(&interp), "nesting too deep");
}

/// Seeds for the mutation test below: valid programs touching every construct.
const FUZZ_SEEDS: &[&str] = &[
    "f(n) =\n    if n < 2: ret n\n    f(n - 1) + f(n - 2)\nx = $\"v={f(10)} {{ok}}\"\nwhl x: brk\nprn x, 1e3 0xF \"\\u{41}\" | mat [a?.b] \\(q) q\n",
    "i = 0\nwhl i < 10:\n    i = i + 1\n    if i % 2 == 0: cnt\n    prn(if i > 5: \"big\" | \"small\", i and tru or fls)\n",
    "kind(n) = if n == 0: \"zero\" | if n < 0: \"neg\" | \"pos\"\nif kind(1) == \"pos\":\n    prn \"p\"\n| if tru:\n\tprn 2\n| prn 3\n",
    "def k = 1\ng(a, b) =\n    h() = a\n    ret h\nname = mat k:\n    0: \"zero\"\n    1 => \"one\"\n    _: \"many\"\nx <- 0..k - 1: prn x\n",
    "use trl\nxs = [1, 2, {a: 3}]\nxs[0] = xs |> trl.map(\\(x) -x)\nprn(not !xs?[9]?.y, typ(prn), str(-0.5e-3))\n",
];

#[test]
fn garbage_never_panics() {
    // A cheap deterministic fuzz: prefixes and byte mutations of valid
    // programs must give a verified module or diagnostics, never a panic.
    // ILUSM_FUZZ_ITERS raises the number of mutations per seed.
    let iterations: usize = std::env::var("ILUSM_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for base in FUZZ_SEEDS {
        let bytes = base.as_bytes();
        for i in 0..bytes.len() {
            let _ = compile_source("fuzz.ilu", &bytes[..i]);
        }
        for _ in 0..iterations {
            let mut v = bytes.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % v.len().max(1);
                match next() % 3 {
                    0 if !v.is_empty() => v[at] = bytes[(next() as usize) % bytes.len()],
                    1 if !v.is_empty() => {
                        v.remove(at);
                    }
                    _ => {
                        let pool = b" \t\n(|:\"{}-\\$[]";
                        v.insert(at.min(v.len()), pool[(next() as usize) % pool.len()]);
                    }
                }
            }
            if let Ok(m) = compile_source("fuzz.ilu", &v) {
                ilusm_bytecode::verify::verify(&m)
                    .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&v)));
            }
        }
    }
}

#[test]
fn binding_rules_from_decisions() {
    assert_eq!(
        error("__x = 1\n"),
        "'__x' is reserved: names beginning with '__' belong to the host"
    );
    assert_eq!(
        error("f(__y) = 1\n"),
        "'__y' is reserved: names beginning with '__' belong to the host"
    );
    assert_eq!(error("prn(__nope)\n"), "undefined name '__nope'");
    assert_eq!(
        error("f() = 1\nf() = 2\n"),
        "function 'f' is already defined at 1:1"
    );
    assert_eq!(error("def f(x) = 1\n"), "expected '=', found '('");
    assert_eq!(
        error("x = whl tru: 1\n"),
        "expected an expression, found keyword 'whl'"
    );
    assert_eq!(error("prn str x\n"), "expected end of line, found name 'x'");
}
