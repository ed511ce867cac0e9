//! `ilusm difftest`: differential testing at scale.
//!
//! Generates `--count` valid programs from `--seed` ([`gen`]), runs each on every selected path
//! ([`run`]) and compares stdout, stderr and exit status exactly. Any difference — or an outcome
//! that is wrong on every path (a timeout, a crash, an internal error) — is a *finding*: saved under
//! `--findings` with each path's output and a minimized program ([`minimize`]).
//!
//! Throughput: the interpreter and the JIT run every program on its own (a process each, a few
//! milliseconds). The native paths pay a compile and a `cc` link per executable, so they run
//! *batches*: `--batch K` programs in one file, each program's body a function called under `try`
//! after a marker line (the last one at the top level, so uncaught errors and traces are compared
//! too). Every selected path runs the same batches. When a batch disagrees, the marker sections
//! that differ name the candidate programs, which are then run on their own on the two paths to
//! find the culprits; a batch none of whose programs disagrees alone is itself the finding.
//!
//! The last line printed is `N programs, D disagreements`; the exit status is 0 only when D is 0
//! (and no generated program failed to compile: that is a generator bug, counted separately).

mod gen;
mod gen_expr;
mod gen_patterns;
mod minimize;
mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gen::Program;
use run::{disagreeing, parallel, ExecPath, Outcome, Runner};

/// Command-line options of `ilusm difftest`.
#[derive(clap::Args)]
pub struct Args {
    /// Seed of the program generator.
    #[arg(long)]
    seed: u64,
    /// Number of programs to generate.
    #[arg(long)]
    count: usize,
    /// Paths to compare, the first being the reference.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "interp,jit,aot,aot-aarch64"
    )]
    paths: Vec<String>,
    /// Directory for the findings (created when there is one).
    #[arg(long, default_value = "findings")]
    findings: PathBuf,
    /// Programs per batch on the native paths (1: every program on its own on every path).
    #[arg(long, default_value_t = 25)]
    batch: usize,
    /// Worker threads (default: available cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Per-program timeout in seconds (a batch gets twice as much).
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Findings to minimize (the others are saved as found).
    #[arg(long, default_value_t = 12)]
    max_minimize: usize,
    /// Time budget of one minimization, in seconds.
    #[arg(long, default_value_t = 90)]
    minimize_secs: u64,
    /// Only print the generated programs (standalone form), do not run them.
    #[arg(long)]
    print: bool,
    /// Only print the batches the native paths would run.
    #[arg(long)]
    print_batches: bool,
}

/// A program (or batch) that disagrees.
struct Finding {
    /// Directory name under the findings dir, e.g. `prog-17`.
    name: String,
    text: String,
    /// File name the program runs as (it appears in traces).
    file: &'static str,
    reference: ExecPath,
    bad: ExecPath,
    outcomes: Vec<(ExecPath, Outcome)>,
    minimized: Option<(String, Vec<(ExecPath, Outcome)>)>,
}

/// Busy time and run count per path, for the throughput report.
#[derive(Default)]
struct Stats {
    per_path: BTreeMap<ExecPath, (usize, usize, Duration)>,
}

impl Stats {
    fn add(&mut self, path: ExecPath, programs: usize, took: Duration) {
        let e = self.per_path.entry(path).or_default();
        e.0 += 1;
        e.1 += programs;
        e.2 += took;
    }
}

/// Compiles `text` in-process (as `ilusm run` would); `Err` has the diagnostics.
fn compiles(text: &str, file: &str) -> Result<(), String> {
    let result = std::panic::catch_unwind(|| {
        let module = ilusm_frontend::compile_source(file, text.as_bytes())
            .map_err(|ds| ds.iter().map(|d| d.render()).collect::<String>())?;
        ilusm_bytecode::verify::verify(&module)
            .map(|_| ())
            .map_err(|e| format!("invalid bytecode: {e}"))
    });
    result.unwrap_or_else(|_| Err("the compiler panicked".to_string()))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}

/// Runs `ilusm difftest`.
pub fn run(args: Args) -> Result<u8, String> {
    let mut paths = Vec::new();
    for p in &args.paths {
        let path = ExecPath::parse(p.trim()).ok_or_else(|| {
            format!("error: unknown path '{p}' (known: interp, jit, aot, aot-aarch64)")
        })?;
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err("error: --paths selects no path".to_string());
    }
    if paths.contains(&ExecPath::AotAarch64) && !run::aarch64_available() {
        return Err("error: the aot-aarch64 path needs qemu-aarch64 and aarch64-linux-gnu-gcc (scripts/setup)".into());
    }
    let programs: Vec<Program> = (0..args.count)
        .map(|i| gen::generate(args.seed, i))
        .collect();
    if args.print {
        for p in &programs {
            println!("# ---- program {}\n{}", p.id, p.standalone());
        }
        return Ok(0);
    }
    if args.print_batches {
        let all: Vec<&Program> = programs.iter().collect();
        for (b, members) in all.chunks(args.batch.max(1)).enumerate() {
            println!("# ---- batch {b}\n{}", gen::batch(members));
        }
        return Ok(0);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let work = std::env::temp_dir().join(format!(
        "ilusm-difftest-{}-{}",
        std::process::id(),
        args.seed
    ));
    std::fs::create_dir_all(&work)
        .map_err(|e| format!("error: cannot create {}: {e}", work.display()))?;
    let runner = Runner {
        exe: std::env::current_exe()
            .map_err(|e| format!("error: cannot find this executable: {e}"))?,
        timeout: Duration::from_secs(args.timeout),
    };
    let ctx = Ctx {
        runner,
        paths,
        jobs,
        work: work.clone(),
        args,
    };
    let result = ctx.execute(&programs);
    let _ = std::fs::remove_dir_all(&work);
    result
}

struct Ctx {
    runner: Runner,
    paths: Vec<ExecPath>,
    jobs: usize,
    work: PathBuf,
    args: Args,
}

impl Ctx {
    fn execute(&self, programs: &[Program]) -> Result<u8, String> {
        let started = Instant::now();
        let mut stats = Stats::default();

        // 1. Every program must compile.
        let mut gen_bugs = Vec::new();
        let mut valid: Vec<&Program> = Vec::new();
        for p in programs {
            match compiles(&p.standalone(), "prog.ilu") {
                Ok(()) => valid.push(p),
                Err(diag) => gen_bugs.push((format!("genbug-{}", p.id), p.standalone(), diag)),
            }
        }

        let native: Vec<ExecPath> = self
            .paths
            .iter()
            .copied()
            .filter(|p| p.is_native_exe())
            .collect();
        let batching = self.args.batch > 1 && !native.is_empty();
        let solo_paths: Vec<ExecPath> = if batching {
            self.paths
                .iter()
                .copied()
                .filter(|p| !p.is_native_exe())
                .collect()
        } else {
            self.paths.clone()
        };

        // 2. Each program on its own.
        let mut findings: Vec<Finding> = Vec::new();
        if !solo_paths.is_empty() {
            let t = Instant::now();
            for p in &valid {
                let dir = self.work.join(format!("p{}", p.id));
                std::fs::create_dir_all(&dir).map_err(|e| format!("error: {e}"))?;
                write_file(&dir.join("prog.ilu"), p.standalone().as_bytes())?;
            }
            let items: Vec<(usize, ExecPath)> = valid
                .iter()
                .enumerate()
                .flat_map(|(i, _)| solo_paths.iter().map(move |&path| (i, path)))
                .collect();
            let results = parallel(self.jobs, items, |(i, path)| {
                let t = Instant::now();
                let dir = self.work.join(format!("p{}", valid[i].id));
                let o = self.runner.run(path, &dir, "prog.ilu");
                (i, path, o, t.elapsed())
            });
            let mut per_prog: BTreeMap<usize, Vec<(ExecPath, Outcome)>> = BTreeMap::new();
            for (i, path, o, took) in results {
                stats.add(path, 1, took);
                per_prog.entry(i).or_default().push((path, o));
            }
            for (i, outcomes) in per_prog {
                if let Some(&bad) = disagreeing(&outcomes).first() {
                    findings.push(self.finding_for(valid[i], outcomes[0].0, bad));
                }
            }
            println!(
                "standalone pass: {} programs on {} in {:.1}s",
                valid.len(),
                names(&solo_paths),
                t.elapsed().as_secs_f64()
            );
        }

        // 3. Batches on every path.
        if batching {
            let t = Instant::now();
            self.batch_pass(&valid, &mut findings, &mut gen_bugs, &mut stats)?;
            println!(
                "batch pass: {} programs in batches of {} on {} in {:.1}s",
                valid.len(),
                self.args.batch,
                names(&self.paths),
                t.elapsed().as_secs_f64()
            );
        }

        // 4. Group by signature; minimize a few of each kind, round robin; save.
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in findings.iter().enumerate() {
            groups.entry(signature(f)).or_default().push(i);
        }
        let mut to_minimize: Vec<usize> = Vec::new();
        for round in 0..2 {
            for members in groups.values() {
                if let Some(&i) = members.get(round) {
                    if to_minimize.len() < self.args.max_minimize {
                        to_minimize.push(i);
                    }
                }
            }
        }
        let minimized = parallel(self.jobs, to_minimize, |i| {
            (i, self.minimize(&findings[i], i))
        });
        for (i, m) in minimized {
            findings[i].minimized = m;
        }
        for f in &findings {
            self.save(f)?;
        }
        for (name, text, diag) in &gen_bugs {
            let dir = self.args.findings.join(name);
            std::fs::create_dir_all(&dir).map_err(|e| format!("error: {e}"))?;
            write_file(&dir.join("prog.ilu"), text.as_bytes())?;
            write_file(&dir.join("compile-error.txt"), diag.as_bytes())?;
            println!(
                "GENERATOR BUG {name}: the program does not compile -> {}",
                dir.display()
            );
        }

        if !groups.is_empty() {
            let mut text = String::new();
            for (sig, members) in &groups {
                let names: Vec<&str> = members.iter().map(|&i| findings[i].name.as_str()).collect();
                text.push_str(&format!(
                    "{} x {sig}\n    {}\n",
                    members.len(),
                    names.join(" ")
                ));
            }
            write_file(&self.args.findings.join("signatures.txt"), text.as_bytes())?;
            println!("{} distinct signatures:\n{text}", groups.len());
        }
        for (path, (runs, progs, busy)) in &stats.per_path {
            let secs = busy.as_secs_f64().max(1e-9);
            println!(
                "throughput {}: {runs} runs covering {progs} programs, {:.1}s busy, {:.0} programs/min per worker",
                path.name(),
                secs,
                *progs as f64 * 60.0 / secs
            );
        }
        println!(
            "total time {:.1}s with {} workers",
            started.elapsed().as_secs_f64(),
            self.jobs
        );
        println!(
            "generator bugs (programs that did not compile): {}",
            gen_bugs.len()
        );
        println!(
            "{} programs, {} disagreements",
            programs.len(),
            findings.len()
        );
        Ok(if findings.is_empty() && gen_bugs.is_empty() {
            0
        } else {
            1
        })
    }

    /// Runs batches of the valid programs on every path, localizing disagreements.
    fn batch_pass(
        &self,
        valid: &[&Program],
        findings: &mut Vec<Finding>,
        gen_bugs: &mut Vec<(String, String, String)>,
        stats: &mut Stats,
    ) -> Result<(), String> {
        let batches: Vec<&[&Program]> = valid.chunks(self.args.batch).collect();
        let mut runnable = Vec::new();
        for (b, members) in batches.iter().enumerate() {
            let text = gen::batch(members);
            if let Err(diag) = compiles(&text, "batch.ilu") {
                gen_bugs.push((format!("genbug-batch-{b}"), text, diag));
                continue;
            }
            let dir = self.work.join(format!("b{b}"));
            std::fs::create_dir_all(&dir).map_err(|e| format!("error: {e}"))?;
            write_file(&dir.join("batch.ilu"), text.as_bytes())?;
            runnable.push(b);
        }
        let items: Vec<(usize, ExecPath)> = runnable
            .iter()
            .flat_map(|&b| self.paths.iter().map(move |&p| (b, p)))
            .collect();
        let batch_runner = Runner {
            exe: self.runner.exe.clone(),
            // Generated programs run in milliseconds: a batch gets twice one program's limit
            // (a batch timing out on one path is localized with the per-program limit).
            timeout: self.runner.timeout * 2,
        };
        let results = parallel(self.jobs, items, |(b, path)| {
            let t = Instant::now();
            let o = batch_runner.run(path, &self.work.join(format!("b{b}")), "batch.ilu");
            (b, path, o, t.elapsed())
        });
        let mut per_batch: BTreeMap<usize, Vec<(ExecPath, Outcome)>> = BTreeMap::new();
        for (b, path, o, took) in results {
            stats.add(path, batches[b].len(), took);
            per_batch.entry(b).or_default().push((path, o));
        }
        for (b, outcomes) in per_batch {
            let Some(&bad) = disagreeing(&outcomes).first() else {
                continue;
            };
            let reference = outcomes[0].0;
            let get = |p: ExecPath| &outcomes.iter().find(|(q, _)| *q == p).expect("ran").1;
            let candidates = candidates(batches[b], get(reference), get(bad));
            let mut found = false;
            let mut culprits = 0;
            for p in candidates.into_iter().take(6) {
                if culprits == 3 {
                    break;
                }
                if findings.iter().any(|f| f.name == format!("prog-{}", p.id)) {
                    found = true;
                    continue;
                }
                let dir = self.work.join(format!("p{}", p.id));
                std::fs::create_dir_all(&dir).map_err(|e| format!("error: {e}"))?;
                write_file(&dir.join("prog.ilu"), p.standalone().as_bytes())?;
                let pair =
                    [reference, bad].map(|path| (path, self.runner.run(path, &dir, "prog.ilu")));
                if !disagreeing(&pair).is_empty() {
                    findings.push(self.finding_for(p, reference, bad));
                    found = true;
                    culprits += 1;
                }
            }
            if !found {
                let text = gen::batch(batches[b]);
                findings.push(Finding {
                    name: format!("batch-{b}"),
                    text,
                    file: "batch.ilu",
                    reference,
                    bad,
                    outcomes,
                    minimized: None,
                });
            }
        }
        Ok(())
    }

    /// A finding for program `p`, with its outcomes on every selected path.
    fn finding_for(&self, p: &Program, reference: ExecPath, bad: ExecPath) -> Finding {
        let dir = self.work.join(format!("p{}", p.id));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("prog.ilu"), p.standalone());
        let outcomes = self
            .paths
            .iter()
            .map(|&path| (path, self.runner.run(path, &dir, "prog.ilu")))
            .collect();
        Finding {
            name: format!("prog-{}", p.id),
            text: p.standalone(),
            file: "prog.ilu",
            reference,
            bad,
            outcomes,
            minimized: None,
        }
    }

    /// Reduces a finding's program while it compiles and the same two paths still disagree.
    fn minimize(&self, f: &Finding, n: usize) -> Option<(String, Vec<(ExecPath, Outcome)>)> {
        let dir = self.work.join(format!("min{n}"));
        std::fs::create_dir_all(&dir).ok()?;
        let pair: Vec<ExecPath> = if f.reference == f.bad {
            vec![f.bad]
        } else {
            vec![f.reference, f.bad]
        };
        let check = |text: &str| -> Option<Vec<(ExecPath, Outcome)>> {
            compiles(text, f.file).ok()?;
            std::fs::write(dir.join(f.file), text).ok()?;
            let outs: Vec<(ExecPath, Outcome)> = pair
                .iter()
                .map(|&p| (p, self.runner.run(p, &dir, f.file)))
                .collect();
            (!disagreeing(&outs).is_empty()).then_some(outs)
        };
        check(&f.text)?;
        let deadline = Instant::now() + Duration::from_secs(self.args.minimize_secs);
        let small = minimize::minimize(&f.text, &mut |t| check(t).is_some(), deadline);
        let outs = check(&small)?;
        Some((small, outs))
    }

    fn save(&self, f: &Finding) -> Result<(), String> {
        let dir = self.args.findings.join(&f.name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("error: cannot create {}: {e}", dir.display()))?;
        write_file(&dir.join(f.file), f.text.as_bytes())?;
        save_outcomes(&dir, "", &f.outcomes)?;
        let mut summary = format!(
            "{}: {} disagrees with {} ({})\nreproduce: cd {} && ilusm run {} (and the other paths)\n",
            f.name,
            f.bad.name(),
            f.reference.name(),
            describe(&f.outcomes, f.reference, f.bad),
            dir.display(),
            f.file
        );
        if let Some((text, outs)) = &f.minimized {
            write_file(&dir.join(format!("min-{}", f.file)), text.as_bytes())?;
            save_outcomes(&dir, "min-", outs)?;
            summary.push_str(&format!(
                "minimized ({} lines): min-{}\n",
                text.lines().count(),
                f.file
            ));
        }
        write_file(&dir.join("summary.txt"), summary.as_bytes())?;
        println!(
            "DISAGREEMENT {}: {} vs {} ({}) -> {}",
            f.name,
            f.reference.name(),
            f.bad.name(),
            describe(&f.outcomes, f.reference, f.bad),
            dir.display()
        );
        Ok(())
    }
}

fn save_outcomes(dir: &Path, prefix: &str, outcomes: &[(ExecPath, Outcome)]) -> Result<(), String> {
    for (p, o) in outcomes {
        let base = format!("{prefix}{}", p.name());
        write_file(&dir.join(format!("{base}.stdout")), &o.stdout)?;
        write_file(&dir.join(format!("{base}.stderr")), &o.stderr)?;
        write_file(
            &dir.join(format!("{base}.status")),
            format!("{}\n", o.status).as_bytes(),
        )?;
    }
    Ok(())
}

/// A short description of a finding's kind, to group findings that are probably one bug: the
/// bad path, and the first line of its stderr that the reference does not have (numbers and
/// positions blanked), else the status difference, else `stdout`.
fn signature(f: &Finding) -> String {
    let get = |p: ExecPath| f.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o);
    let (Some(r), Some(b)) = (get(f.reference), get(f.bad)) else {
        return format!("{}: no outcome", f.bad.name());
    };
    let normalize = |line: &str| -> String {
        let line = match line.find(" (") {
            Some(i) if line.trim_start().starts_with("at ") => &line[..i],
            _ => line,
        };
        let mut out = String::new();
        for c in line.chars() {
            if c.is_ascii_digit() {
                if !out.ends_with('N') {
                    out.push('N');
                }
            } else {
                out.push(c);
            }
        }
        out.trim().to_string()
    };
    let theirs: Vec<String> = String::from_utf8_lossy(&r.stderr)
        .lines()
        .map(normalize)
        .collect();
    let stderr = String::from_utf8_lossy(&b.stderr);
    let panicked = stderr.lines().any(|l| l.starts_with("thread '"));
    let first_new = stderr
        .lines()
        .map(normalize)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("note: run with")
                && !l.starts_with("thread '")
                && !theirs.contains(l)
        })
        .map(|l| if panicked { format!("panic: {l}") } else { l });
    let what = match first_new {
        Some(line) => line,
        None if r.status != b.status => format!("status {} vs {}", r.status, b.status),
        None if f.reference == f.bad => b.insane().unwrap_or_default(),
        None => "stdout".to_string(),
    };
    format!("{}: {what}", f.bad.name())
}

/// What differs between two paths' outcomes, in words.
fn describe(outcomes: &[(ExecPath, Outcome)], a: ExecPath, b: ExecPath) -> String {
    let get = |p: ExecPath| outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o);
    let (Some(x), Some(y)) = (get(a), get(b)) else {
        return "outcome missing".to_string();
    };
    if a == b || x == y {
        return x
            .insane()
            .unwrap_or_else(|| "agree now (flaky?)".to_string());
    }
    let mut parts = Vec::new();
    if x.stdout != y.stdout {
        parts.push("stdout".to_string());
    }
    if x.stderr != y.stderr {
        parts.push("stderr".to_string());
    }
    if x.status != y.status {
        parts.push(format!("status {} vs {}", x.status, y.status));
    }
    format!("{} differ", parts.join(", "))
}

fn names(paths: &[ExecPath]) -> String {
    paths.iter().map(|p| p.name()).collect::<Vec<_>>().join(",")
}

/// The programs of a batch that may explain a difference between two outcomes: those whose marker
/// sections of stdout differ (or are missing), then the last one if stderr or status differ.
fn candidates<'a>(members: &[&'a Program], a: &Outcome, b: &Outcome) -> Vec<&'a Program> {
    let sections = |o: &Outcome| -> BTreeMap<usize, String> {
        let mut map = BTreeMap::new();
        let mut current: Option<usize> = None;
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            if let Some(id) = line
                .strip_prefix("=== chunk ")
                .and_then(|s| s.trim().parse().ok())
            {
                current = Some(id);
                map.insert(id, String::new());
            } else if let Some(id) = current {
                let s = map.entry(id).or_default();
                s.push_str(line);
                s.push('\n');
            }
        }
        map
    };
    let (sa, sb) = (sections(a), sections(b));
    let mut out: Vec<&Program> = members
        .iter()
        .copied()
        .filter(|p| sa.get(&p.id) != sb.get(&p.id))
        .collect();
    if a.stderr != b.stderr || a.status != b.status {
        if let Some(last) = members.last() {
            if !out.iter().any(|p| p.id == last.id) {
                out.push(last);
            }
        }
    }
    if out.is_empty() {
        out = members.to_vec();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use run::Status;

    #[test]
    fn candidates_are_the_programs_whose_sections_differ() {
        let programs: Vec<Program> = (0..3).map(|i| gen::generate(1, i)).collect();
        let members: Vec<&Program> = programs.iter().collect();
        let out = |s: &str, code| Outcome {
            stdout: s.as_bytes().to_vec(),
            stderr: Vec::new(),
            status: Status::Code(code),
        };
        let a = out("=== chunk 0\n1\n=== chunk 1\n2\n=== chunk 2\n3\n", 0);
        let b = out("=== chunk 0\n1\n=== chunk 1\n9\n=== chunk 2\n3\n", 0);
        let ids = |v: Vec<&Program>| v.iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(candidates(&members, &a, &b)), vec![1]);
        // A crash in chunk 1: its section and the later ones differ, and so does the status.
        let c = out("=== chunk 0\n1\n=== chunk 1\n", 139);
        assert_eq!(ids(candidates(&members, &a, &c)), vec![1, 2]);
    }

    #[test]
    fn generator_is_deterministic() {
        for i in 0..20 {
            assert_eq!(
                gen::generate(7, i).standalone(),
                gen::generate(7, i).standalone()
            );
            assert_eq!(gen::generate(7, i).chunk(), gen::generate(7, i).chunk());
        }
        assert_ne!(
            gen::generate(7, 0).standalone(),
            gen::generate(8, 0).standalone()
        );
    }

    #[test]
    fn every_batch_of_generated_programs_compiles() {
        let programs: Vec<Program> = (0..40).map(|i| gen::generate(3, i)).collect();
        let members: Vec<&Program> = programs.iter().collect();
        for p in &programs {
            assert_eq!(
                compiles(&p.standalone(), "prog.ilu"),
                Ok(()),
                "{}",
                p.standalone()
            );
        }
        for batch in members.chunks(10) {
            let text = gen::batch(batch);
            assert_eq!(compiles(&text, "batch.ilu"), Ok(()), "{text}");
        }
    }
}
