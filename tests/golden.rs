//! Golden-file tests: every `tests/programs/NAME.ilu` and `tests/errors/NAME.ilu` runs on every
//! execution path and must produce exactly `NAME.out` on stdout, `NAME.err` on stderr (default:
//! empty) and the status in `NAME.code` (default: 0). See tests/README.md for the conventions.
//!
//! Environment:
//! - `ILUSM_PATHS=interp,jit,aot,aot-aarch64` selects the paths (default: all four).
//! - `ILUSM_REQUIRE_AARCH64=1` turns a missing cross toolchain / qemu into a failure instead of a
//!   skip (CI sets it).
//! - `ILUSM_PROGRAMS=a,b` runs only the programs whose name contains one of the given substrings.
//! - `ILUSM_TIMEOUT=SECS` overrides the per-run timeout (default 30 s).
//! - `ILUSM_JOBS=N` overrides the number of worker threads (default 2–4).
//! - `ILUSM_MAX_TIMEOUTS=N`: after N consecutive timeouts on one path, its remaining runs are
//!   reported as not run (default 5).
//! - `ILUSM_GOLDEN_ENV="NAME=VALUE ..."`: whitespace-separated variables set for every command of
//!   both tests (e.g. `ILUSM_GOLDEN_ENV=ILUSM_MAX_HEAP=64M`).
//!
//! Two tests run the corpus: `golden`, and `golden_gc_stress`, the same runs with
//! `ILUSM_GC_STRESS=1` (a collection at every allocation), so that every value the runtime, the
//! interpreter or compiled code holds across an allocation is known to be rooted. Run one alone
//! with `cargo test --test golden -- --exact golden` (or `golden_gc_stress`). `ILUSM_MAX_HEAP`,
//! `ILUSM_GC_STRESS` and `ILUSM_GC_STATS` are removed from every command's environment, like
//! `ILUSM_MAX_DEPTH`, unless set through the test or `ILUSM_GOLDEN_ENV`.
//!
//! The harness only shells out to the `ilusm` binary, so it compiles on its own.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use support::{aot_command, exe_command, run_command, selected_paths_for, ExecPath, ILUSM};

/// What one run produced (or what a golden file set expects).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Exit status; `None` when the process was killed by a signal.
    code: Option<i32>,
}

struct Program {
    /// The directory of `tests/` holding it (`PROGRAM_DIRS`).
    dir: &'static str,
    name: String,
    expected: Outcome,
}

struct Failure {
    path: ExecPath,
    dir: &'static str,
    program: String,
    /// A human-readable account of what went wrong.
    detail: String,
}

struct Job {
    program: Arc<Program>,
    path: ExecPath,
}

fn main_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tests_dir() -> PathBuf {
    main_dir().join("tests")
}

fn programs_dir() -> PathBuf {
    tests_dir().join("programs")
}

fn timeout() -> Duration {
    let secs = std::env::var("ILUSM_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

fn max_consecutive_timeouts() -> usize {
    std::env::var("ILUSM_MAX_TIMEOUTS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(5)
}

fn read_optional(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// The directories of `tests/` whose `*.ilu` files are golden programs (`errors/`: programs that
/// fail, with traces and compile errors).
const PROGRAM_DIRS: [&str; 2] = ["programs", "errors"];

/// Loads every program with its expectations. Problems with the golden files themselves
/// (a missing `.out`, an unparsable `.code`) are returned as errors.
fn load_programs(errors: &mut Vec<String>) -> Vec<Program> {
    let mut programs = Vec::new();
    for sub in PROGRAM_DIRS {
        programs.extend(load_dir(sub, errors));
    }
    programs
}

fn load_dir(sub: &'static str, errors: &mut Vec<String>) -> Vec<Program> {
    let dir = tests_dir().join(sub);
    let filters: Vec<String> = std::env::var("ILUSM_PROGRAMS")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "ilu" || !path.is_file() {
                return None;
            }
            Some(path.file_stem()?.to_str()?.to_string())
        })
        .filter(|name| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    names.sort();

    let mut programs = Vec::new();
    for name in names {
        let Some(stdout) = read_optional(&dir.join(format!("{name}.out"))) else {
            errors.push(format!(
                "{name}: {sub}/{name}.out is missing (write it by hand, or run tests/bless and review)"
            ));
            continue;
        };
        let stderr = read_optional(&dir.join(format!("{name}.err"))).unwrap_or_default();
        let code = match read_optional(&dir.join(format!("{name}.code"))) {
            None => 0,
            Some(bytes) => match String::from_utf8_lossy(&bytes).trim().parse::<i32>() {
                Ok(c) => c,
                Err(_) => {
                    errors.push(format!("{name}: {sub}/{name}.code is not an integer"));
                    continue;
                }
            },
        };
        programs.push(Program {
            dir: sub,
            name,
            expected: Outcome {
                stdout,
                stderr,
                code: Some(code),
            },
        });
    }
    programs
}

enum RunError {
    Spawn(String),
    Timeout(Duration, Outcome),
}

/// `ILUSM_GOLDEN_ENV`: whitespace-separated `NAME=VALUE` pairs.
fn golden_env() -> Vec<(String, String)> {
    std::env::var("ILUSM_GOLDEN_ENV")
        .unwrap_or_default()
        .split_whitespace()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.is_empty() => (k.to_string(), v.to_string()),
            _ => panic!("ILUSM_GOLDEN_ENV: {item:?} is not NAME=VALUE"),
        })
        .collect()
}

/// Runs a command with stdin closed, capturing stdout and stderr. After `limit` the command's
/// whole process group (it gets one of its own, so helpers such as `cc` or a wrapper go too) is
/// killed.
fn run_with_timeout(cmd: Command, limit: Duration) -> Result<Outcome, RunError> {
    run_with_env(cmd, limit, &[])
}

/// `run_with_timeout` with `env` added to the command's (scrubbed) environment.
fn run_with_env(
    mut cmd: Command,
    limit: Duration,
    env: &[(String, String)],
) -> Result<Outcome, RunError> {
    use std::os::unix::process::CommandExt;
    let description = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        // Keep the environment from changing results.
        .env_remove("ILUSM_MAX_DEPTH")
        .env_remove("ILUSM_MAX_HEAP")
        .env_remove("ILUSM_GC_STRESS")
        .env_remove("ILUSM_GC_STATS")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| RunError::Spawn(format!("cannot start {description}: {e}")))?;
    let (tx, rx) = std::sync::mpsc::channel::<(bool, Vec<u8>)>();
    let readers: Vec<_> = [
        (
            true,
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn Read + Send>,
        ),
        (false, Box::new(child.stderr.take().expect("piped stderr"))),
    ]
    .into_iter()
    .map(|(is_out, mut pipe)| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((is_out, buf));
        })
    })
    .collect();
    drop(tx);
    let kill_group = |child: &mut std::process::Child| {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
    };
    let start = Instant::now();
    let mut timed_out = false;
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(RunError::Spawn(format!("waiting for {description}: {e}")));
            }
        }
        if start.elapsed() >= limit {
            timed_out = true;
            kill_group(&mut child);
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Collect the output. A descendant that escaped the group could hold a pipe open: wait for
    // it a little, then report what arrived.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let grace = Instant::now() + Duration::from_secs(5);
    for _ in 0..2 {
        match rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
            Ok((true, buf)) => stdout = buf,
            Ok((false, buf)) => stderr = buf,
            Err(_) => break,
        }
    }
    drop(readers);
    let outcome = Outcome {
        stdout,
        stderr,
        code: status.and_then(|s| s.code()),
    };
    if timed_out {
        Err(RunError::Timeout(limit, outcome))
    } else {
        Ok(outcome)
    }
}

fn signal_of(status_code: Option<i32>) -> String {
    match status_code {
        Some(c) => c.to_string(),
        None => "killed by a signal".to_string(),
    }
}

/// A harness-level problem with one run (spawn failure, timeout, no executable written).
struct JobError {
    timed_out: bool,
    message: String,
}

/// Runs one program on one path, with `env` added to every command's environment.
fn run_job(
    job: &Job,
    workdir: &Path,
    limit: Duration,
    env: &[(String, String)],
) -> Result<Outcome, JobError> {
    let rel = format!("{}/{}.ilu", job.program.dir, job.program.name);
    let cwd = tests_dir();
    let describe = |what: &str, e: RunError| -> JobError {
        match e {
            RunError::Spawn(msg) => JobError {
                timed_out: false,
                message: format!("{what}: {msg}"),
            },
            RunError::Timeout(d, partial) => JobError {
                timed_out: true,
                message: format!(
                    "{what}: TIMEOUT after {}s (killed)\n  partial stdout: {}\n  partial stderr: {}",
                    d.as_secs(),
                    show_inline(&partial.stdout),
                    show_inline(&partial.stderr)
                ),
            },
        }
    };
    match job.path {
        ExecPath::Interp | ExecPath::Jit => {
            let mut cmd = run_command(job.path, &[], Path::new(&rel));
            cmd.current_dir(&cwd);
            run_with_env(cmd, limit, env).map_err(|e| describe("ilusm run", e))
        }
        ExecPath::Aot | ExecPath::AotAarch64 => {
            let exe = workdir.join(format!(
                "{}-{}-{}",
                job.program.dir,
                job.program.name,
                job.path.name()
            ));
            let mut cmd = aot_command(job.path, Path::new(&rel), &exe);
            cmd.current_dir(&cwd);
            let built = run_with_env(cmd, limit, env).map_err(|e| describe("ilusm aot", e))?;
            if built.code != Some(0) {
                // A compile error (or a crash) of the AOT step: its output is what is compared.
                return Ok(built);
            }
            if !exe.is_file() {
                return Err(JobError {
                    timed_out: false,
                    message: format!(
                        "ilusm aot exited 0 but wrote no executable at {}\n  stderr: {}",
                        exe.display(),
                        show_inline(&built.stderr)
                    ),
                });
            }
            let mut cmd = exe_command(job.path, &exe);
            cmd.current_dir(&cwd);
            let result =
                run_with_env(cmd, limit, env).map_err(|e| describe("running the executable", e));
            let _ = std::fs::remove_file(&exe);
            result
        }
    }
}

/// Bytes as one line of text for short messages.
fn show_inline(bytes: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(bytes);
    let mut s = format!("{:?}", text.as_ref());
    if s.len() > MAX {
        let mut cut = MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…(truncated)");
    }
    s
}

/// Makes a line visible: control characters escaped, trailing whitespace and a missing final
/// newline shown.
fn visible(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    if out.ends_with(' ') {
        out.push('⏎');
    }
    out
}

/// A line diff (longest common subsequence) of expected vs actual, `-` expected, `+` actual.
fn diff_text(expected: &[u8], actual: &[u8]) -> String {
    const MAX_LINES: usize = 60;
    let exp = String::from_utf8_lossy(expected);
    let act = String::from_utf8_lossy(actual);
    let split = |s: &str| -> Vec<String> {
        if s.is_empty() {
            return Vec::new();
        }
        let mut lines: Vec<String> = s.split_inclusive('\n').map(str::to_string).collect();
        if let Some(last) = lines.last_mut() {
            if !last.ends_with('\n') {
                last.push_str("\u{0}NO-NEWLINE");
            }
        }
        lines
    };
    let a = split(&exp);
    let b = split(&act);
    let render = |l: &str| -> String {
        if let Some(body) = l.strip_suffix("\u{0}NO-NEWLINE") {
            format!("{}   (no newline at end)", visible(body))
        } else {
            visible(l.strip_suffix('\n').unwrap_or(l))
        }
    };
    let mut ops: Vec<(char, String)> = Vec::new();
    if a.len() * b.len() > 4_000_000 {
        // Too big for a table: show both sides.
        ops.extend(a.iter().map(|l| ('-', render(l))));
        ops.extend(b.iter().map(|l| ('+', render(l))));
    } else {
        let (n, m) = (a.len(), b.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                ops.push((' ', render(&a[i])));
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                ops.push(('+', render(&b[j])));
                j += 1;
            } else {
                ops.push(('-', render(&a[i])));
                i += 1;
            }
        }
    }
    // Show changed lines with up to 2 lines of context.
    let keep: Vec<bool> = (0..ops.len())
        .map(|k| {
            let lo = k.saturating_sub(2);
            let hi = (k + 2).min(ops.len().saturating_sub(1));
            (lo..=hi).any(|x| ops[x].0 != ' ')
        })
        .collect();
    let mut out = String::new();
    let mut shown = 0;
    let mut skipped = false;
    for (k, (tag, line)) in ops.iter().enumerate() {
        if !keep[k] {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("      ...\n");
            skipped = false;
        }
        if shown == MAX_LINES {
            let _ = writeln!(out, "      ... (diff truncated)");
            break;
        }
        let _ = writeln!(out, "    {tag} {line}");
        shown += 1;
    }
    if out.is_empty() && expected != actual {
        out.push_str("    (the texts differ only in bytes that are not valid UTF-8)\n");
    }
    out
}

fn compare(expected: &Outcome, actual: &Outcome) -> Option<String> {
    let mut report = String::new();
    if expected.code != actual.code {
        let _ = writeln!(
            report,
            "  status: expected {}, got {}",
            signal_of(expected.code),
            signal_of(actual.code)
        );
    }
    if expected.stdout != actual.stdout {
        let _ = writeln!(report, "  stdout differs (- expected, + actual):");
        report.push_str(&diff_text(&expected.stdout, &actual.stdout));
    }
    if expected.stderr != actual.stderr {
        let _ = writeln!(report, "  stderr differs (- expected, + actual):");
        report.push_str(&diff_text(&expected.stderr, &actual.stderr));
    }
    if report.is_empty() {
        None
    } else {
        Some(report)
    }
}

fn worker_count(jobs: usize) -> usize {
    let requested = std::env::var("ILUSM_JOBS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|n| *n > 0);
    let n = requested.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 4)
    });
    n.min(jobs.max(1))
}

#[test]
fn golden() {
    run_corpus("golden", &[]);
}

/// The corpus again with a collection at every allocation (ILUSM_GC_STRESS=1).
#[test]
fn golden_gc_stress() {
    run_corpus("golden[gc-stress]", &[("ILUSM_GC_STRESS", "1")]);
}

/// Runs every selected program on every selected path with `env` (and `ILUSM_GOLDEN_ENV`) in
/// each command's environment; `label` names the run in the report.
fn run_corpus(label: &str, env: &[(&str, &str)]) {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.extend(golden_env());
    let env = Arc::new(env);
    let mut setup_errors = Vec::new();
    let paths = selected_paths_for("golden");
    let programs: Vec<Arc<Program>> = load_programs(&mut setup_errors)
        .into_iter()
        .map(Arc::new)
        .collect();
    assert!(
        !programs.is_empty() || !setup_errors.is_empty(),
        "no golden programs found in {} (ILUSM_PROGRAMS filter too narrow?)",
        programs_dir().display()
    );

    let workdir = tempfile::Builder::new()
        .prefix("ilusm-golden-")
        .tempdir()
        .expect("create a temporary directory");
    let limit = timeout();

    // Jobs are ordered program-major so that one program's paths run close together.
    let queue: VecDeque<Job> = programs
        .iter()
        .flat_map(|p| {
            paths.iter().map(move |&path| Job {
                program: Arc::clone(p),
                path,
            })
        })
        .collect();
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let failures: Arc<Mutex<Vec<Failure>>> = Arc::new(Mutex::new(Vec::new()));
    // Consecutive timeouts per path: once a path has timed out `max_timeouts` times in a row
    // (a hanging back end), its remaining runs are reported as not run instead of each waiting
    // for the full timeout.
    let max_timeouts = max_consecutive_timeouts();
    let timeouts: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let started = Instant::now();

    let workers: Vec<_> = (0..worker_count(total))
        .map(|_| {
            let queue = Arc::clone(&queue);
            let failures = Arc::clone(&failures);
            let timeouts = Arc::clone(&timeouts);
            let workdir = workdir.path().to_path_buf();
            let env = Arc::clone(&env);
            std::thread::spawn(move || loop {
                let job = match queue.lock().unwrap().pop_front() {
                    Some(job) => job,
                    None => break,
                };
                let streak = &timeouts[job.path as usize];
                let detail = if streak.load(Ordering::SeqCst) >= max_timeouts {
                    Some(format!(
                        "  NOT RUN: the {} path timed out {max_timeouts} times in a row\n",
                        job.path.name()
                    ))
                } else {
                    match run_job(&job, &workdir, limit, &env) {
                        Ok(actual) => {
                            streak.store(0, Ordering::SeqCst);
                            compare(&job.program.expected, &actual)
                        }
                        Err(problem) => {
                            if problem.timed_out {
                                streak.fetch_add(1, Ordering::SeqCst);
                            } else {
                                streak.store(0, Ordering::SeqCst);
                            }
                            Some(format!("  {}\n", problem.message.replace('\n', "\n  ")))
                        }
                    }
                };
                if let Some(detail) = detail {
                    failures.lock().unwrap().push(Failure {
                        path: job.path,
                        dir: job.program.dir,
                        program: job.program.name.clone(),
                        detail,
                    });
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a golden worker thread panicked");
    }

    let mut failures = std::mem::take(&mut *failures.lock().unwrap());
    failures.sort_by(|a, b| {
        (a.program.as_str(), a.path as u8).cmp(&(b.program.as_str(), b.path as u8))
    });
    let path_names: Vec<&str> = paths.iter().map(|p| p.name()).collect();
    let env_note: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "{label}: {} programs x {} paths [{}]{} = {} runs in {:.1}s, {} failed",
        programs.len(),
        paths.len(),
        path_names.join(", "),
        if env_note.is_empty() {
            String::new()
        } else {
            format!(" with {}", env_note.join(" "))
        },
        total,
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    if failures.is_empty() && setup_errors.is_empty() {
        return;
    }

    let mut report = String::new();
    for e in &setup_errors {
        let _ = writeln!(report, "SETUP: {e}");
    }
    for f in &failures {
        let _ = writeln!(
            report,
            "=== FAIL {label} [{}] {} (tests/{}/{}.ilu)",
            f.path.name(),
            f.program,
            f.dir,
            f.program
        );
        report.push_str(&f.detail);
    }
    // Summary: which programs fail on which paths.
    let mut summary: Vec<(String, Vec<&str>)> = Vec::new();
    for f in &failures {
        match summary.last_mut() {
            Some((name, list)) if *name == f.program => list.push(f.path.name()),
            _ => summary.push((f.program.clone(), vec![f.path.name()])),
        }
    }
    let _ = writeln!(
        report,
        "\n=== SUMMARY ({label}): {} of {} runs failed",
        failures.len(),
        total
    );
    for (name, list) in &summary {
        let _ = writeln!(report, "  {name}: {}", list.join(", "));
    }
    for e in &setup_errors {
        let _ = writeln!(report, "  setup: {e}");
    }
    eprintln!("{report}");
    panic!(
        "{label} tests failed: {} mismatching runs, {} golden-file problems (details above)",
        failures.len(),
        setup_errors.len()
    );
}

/// The examples stay runnable: `hello.ilu` prints its greeting (fib.ilu is a benchmark; its
/// program is covered by `fn_recursion` and `bench/run --only fib`).
#[test]
fn example_hello() {
    let mut cmd = Command::new(ILUSM);
    cmd.current_dir(main_dir())
        .args(["run", "examples/hello.ilu"]);
    match run_with_timeout(cmd, timeout()) {
        Ok(out) => assert_eq!(
            (out.code, String::from_utf8_lossy(&out.stdout).into_owned()),
            (Some(0), "hello, world\n".to_string()),
            "examples/hello.ilu; stderr: {}",
            show_inline(&out.stderr)
        ),
        Err(RunError::Spawn(msg)) => panic!("{msg}"),
        Err(RunError::Timeout(..)) => panic!("examples/hello.ilu timed out"),
    }
}
