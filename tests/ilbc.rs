//! Malformed bytecode files: every `tests/ilbc/NAME.ilbc` (written by `tests/ilbc/make.py`) with a
//! `NAME.expected` must be rejected by `ilusm run NAME.ilbc` and by `ilusm dis NAME.ilbc` with exit
//! status 2 and exactly the stderr in `NAME.expected` (nothing on stdout, never a signal or a
//! panic). `valid.ilbc` must run and print `valid.out` on the interpreter, the JIT and as an AOT
//! executable. Commands run with the working directory `tests/ilbc/`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const ILUSM: &str = env!("CARGO_BIN_EXE_ilusm");

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ilbc")
}

fn ilusm(args: &[&str]) -> Output {
    Command::new(ILUSM)
        .current_dir(dir())
        .args(args)
        .stdin(Stdio::null())
        .env_remove("ILUSM_MAX_DEPTH")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run ilusm {args:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Problems with one command's outcome, or None.
fn check_rejected(args: &[&str], expected: &str) -> Option<String> {
    let out = ilusm(args);
    let stderr = text(&out.stderr);
    let mut problems = Vec::new();
    match out.status.code() {
        Some(2) => {}
        Some(c) => problems.push(format!("status {c}, expected 2")),
        None => problems.push(format!("killed by a signal ({:?})", out.status)),
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("panicked".to_string());
    }
    if !out.stdout.is_empty() {
        problems.push(format!("stdout not empty: {:?}", text(&out.stdout)));
    }
    if stderr != expected {
        let mut actual = format!("{stderr:?}");
        if actual.len() > 400 {
            let mut cut = 400;
            while !actual.is_char_boundary(cut) {
                cut -= 1;
            }
            actual.truncate(cut);
            actual.push_str("…(truncated)");
        }
        problems.push(format!(
            "stderr differs\n    expected: {expected:?}\n    actual:   {actual}"
        ));
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!("ilusm {}: {}", args.join(" "), problems.join("; ")))
    }
}

#[test]
fn malformed_files_are_rejected() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("list tests/ilbc")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "ilbc").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .filter(|n| n != "valid")
        .collect();
    names.sort();
    assert!(names.len() >= 30, "only {} malformed files", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let file = format!("{name}.ilbc");
        let Ok(expected) = std::fs::read_to_string(dir().join(format!("{name}.expected"))) else {
            failures.push(format!("{name}: {name}.expected is missing"));
            continue;
        };
        for args in [vec!["run", file.as_str()], vec!["dis", file.as_str()]] {
            if let Some(p) = check_rejected(&args, &expected) {
                failures.push(p);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        names.len() * 2,
        failures.join("\n")
    );
}

fn expect_valid(args: &[&str], out: &Output) {
    let want = std::fs::read_to_string(dir().join("valid.out")).expect("read valid.out");
    assert_eq!(
        (out.status.code(), text(&out.stdout), text(&out.stderr)),
        (Some(0), want, String::new()),
        "{args:?}"
    );
}

#[test]
fn valid_file_runs_on_the_interpreter() {
    let args = ["run", "valid.ilbc"];
    expect_valid(&args, &ilusm(&args));
}

#[test]
fn valid_file_runs_on_the_jit() {
    let args = ["run", "--jit", "valid.ilbc"];
    expect_valid(&args, &ilusm(&args));
}

#[test]
fn valid_file_compiles_ahead_of_time() {
    let tmp = tempfile::Builder::new()
        .prefix("ilusm-ilbc-")
        .tempdir()
        .expect("create a temporary directory");
    let exe = tmp.path().join("valid");
    let exe = exe.to_str().expect("UTF-8 temporary path");
    let built = ilusm(&["aot", "valid.ilbc", "-o", exe]);
    assert_eq!(
        (built.status.code(), text(&built.stderr)),
        (Some(0), String::new()),
        "ilusm aot valid.ilbc"
    );
    let out = Command::new(exe)
        .current_dir(dir())
        .stdin(Stdio::null())
        .output()
        .expect("run the AOT executable");
    expect_valid(&["(aot executable)"], &out);
}

/// `ilusm aot --symbols` keeps the function symbols (for profilers); the default strips them.
#[test]
fn aot_symbols_are_kept_on_request() {
    let tmp = tempfile::Builder::new()
        .prefix("ilusm-symbols-")
        .tempdir()
        .expect("create a temporary directory");
    let symbols_of = |extra: &[&str]| {
        let exe = tmp.path().join(format!("valid{}", extra.len()));
        let exe = exe.to_str().expect("UTF-8 temporary path");
        let mut args = vec!["aot", "valid.ilbc", "-o", exe];
        args.extend(extra);
        let built = ilusm(&args);
        assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
        let out = Command::new(exe).current_dir(dir()).output().expect("run");
        expect_valid(&["(aot executable)"], &out);
        let nm = Command::new("nm").arg(exe).output().expect("run nm");
        text(&nm.stdout)
    };
    assert!(symbols_of(&["--symbols"]).contains("ilusm_fn1_fib"));
    assert!(!symbols_of(&[]).contains("ilusm_fn"));
}

#[test]
fn valid_file_disassembles() {
    let out = ilusm(&["dis", "valid.ilbc"]);
    let listing = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    for needle in [
        "fn fib/1",
        "call_direct f1, 1",
        "make_closure",
        "captures=1",
    ] {
        assert!(listing.contains(needle), "`{needle}` not in:\n{listing}");
    }
}
