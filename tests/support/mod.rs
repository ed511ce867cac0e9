//! Running one ilusm program on every execution path from an integration
//! test: the interpreter (`ilusm run`), the JIT (`ilusm run --jit`), an AOT
//! executable for the host, and one for aarch64 under qemu. Unlike the
//! golden harness (which compares files), tests using this build a program
//! once per path and run it as often as they like, with arguments, extra
//! environment and a working directory of their choosing.
//!
//! Paths: all four, or `ILUSM_PATHS` (as for `tests/golden.rs`). Without
//! `qemu-aarch64` and `aarch64-linux-gnu-gcc` the aarch64 path is skipped
//! with a notice, unless `ILUSM_REQUIRE_AARCH64` is set (then it fails).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const ILUSM: &str = env!("CARGO_BIN_EXE_ilusm");
const AARCH64_TRIPLE: &str = "aarch64-unknown-linux-gnu";
const QEMU: &str = "qemu-aarch64";
const CROSS_GCC: &str = "aarch64-linux-gnu-gcc";
const QEMU_SYSROOT: &str = "/usr/aarch64-linux-gnu";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecPath {
    Interp,
    Jit,
    Aot,
    AotAarch64,
}

impl ExecPath {
    pub const ALL: [ExecPath; 4] = [
        ExecPath::Interp,
        ExecPath::Jit,
        ExecPath::Aot,
        ExecPath::AotAarch64,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExecPath::Interp => "interp",
            ExecPath::Jit => "jit",
            ExecPath::Aot => "aot",
            ExecPath::AotAarch64 => "aot-aarch64",
        }
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// The paths to test on (see the module docs).
pub fn selected_paths() -> Vec<ExecPath> {
    let mut paths: Vec<ExecPath> = match std::env::var("ILUSM_PATHS") {
        Ok(list) if !list.trim().is_empty() => ExecPath::ALL
            .into_iter()
            .filter(|p| list.split(',').any(|item| item.trim() == p.name()))
            .collect(),
        _ => ExecPath::ALL.to_vec(),
    };
    if paths.contains(&ExecPath::AotAarch64) && !(on_path(QEMU) && on_path(CROSS_GCC)) {
        assert!(
            !env_flag("ILUSM_REQUIRE_AARCH64"),
            "ILUSM_REQUIRE_AARCH64 is set but {QEMU} or {CROSS_GCC} is missing; run scripts/setup"
        );
        eprintln!("!!! SKIPPING the aot-aarch64 path: {QEMU} or {CROSS_GCC} not on PATH");
        paths.retain(|p| *p != ExecPath::AotAarch64);
    }
    paths
}

/// A program made ready to run on one path: the source file for `ilusm
/// run`, or the executable `ilusm aot` made from it.
pub struct Built {
    pub path: ExecPath,
    source: PathBuf,
    exe: Option<PathBuf>,
}

/// Make `source` (an `.ilu` file) runnable on `path`; AOT executables go
/// next to it, named after the path. Panics if `ilusm aot` fails.
pub fn build(path: ExecPath, source: &Path) -> Built {
    let exe = match path {
        ExecPath::Interp | ExecPath::Jit => None,
        ExecPath::Aot | ExecPath::AotAarch64 => {
            let exe = source.with_extension(path.name());
            let mut cmd = Command::new(ILUSM);
            cmd.arg("aot");
            if path == ExecPath::AotAarch64 {
                cmd.arg("--target").arg(AARCH64_TRIPLE);
            }
            let out = cmd
                .arg(source)
                .arg("-o")
                .arg(&exe)
                .output()
                .expect("run ilusm aot");
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "ilusm aot {} failed: {}",
                source.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            Some(exe)
        }
    };
    Built {
        path,
        source: source.to_path_buf(),
        exe,
    }
}

impl Built {
    /// The command that runs the program with `args`: stdin empty, output
    /// captured, the variables that change results removed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match (&self.exe, self.path) {
            (Some(exe), ExecPath::AotAarch64) => {
                let mut c = Command::new(QEMU);
                c.arg("-L").arg(QEMU_SYSROOT).arg(exe);
                c
            }
            (Some(exe), _) => Command::new(exe),
            (None, path) => {
                let mut c = Command::new(ILUSM);
                c.arg("run");
                if path == ExecPath::Jit {
                    c.arg("--jit");
                }
                c.arg(&self.source);
                c
            }
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "ILUSM_MAX_DEPTH",
            "ILUSM_MAX_HEAP",
            "ILUSM_GC_STRESS",
            "ILUSM_GC_STATS",
            "ILUSM_HTTP_TIMEOUT_MS",
            "RUST_BACKTRACE",
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Run to completion with `args` and extra `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        cmd.output().expect("start the program")
    }

    /// Start the program without waiting for it.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("start the program")
    }
}

/// Assert that a run printed exactly `stdout` and `stderr` and exited with
/// `code`; the message names the path.
pub fn assert_output(path: ExecPath, out: &Output, stdout: &str, stderr: &str, code: i32) {
    let got_out = String::from_utf8_lossy(&out.stdout);
    let got_err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (got_out.as_ref(), got_err.as_ref(), out.status.code()),
        (stdout, stderr, Some(code)),
        "on path {}",
        path.name()
    );
}
