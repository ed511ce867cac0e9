//! Garbage-collector tests: the programs in `tests/gc/` run on every execution path (interpreter,
//! JIT, AOT x86_64, AOT aarch64 under qemu) with the collector's settings in the environment, and
//! the child's exit status, output and peak RSS (`wait4`'s `ru_maxrss`) are checked.
//!
//! - `churn`: over 10 GiB allocated in total, under 100 KB live (run under `ILUSM_MAX_HEAP=1M`),
//!   peak RSS under 100 MB, on every path (at once: under qemu it takes about a minute).
//! - `cycles`: self-referencing lists and objects, objects holding each other, closures held by
//!   what they capture and closures capturing each other, all dropped, under `ILUSM_MAX_HEAP=8M`.
//! - `list`: a 1,000,000-element linked list built, dropped and rebuilt under a limit that one
//!   list fits but two do not.
//! - the heap-limit error (exact message and trace, status 1), `try` catching it, `--max-heap`,
//!   and an invalid `ILUSM_MAX_HEAP` / `--max-heap` (status 2, nothing run).
//!
//! `cycles` and `list` also run a copy of the program that keeps what it would drop, which must hit
//! the limit: so the limit really is tight enough to catch a leak.
//!
//! Environment (as for tests/golden.rs): `ILUSM_PATHS`, `ILUSM_REQUIRE_AARCH64`, and
//! `ILUSM_TIMEOUT` (seconds per command, default 600). Every command runs in `tests/` with
//! `ILUSM_MAX_HEAP`, `ILUSM_GC_STRESS`, `ILUSM_GC_STATS` and `ILUSM_MAX_DEPTH` removed from its
//! environment unless the test sets them. `cargo test --release --test gc -- --nocapture` prints
//! the time and peak RSS of every churn run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{aot_command, exe_command, run_command, selected_paths_for, ExecPath};

const SCRUBBED: [&str; 6] = [
    "ILUSM_MAX_HEAP",
    "ILUSM_GC_STRESS",
    "ILUSM_GC_STATS",
    "ILUSM_MAX_DEPTH",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

/// Peak RSS bound for the churn program, in KiB (`ru_maxrss` unit): 100 MB.
const MAX_RSS_KB: u64 = 100_000;

const GIB: u64 = 1 << 30;

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The paths selected by `ILUSM_PATHS` (`tests/support`).
fn paths() -> Vec<ExecPath> {
    selected_paths_for("gc")
}

fn timeout() -> Duration {
    Duration::from_secs(
        std::env::var("ILUSM_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(600),
    )
}

/// What one command did.
struct Run {
    what: String,
    stdout: String,
    stderr: String,
    /// Exit status; `None` when killed by a signal (see `signal`).
    code: Option<i32>,
    signal: Option<i32>,
    /// Peak resident set size of the child, KiB (`ru_maxrss`).
    maxrss_kb: u64,
    elapsed: Duration,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "{}\n  status: {}\n  stdout: {:?}\n  stderr: {:?}",
            self.what,
            match (self.code, self.signal) {
                (Some(c), _) => c.to_string(),
                (None, Some(s)) => format!("killed by signal {s}"),
                (None, None) => "unknown".to_string(),
            },
            truncate(&self.stdout),
            truncate(&self.stderr)
        )
    }

    /// Asserts the exact outcome.
    fn expect(&self, code: i32, stdout: &str, stderr: &str) {
        assert!(
            self.code == Some(code) && self.stdout == stdout && self.stderr == stderr,
            "unexpected outcome of {}\n  expected status {code}, stdout {stdout:?}, stderr {stderr:?}",
            self.describe()
        );
    }
}

fn truncate(s: &str) -> &str {
    let mut cut = s.len().min(2000);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// Runs `cmd` in `tests/` with stdin closed and `SCRUBBED` removed from its environment, then
/// `env` added; reaps it with `wait4` to get its peak RSS. After the timeout its process group is
/// killed and the test fails.
fn run(mut cmd: Command, env: &[(&str, &str)]) -> Run {
    use std::os::unix::process::CommandExt;
    let what = format!(
        "{}{cmd:?}",
        env.iter()
            .map(|(k, v)| format!("{k}={v} "))
            .collect::<String>()
    );
    cmd.current_dir(tests_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let pid = child.id() as libc::pid_t;
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let limit = timeout();
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        let flags = if timed_out { 0 } else { libc::WNOHANG };
        // SAFETY: pid is our child, not yet reaped (std's Child is never waited on).
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == pid {
            break;
        }
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            panic!("wait4 for {what}: {e}");
        }
        if start.elapsed() >= limit {
            // SAFETY: kill the child's process group (it has its own, from process_group(0)).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            timed_out = true;
            continue;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = start.elapsed();
    drop(child);
    let result = Run {
        what,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        maxrss_kb: usage.ru_maxrss as u64,
        elapsed,
    };
    assert!(
        !timed_out,
        "TIMEOUT after {}s (killed; ILUSM_TIMEOUT overrides): {}",
        limit.as_secs(),
        result.describe()
    );
    result
}

/// A program made ready to run on one path: AOT paths compile it into the work directory once.
struct Target {
    path: ExecPath,
    program: PathBuf,
    exe: Option<PathBuf>,
}

impl Target {
    /// `program` is a path relative to `tests/`, or absolute.
    fn new(path: ExecPath, program: &Path, workdir: &Path) -> Target {
        let exe = match path {
            ExecPath::Interp | ExecPath::Jit => None,
            ExecPath::Aot | ExecPath::AotAarch64 => {
                let stem = program.file_stem().unwrap().to_string_lossy();
                let exe = workdir.join(format!("{stem}-{}", path.name()));
                let built = run(aot_command(path, program, &exe), &[]);
                assert!(
                    built.code == Some(0) && exe.is_file(),
                    "AOT compilation failed: {}",
                    built.describe()
                );
                Some(exe)
            }
        };
        Target {
            path,
            program: program.to_path_buf(),
            exe,
        }
    }

    /// The command; `run_args` go after `ilusm run` (interpreter and JIT only).
    fn command(&self, run_args: &[&str]) -> Command {
        match &self.exe {
            None => run_command(self.path, run_args, &self.program),
            Some(exe) => {
                assert!(run_args.is_empty(), "run arguments on an AOT path");
                exe_command(self.path, exe)
            }
        }
    }

    fn run(&self, env: &[(&str, &str)]) -> Run {
        run(self.command(&[]), env)
    }
}

/// Runs `program` on `path` with `env`.
fn run_on(path: ExecPath, program: &Path, workdir: &Path, env: &[(&str, &str)]) -> Run {
    Target::new(path, program, workdir).run(env)
}

fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ilusm-gc-")
        .tempdir()
        .expect("create a temporary directory")
}

/// Writes a copy of `tests/gc/NAME` into `dir` with `from` (which must occur) replaced by `to`.
fn variant(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let src = std::fs::read_to_string(tests_dir().join("gc").join(name)).expect("read program");
    assert!(
        src.contains(from),
        "tests/gc/{name} no longer contains {from:?}"
    );
    let path = dir.join(format!("variant-{name}"));
    std::fs::write(&path, src.replacen(from, to, 1)).expect("write variant");
    path
}

/// Parses `gc: N collections, total pause X ms, max pause Y ms, peak heap Z bytes` into (N, Z).
fn gc_stats(run: &Run) -> (u64, u64) {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("gc: "))
        .unwrap_or_else(|| panic!("no ILUSM_GC_STATS line: {}", run.describe()));
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> u64 {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("cannot parse GC statistics {line:?}"))
    };
    assert!(
        words.len() == 15 && words[2] == "collections," && words[14] == "bytes",
        "unexpected GC statistics line {line:?}"
    );
    (num(1), num(13))
}

const OOM_4M: &str = "error: out of memory (heap limit 4M)\n  at grow (gc/oom.ilu:6:17)\n  at <main> (gc/oom.ilu:8:5)\n";

fn digits(i: u64) -> u64 {
    i.to_string().len() as u64
}

#[test]
fn churn_over_10_gib_with_small_peak_rss() {
    const N: u64 = 2_700_000;
    // `total` is the text of the 4 KiB strings alone (see the comment in churn.ilu).
    let total: u64 = (1..=N).map(|i| 4096 + digits(i)).sum();
    assert!(total >= 10 * GIB, "churn.ilu allocates too little");
    let expected = format!("{total}\n{N} {} 8 tru\n", 4096 + digits(N));
    let dir = workdir();
    // The paths run at once: under qemu the churn takes ~20x as long as
    // natively (about a minute on a quiet machine), and the others fit in
    // that time.
    let report: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = paths()
            .into_iter()
            .map(|path| {
                let (dir, expected) = (dir.path(), &expected);
                s.spawn(move || churn_on(path, dir, total, expected))
            })
            .collect();
        runs.into_iter()
            .map(|r| r.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    assert!(!report.is_empty(), "no paths selected");
}

/// Run gc/churn.ilu on `path`: its output, its collector statistics and its
/// peak RSS are checked; the report line.
fn churn_on(path: ExecPath, dir: &Path, total: u64, expected: &str) -> String {
    // Under a 1 MiB heap limit: if more than 1 MiB were ever live after a collection, the
    // program would fail with `out of memory`.
    let r = run_on(
        path,
        Path::new("gc/churn.ilu"),
        dir,
        &[("ILUSM_MAX_HEAP", "1M"), ("ILUSM_GC_STATS", "1")],
    );
    assert!(
        r.code == Some(0) && r.stdout == expected,
        "churn on {}: expected stdout {expected:?}: {}",
        path.name(),
        r.describe()
    );
    let (collections, peak_heap) = gc_stats(&r);
    assert!(
        collections > 0 && peak_heap < 4 << 20,
        "churn on {}: {collections} collections, peak heap {peak_heap} bytes",
        path.name()
    );
    let line = format!(
        "gc churn [{}]: {:.2} GiB of strings in {:.1}s, peak RSS {:.1} MB, {collections} collections, peak heap {peak_heap} bytes",
        path.name(),
        total as f64 / GIB as f64,
        r.elapsed.as_secs_f64(),
        r.maxrss_kb as f64 / 1000.0
    );
    eprintln!("{line}");
    assert!(
        r.maxrss_kb < MAX_RSS_KB,
        "{line}: peak RSS {} KiB, the limit is {MAX_RSS_KB} KiB",
        r.maxrss_kb
    );
    line
}

#[test]
fn cycles_are_reclaimed() {
    let dir = workdir();
    let env = [("ILUSM_MAX_HEAP", "8M")];
    for path in paths() {
        run_on(path, Path::new("gc/cycles.ilu"), dir.path(), &env).expect(0, "40000\n", "");
    }
    // The control: keeping every cycle must exceed the limit.
    let leaky = variant(dir.path(), "cycles.ilu", "leak = fls\n", "leak = tru\n");
    let r = run_on(ExecPath::Interp, &leaky, dir.path(), &env);
    assert!(
        r.code == Some(1)
            && r.stderr
                .starts_with("error: out of memory (heap limit 8M)\n"),
        "the leaking copy of cycles.ilu should run out of heap: {}",
        r.describe()
    );
}

#[test]
fn million_element_list_is_collected() {
    // One list is 112-128 MiB as the heap counts it; two do not fit in 160 MiB.
    let dir = workdir();
    let env = [("ILUSM_MAX_HEAP", "160M")];
    let sums = "500000500000\n500000500000\n";
    for path in paths() {
        run_on(path, Path::new("gc/list.ilu"), dir.path(), &env).expect(0, sums, "");
    }
    let keeping = variant(
        dir.path(),
        "list.ilu",
        "keep_first = fls\n",
        "keep_first = tru\n",
    );
    let r = run_on(ExecPath::Interp, &keeping, dir.path(), &env);
    assert!(
        r.code == Some(1)
            && r.stdout == "500000500000\n"
            && r.stderr
                .starts_with("error: out of memory (heap limit 160M)\n"),
        "keeping the first list should run out of heap: {}",
        r.describe()
    );
}

#[test]
fn heap_limit_error_and_try() {
    let dir = workdir();
    let env = [("ILUSM_MAX_HEAP", "4M")];
    let caught = "1 nil out of memory (heap limit 4M)\n2 nil out of memory (heap limit 4M)\n\
                  3 nil out of memory (heap limit 4M)\n1000\n";
    for path in paths() {
        run_on(path, Path::new("gc/oom.ilu"), dir.path(), &env).expect(1, "start\n", OOM_4M);
        run_on(path, Path::new("gc/oom_try.ilu"), dir.path(), &env).expect(0, caught, "");
    }
    // List literals, cells and closures raise the limit themselves, at the
    // same instruction on every path, whatever the limit. Which of the three
    // allocations crosses a given limit depends on object sizes, so the
    // interpreter's report (one of the three exact traces) is the reference.
    for limit in ["1M", "3500K", "6M"] {
        let env = [("ILUSM_MAX_HEAP", limit)];
        let sites = [
            "at chain (gc/oom_literals.ilu:8:21)\n", // make_list
            "at mk (gc/oom_literals.ilu:5:9)\n  at chain (gc/oom_literals.ilu:8:30)\n", // make_closure
            "at mk (gc/oom_literals.ilu:5:1)\n  at chain (gc/oom_literals.ilu:8:30)\n", // make_cell
        ];
        let allowed: Vec<String> = sites
            .iter()
            .map(|site| {
                format!(
                    "error: out of memory (heap limit {limit})\n  {site}  \
                     at <main> (gc/oom_literals.ilu:10:6)\n"
                )
            })
            .collect();
        let reference = run_on(
            ExecPath::Interp,
            Path::new("gc/oom_literals.ilu"),
            dir.path(),
            &env,
        );
        assert!(
            reference.code == Some(1)
                && reference.stdout == "start\n"
                && allowed.contains(&reference.stderr),
            "unexpected outcome of {}",
            reference.describe()
        );
        for path in paths() {
            run_on(path, Path::new("gc/oom_literals.ilu"), dir.path(), &env).expect(
                1,
                "start\n",
                &reference.stderr,
            );
        }
    }
}

#[test]
fn max_heap_option_and_invalid_sizes() {
    let dir = workdir();
    let oom = Path::new("gc/oom.ilu");
    let usage = |what: &str, size: &str| {
        format!(
            "error: {what}: invalid heap size '{size}' (expected a positive number of bytes, with an optional K, M or G suffix)\n"
        )
    };
    for path in paths() {
        if !matches!(path, ExecPath::Interp | ExecPath::Jit) {
            continue;
        }
        let target = Target::new(path, oom, dir.path());
        let run_with = |args: &[&str], env: &[(&str, &str)]| run(target.command(args), env);
        run_with(&["--max-heap", "4M"], &[]).expect(1, "start\n", OOM_4M);
        // The size is reported as written; the option overrides the environment.
        run_with(&["--max-heap", "2m"], &[("ILUSM_MAX_HEAP", "4M")]).expect(
            1,
            "start\n",
            &OOM_4M.replace("4M", "2m"),
        );
        run_with(&["--max-heap", "banana"], &[]).expect(2, "", &usage("--max-heap", "banana"));
        run_with(&["--max-heap", "0"], &[]).expect(2, "", &usage("--max-heap", "0"));
    }
    // An invalid ILUSM_MAX_HEAP is a start-up error on every path: nothing runs.
    for path in paths() {
        let target = Target::new(path, oom, dir.path());
        for size in ["12X", "0", "-5M", "1.5G"] {
            target
                .run(&[("ILUSM_MAX_HEAP", size)])
                .expect(2, "", &usage("ILUSM_MAX_HEAP", size));
        }
    }
}
