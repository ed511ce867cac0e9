//! `ilusm difftest` on the interpreter: the generated programs all compile and run cleanly
//! (status 0 or 1, no internal error), so the run ends with `N programs, 0 disagreements`.

use std::process::Command;

#[test]
fn difftest_interp_seed_1() {
    let findings = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_ilusm"))
        .args([
            "difftest",
            "--seed",
            "1",
            "--count",
            "50",
            "--paths",
            "interp",
            "--findings",
        ])
        .arg(findings.path())
        .output()
        .expect("run ilusm difftest");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("generator bugs (programs that did not compile): 0\n"),
        "every generated program must compile\n{context}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("50 programs, 0 disagreements"),
        "{context}"
    );
    assert_eq!(out.status.code(), Some(0), "{context}");
}

#[test]
fn difftest_generator_is_deterministic() {
    let print = |seed: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_ilusm"))
            .args(["difftest", "--seed", seed, "--count", "5", "--print"])
            .output()
            .expect("run ilusm difftest --print");
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(print("9"), print("9"));
    assert_ne!(print("9"), print("10"));
}
