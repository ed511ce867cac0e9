//! Running a program file on the execution paths (as child processes of this very `ilusm`
//! executable, with a timeout), comparing outcomes, and a small ordered thread pool.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const AARCH64_TRIPLE: &str = "aarch64-unknown-linux-gnu";
const QEMU: &str = "qemu-aarch64";
const QEMU_SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// Time allowed to `ilusm aot` (compile and link) before it counts as hung.
const AOT_COMPILE_TIMEOUT: Duration = Duration::from_secs(120);

/// One way of running a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// Whether a run needs a compile-and-link step first.
    pub fn is_native_exe(self) -> bool {
        matches!(self, ExecPath::Aot | ExecPath::AotAarch64)
    }
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Code(i32),
    Signal(i32),
    /// Killed by us after the timeout.
    Timeout,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(c) => write!(f, "exit {c}"),
            Status::Signal(s) => write!(f, "signal {s}"),
            Status::Timeout => write!(f, "timeout"),
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
}

impl Outcome {
    /// Why this outcome is wrong whatever the other paths say: a program that compiles must end
    /// with status 0 or 1, in time, without an internal error or a Rust panic.
    pub fn insane(&self) -> Option<String> {
        let err = String::from_utf8_lossy(&self.stderr);
        match self.status {
            Status::Code(0) | Status::Code(1) => {}
            ref s => return Some(format!("ended with {s}")),
        }
        if err.contains("internal error") || err.contains("panicked") {
            return Some("internal error or panic on stderr".to_string());
        }
        None
    }
}

/// Runs program files on paths.
pub struct Runner {
    /// This `ilusm` executable.
    pub exe: PathBuf,
    pub timeout: Duration,
}

impl Runner {
    /// Runs `dir/file` on `path` with `dir` as the working directory (the file is named relatively,
    /// so traces read `file:LINE:COL`). Native paths compile to `dir/file.PATH` first; a failing
    /// compile step is the outcome.
    pub fn run(&self, path: ExecPath, dir: &Path, file: &str) -> Outcome {
        match path {
            ExecPath::Interp => self.spawn(dir, &self.exe, &["run", file], self.timeout),
            ExecPath::Jit => self.spawn(dir, &self.exe, &["run", "--jit", file], self.timeout),
            ExecPath::Aot | ExecPath::AotAarch64 => {
                let out = format!("{file}.{}", path.name());
                let mut args = vec!["aot", file, "-o", &out];
                if path == ExecPath::AotAarch64 {
                    args.extend(["--target", AARCH64_TRIPLE]);
                }
                let compiled = self.spawn(dir, &self.exe, &args, AOT_COMPILE_TIMEOUT);
                if compiled.status != Status::Code(0) {
                    return compiled;
                }
                let exe = format!("./{out}");
                let result = if path == ExecPath::AotAarch64 {
                    self.spawn(
                        dir,
                        Path::new(QEMU),
                        &["-L", QEMU_SYSROOT, &exe],
                        self.timeout,
                    )
                } else {
                    self.spawn(dir, Path::new(&exe), &[], self.timeout)
                };
                let _ = std::fs::remove_file(dir.join(&out));
                result
            }
        }
    }

    /// Runs one process with its output in files (no pipe deadlocks), killing it at `limit`.
    fn spawn(&self, dir: &Path, program: &Path, args: &[&str], limit: Duration) -> Outcome {
        let tag = std::thread::current()
            .name()
            .unwrap_or("t")
            .replace('/', "_");
        let out_path = dir.join(format!(".stdout.{tag}"));
        let err_path = dir.join(format!(".stderr.{tag}"));
        let failed = |e: std::io::Error| Outcome {
            stdout: Vec::new(),
            stderr: format!("difftest: cannot run {}: {e}", program.display()).into_bytes(),
            status: Status::Code(-1),
        };
        let (out, err) = match (
            std::fs::File::create(&out_path),
            std::fs::File::create(&err_path),
        ) {
            (Ok(o), Ok(e)) => (o, e),
            (Err(e), _) | (_, Err(e)) => return failed(e),
        };
        let mut child = match Command::new(program)
            .args(args)
            .current_dir(dir)
            .env_remove("ILUSM_MAX_DEPTH")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => {
                    use std::os::unix::process::ExitStatusExt;
                    break match (st.code(), st.signal()) {
                        (Some(c), _) => Status::Code(c),
                        (None, Some(s)) => Status::Signal(s),
                        (None, None) => Status::Code(-1),
                    };
                }
                Ok(None) if start.elapsed() >= limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Status::Timeout;
                }
                Ok(None) => {
                    let ms = (start.elapsed().as_millis() as u64 / 20).clamp(1, 20);
                    std::thread::sleep(Duration::from_millis(ms));
                }
                Err(e) => return failed(e),
            }
        };
        let stdout = std::fs::read(&out_path).unwrap_or_default();
        let stderr = std::fs::read(&err_path).unwrap_or_default();
        let _ = std::fs::remove_file(&out_path);
        let _ = std::fs::remove_file(&err_path);
        Outcome {
            stdout,
            stderr,
            status,
        }
    }
}

/// The paths whose outcome differs from the first (the reference); with one path, the paths
/// whose outcome is wrong on its own ([`Outcome::insane`]).
pub fn disagreeing(outcomes: &[(ExecPath, Outcome)]) -> Vec<ExecPath> {
    let Some((_, reference)) = outcomes.first() else {
        return Vec::new();
    };
    let differing: Vec<ExecPath> = outcomes
        .iter()
        .skip(1)
        .filter(|(_, o)| o != reference)
        .map(|(p, _)| *p)
        .collect();
    if !differing.is_empty() {
        return differing;
    }
    // All agree: still wrong if they agree on a crash or a timeout.
    outcomes
        .iter()
        .filter(|(_, o)| o.insane().is_some())
        .map(|(p, _)| *p)
        .take(1)
        .collect()
}

/// Maps `f` over `items` on `jobs` threads; results keep the order of `items`.
pub fn parallel<T: Send, R: Send>(jobs: usize, items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = items.len();
    let queue = Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| {
        for w in 0..jobs.max(1) {
            let (queue, results, f) = (&queue, &results, &f);
            std::thread::Builder::new()
                .name(format!("w{w}"))
                .spawn_scoped(s, move || loop {
                    let Some((i, item)) =
                        queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
                    else {
                        break;
                    };
                    let r = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                })
                .expect("cannot start a worker thread");
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// Whether the tools the aarch64 path needs are installed.
pub fn aarch64_available() -> bool {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    };
    on_path(QEMU) && on_path("aarch64-linux-gnu-gcc")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stdout: &str, code: i32) -> Outcome {
        Outcome {
            stdout: stdout.as_bytes().to_vec(),
            stderr: Vec::new(),
            status: Status::Code(code),
        }
    }

    #[test]
    fn disagreeing_names_the_paths_that_differ_from_the_reference() {
        let same = [
            (ExecPath::Interp, outcome("1\n", 0)),
            (ExecPath::Aot, outcome("1\n", 0)),
        ];
        assert!(disagreeing(&same).is_empty());
        let differ = [
            (ExecPath::Interp, outcome("1\n", 0)),
            (ExecPath::Jit, outcome("1\n", 0)),
            (ExecPath::Aot, outcome("2\n", 0)),
        ];
        assert_eq!(disagreeing(&differ), vec![ExecPath::Aot]);
        let crash = [(ExecPath::Interp, outcome("", 101))];
        assert_eq!(disagreeing(&crash), vec![ExecPath::Interp]);
        let timeout = Outcome {
            status: Status::Timeout,
            ..outcome("", 0)
        };
        assert_eq!(
            disagreeing(&[(ExecPath::Jit, timeout)]),
            vec![ExecPath::Jit]
        );
    }

    #[test]
    fn parallel_keeps_the_order() {
        let out = parallel(3, (0..50).collect(), |i: i32| i * 2);
        assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }
}
