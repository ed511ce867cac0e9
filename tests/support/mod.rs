//! What the integration tests share about the execution paths: the
//! interpreter (`ilusm run`), the JIT (`ilusm run --jit`), an AOT executable
//! for the host, and one for aarch64 under qemu. Which paths run
//! ([`selected_paths`]), and the commands that compile and run a program on
//! each ([`aot_command`], [`run_command`], [`exe_command`]), used by the
//! golden harness, the collector's tests and the host tests alike.
//!
//! [`Built`] is for tests that build a program once per path and run it as
//! often as they like, with arguments, extra environment and a working
//! directory of their choosing (the golden harness compares files instead).
//!
//! Paths: all four, or those `ILUSM_PATHS` lists (comma-separated: `interp`,
//! `jit`, `aot`, `aot-aarch64`; an unknown name is a failure). Without
//! `qemu-aarch64` and `aarch64-linux-gnu-gcc` on PATH the aarch64 path is
//! skipped with a notice, unless `ILUSM_REQUIRE_AARCH64` is set (then it
//! fails).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const ILUSM: &str = env!("CARGO_BIN_EXE_ilusm");
pub const AARCH64_TRIPLE: &str = "aarch64-unknown-linux-gnu";
pub const QEMU: &str = "qemu-aarch64";
pub const CROSS_GCC: &str = "aarch64-linux-gnu-gcc";
pub const QEMU_SYSROOT: &str = "/usr/aarch64-linux-gnu";

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

    pub fn parse(s: &str) -> Option<ExecPath> {
        ExecPath::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// Whether environment variable `name` is set to something other than empty or `0`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Whether an executable file `tool` is in a directory of PATH.
fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The paths to test on, each once, in the order `ILUSM_PATHS` lists them
/// (see the module docs); `harness` names the caller in the skip notice.
pub fn selected_paths_for(harness: &str) -> Vec<ExecPath> {
    let mut paths = Vec::new();
    match std::env::var("ILUSM_PATHS") {
        Ok(list) if !list.trim().is_empty() => {
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match ExecPath::parse(item) {
                    Some(p) if !paths.contains(&p) => paths.push(p),
                    Some(_) => {}
                    None => panic!(
                        "ILUSM_PATHS: unknown path {item:?} (known: interp, jit, aot, aot-aarch64)"
                    ),
                }
            }
        }
        _ => paths.extend(ExecPath::ALL),
    }
    if paths.contains(&ExecPath::AotAarch64) {
        let missing: Vec<&str> = [QEMU, CROSS_GCC]
            .into_iter()
            .filter(|t| !on_path(t))
            .collect();
        if !missing.is_empty() {
            assert!(
                !env_flag("ILUSM_REQUIRE_AARCH64"),
                "ILUSM_REQUIRE_AARCH64 is set but {} not on PATH; run scripts/setup",
                missing.join(" and ")
            );
            let bar = "!".repeat(78);
            eprintln!("{bar}");
            eprintln!(
                "!!! {harness}: SKIPPING the aot-aarch64 path: {} not found on PATH.",
                missing.join(" and ")
            );
            eprintln!("!!! Run scripts/setup to install them (CI sets ILUSM_REQUIRE_AARCH64=1).");
            eprintln!("{bar}");
            paths.retain(|p| *p != ExecPath::AotAarch64);
        }
    }
    paths
}

/// [`selected_paths_for`] a test of the host functions.
pub fn selected_paths() -> Vec<ExecPath> {
    selected_paths_for("host")
}

/// `ilusm aot [--target aarch64] SOURCE -o EXE` for an AOT `path`.
pub fn aot_command(path: ExecPath, source: &Path, exe: &Path) -> Command {
    let mut cmd = Command::new(ILUSM);
    cmd.arg("aot");
    if path == ExecPath::AotAarch64 {
        cmd.arg("--target").arg(AARCH64_TRIPLE);
    }
    cmd.arg(source).arg("-o").arg(exe);
    cmd
}

/// `ilusm run [--jit] RUN_ARGS SOURCE` for the interpreter or JIT `path`.
pub fn run_command(path: ExecPath, run_args: &[&str], source: &Path) -> Command {
    let mut cmd = Command::new(ILUSM);
    cmd.arg("run");
    if path == ExecPath::Jit {
        cmd.arg("--jit");
    }
    cmd.args(run_args).arg(source);
    cmd
}

/// The command that runs AOT executable `exe` made for `path`: directly, or
/// under qemu for aarch64.
pub fn exe_command(path: ExecPath, exe: &Path) -> Command {
    if path == ExecPath::AotAarch64 {
        let mut cmd = Command::new(QEMU);
        cmd.arg("-L").arg(QEMU_SYSROOT).arg(exe);
        cmd
    } else {
        Command::new(exe)
    }
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
            let out = aot_command(path, source, &exe)
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
        let mut cmd = match &self.exe {
            Some(exe) => exe_command(self.path, exe),
            None => run_command(self.path, &[], &self.source),
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
