//! `ilusm run --trace-locals`: an uncaught error's trace lists each frame's
//! named locals (spec §7's "local values when available"), from source and
//! from a `.ilbc` file (whose debug section carries the names); the JIT does
//! not offer it.

use std::path::PathBuf;
use std::process::Command;

const PROGRAM: &str = "\
f(a, b) =
    c = [a, \"x\"]
    g = \\() c
    a / b + h(c)
h(xs) =
    n = len(xs)
    long = \"LONG\"
    err(\"boom \" + str(n))
k = 5
prn f(k, 2)
";

const EXPECTED: &str = "\
error: boom 2
  at h (prog.ilu:8:8)
      xs = [5, \"x\"], n = 2, long = \"01234567890123456789012345678901234567890123456789012345...
  at f (prog.ilu:4:14)
      a = 5, b = 2, c = [5, \"x\"], g = <fun>
  at <main> (prog.ilu:10:6)
";

fn ilusm(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ilusm"))
        .args(args)
        .current_dir(dir)
        .env_remove("ILUSM_MAX_DEPTH")
        .output()
        .expect("ilusm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A directory holding `prog.ilu`: [`PROGRAM`] with a 100-character string
/// for `long` (values are cut at 60 characters).
fn program_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("prog.ilu");
    std::fs::write(&path, PROGRAM.replace("LONG", &"0123456789".repeat(10))).unwrap();
    (dir, path)
}

#[test]
fn locals_follow_each_frame() {
    let (dir, _) = program_dir();
    let (code, out, err) = ilusm(dir.path(), &["run", "--trace-locals", "prog.ilu"]);
    assert_eq!((code, out.as_str(), err.as_str()), (1, "", EXPECTED));
    // Without the flag the trace is the plain one.
    let (code, _, err) = ilusm(dir.path(), &["run", "prog.ilu"]);
    assert_eq!(code, 1);
    assert!(!err.contains("xs = "), "{err}");
}

#[test]
fn bytecode_files_carry_the_names() {
    let (dir, _) = program_dir();
    let (code, _, err) = ilusm(dir.path(), &["build", "prog.ilu", "-o", "prog.ilbc"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, out, err) = ilusm(dir.path(), &["run", "--trace-locals", "prog.ilbc"]);
    assert_eq!((code, out.as_str(), err.as_str()), (1, "", EXPECTED));
    let (_, dis, _) = ilusm(dir.path(), &["dis", "prog.ilbc"]);
    assert!(
        dis.contains("fn h/1 locals=3 file=0\n  ; locals: 0=xs 1=n 2=long\n"),
        "{dis}"
    );
}

#[test]
fn the_jit_refuses_it() {
    let (dir, _) = program_dir();
    let (code, _, err) = ilusm(dir.path(), &["run", "--jit", "--trace-locals", "prog.ilu"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("'--jit' cannot be used with '--trace-locals'"),
        "{err}"
    );
}
