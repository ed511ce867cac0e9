//! End-to-end tests of the native paths on hand-built, verified bytecode, against the real
//! runtime. Every program runs
//! - through the JIT ([`ilusm_aot::jit_run`]) in a child process (this binary, re-invoked with
//!   `ILUSM_AOT_TEST_CHILD=NAME`, so the program's real stdout/stderr/exit status are seen),
//! - as an AOT executable for the host ([`ilusm_aot::compile_object`] + `link_executable`),
//! - as an AOT executable for aarch64 under `qemu-aarch64` (skipped, with a notice, when the cross
//!   tools are not installed),
//!
//! and must give the expected stdout, stderr and exit status on each. The runtime archives are
//! built with the same nested `cargo rustc` as the CLI's build script, into the same directories.
//!
//! `harness = false`: the binary is its own runner (so that it can also be the JIT child).
//! Arguments that do not start with `-` filter the cases by name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHILD_VAR: &str = "ILUSM_AOT_TEST_CHILD";
const AARCH64: &str = "aarch64-unknown-linux-gnu";
const HOST: &str = "x86_64-unknown-linux-gnu";

#[path = "native/programs.rs"]
mod programs;

use programs::{cases, Case};

// ---- running ------------------------------------------------------------------------------

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Build (or reuse) the runtime archive, as the CLI's build script does; `None` with a reason
/// when it cannot be built (aarch64 without the cross tools).
fn runtime_archive(triple: Option<&str>) -> Result<Vec<u8>, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("runtime-archives")
        .join(if triple.is_some() { "aarch64" } else { "host" });
    let rustc = match triple {
        Some(_) => "/usr/bin/rustc".to_string(),
        None => std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()),
    };
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["rustc", "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .args([
            "-p",
            "ilusm-runtime",
            "--profile",
            "runtime",
            "--crate-type",
            "staticlib",
        ])
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env("RUSTC", &rustc);
    if let Some(t) = triple {
        cmd.args(["--target", t]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut path = target;
    if let Some(t) = triple {
        path.push(t);
    }
    path.push("runtime/libilusm_runtime.a");
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn have(tool: &str) -> bool {
    Command::new("which")
        .arg(tool)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check(case: &Case, path: &str, out: &Output) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status = out.status.code().unwrap_or(-1);
    if stdout == case.stdout && stderr == case.stderr && status == case.status {
        return Ok(());
    }
    Err(format!(
        "{} [{path}]:\n  status {status} (want {})\n  stdout {stdout:?}\n    want {:?}\n  stderr {stderr:?}\n    want {:?}",
        case.name, case.status, case.stdout, case.stderr
    ))
}

fn run_jit(case: &Case) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD_VAR, case.name);
    cmd.envs(case.env.iter().copied());
    cmd.output().expect("re-run the test binary")
}

fn run_aot(case: &Case, triple: &str, archive: &[u8], dir: &Path) -> Result<Output, String> {
    let object = ilusm_aot::compile_object(&(case.module)(), triple).map_err(|e| e.to_string())?;
    let exe = dir.join(format!("{}-{triple}", case.name));
    ilusm_aot::link_executable(&object, archive, triple, &exe, false).map_err(|e| e.to_string())?;
    let mut cmd = if triple == AARCH64 {
        // `-E LD_LIBRARY_PATH`: with libc6:arm64 also installed (libstd-rust-web-dev:arm64 pulls
        // it in), `-L` alone loads the cross ld.so with the multiarch libc.so.6 of another
        // version, and the first pthread_create hangs.
        let mut c = Command::new("qemu-aarch64");
        c.args(["-L", "/usr/aarch64-linux-gnu"])
            .args(["-E", "LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"])
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.envs(case.env.iter().copied());
    cmd.output().map_err(|e| e.to_string())
}

fn main() {
    if let Ok(name) = std::env::var(CHILD_VAR) {
        let module = match name.strip_prefix("fib:") {
            Some(n) => programs::fib(n.parse().expect("fib:N")),
            None => (cases()
                .into_iter()
                .find(|c| c.name == name)
                .expect("known case")
                .module)(),
        };
        match ilusm_aot::jit_run(&module, vec![]) {
            Ok(status) => std::process::exit(status),
            Err(e) => {
                eprintln!("jit_run failed: {e}");
                std::process::exit(100);
            }
        }
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect();
    let dir = std::env::temp_dir().join(format!("ilusm-aot-native-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let host = runtime_archive(None).unwrap_or_else(|e| panic!("host runtime archive: {e}"));
    let cross = if !have("aarch64-linux-gnu-gcc") || !have("qemu-aarch64") {
        Err("aarch64-linux-gnu-gcc or qemu-aarch64 is not installed".to_string())
    } else if !Path::new("/usr/bin/rustc").exists() {
        Err("Debian's rustc (rustc-web, libstd-rust-web-dev:arm64) is not installed".to_string())
    } else {
        runtime_archive(Some(AARCH64))
    };
    if let Err(why) = &cross {
        println!("NOTICE: skipping the aarch64 runs: {why}");
    }

    if let Ok(n) = std::env::var("ILUSM_AOT_BENCH") {
        bench(&n, &host, &dir);
        return;
    }

    let (mut passed, mut failures) = (0, Vec::new());
    for case in &cases {
        let mut paths: Vec<(&str, Option<&[u8]>)> = vec![("jit", None), (HOST, Some(&host))];
        if let Ok(archive) = &cross {
            paths.push((AARCH64, Some(archive)));
        }
        for (path, archive) in paths {
            let r = match archive {
                None => Ok(run_jit(case)),
                Some(a) => run_aot(case, path, a, &dir),
            };
            let verdict = r.and_then(|out| check(case, path, &out));
            match verdict {
                Ok(()) => {
                    println!("test {} [{path}] ... ok", case.name);
                    passed += 1;
                }
                Err(e) => {
                    println!("test {} [{path}] ... FAILED", case.name);
                    failures.push(e);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for f in &failures {
        println!("\n{f}");
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed",
        if failures.is_empty() { "ok" } else { "FAILED" },
        failures.len()
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }
}

/// `ILUSM_AOT_BENCH=N`: time `prn(fib(N))` through the JIT (compilation included) and as a host
/// AOT executable (the best of three runs each).
fn bench(n: &str, host: &[u8], dir: &Path) {
    let time = |cmd: &mut Command| {
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                let out = cmd.output().expect("run");
                assert!(out.status.success(), "{out:?}");
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    let jit =
        time(Command::new(std::env::current_exe().unwrap()).env(CHILD_VAR, format!("fib:{n}")));
    let object = ilusm_aot::compile_object(&programs::fib(n.parse().unwrap()), HOST).unwrap();
    let exe = dir.join("fib-bench");
    ilusm_aot::link_executable(&object, host, HOST, &exe, false).unwrap();
    let aot = time(&mut Command::new(&exe));
    println!("fib({n}): jit {jit:?}, aot {aot:?}");
    let _ = std::fs::remove_dir_all(dir);
}
