#!/usr/bin/env python3
"""The benchmark harness behind bench/run (which installs the tools and builds ilusm first).

For each benchmark bench/NAME/NAME.ilu and its twins (NAME.lua, NAME.py, NAME.c) it builds the AOT
executable and the C program, runs every runner once and checks that its stdout equals the ilusm
interpreter's (and, at the default sizes, bench/NAME/NAME.out), then times the runners with hyperfine,
one run of each in turn (interleaved, so that the machine's drift affects them alike). It
also times start-up (hello world) and measures the AOT hello executable's size, then prints and
writes a markdown report with the machine, the versions, the times, the ratios and the issue's
targets.

Under load (the machine this was written on is shared), wall-clock time mostly measures the
scheduler, so the report gives user+sys CPU time next to the wall time and evaluates the targets
on both.
"""

import argparse
import datetime
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, default size (the issue's), --quick size, whether a C twin exists. Each source file holds
# its size as the first integer on the line marked `bench:size`; --quick substitutes it.
BENCHMARKS = [
    ("fib", 35, 27, True),
    ("loop", 50000000, 5000000, True),
    ("nbody", 1000000, 100000, True),
    ("spectral-norm", 1000, 300, True),
    ("binary-trees", 16, 12, False),
    ("strings", 1000000, 100000, False),
    ("sieve", 10000000, 1000000, True),
    ("closures", 1000000, 100000, False),
]

# Runner names, in table order.
RUNNERS = ["interp", "jit", "aot", "lua5.4", "luajit", "luajit-joff", "python3", "c"]

# (column title, numerator runner, denominator runner), for the ratio table.
RATIOS = [
    ("interp / Lua 5.4", "interp", "lua5.4"),
    ("interp / CPython", "interp", "python3"),
    ("JIT / AOT", "jit", "aot"),
    ("AOT / Lua 5.4", "aot", "lua5.4"),
    ("AOT / LuaJIT", "aot", "luajit"),
    ("AOT / LuaJIT -joff", "aot", "luajit-joff"),
    ("AOT / C -O2", "aot", "c"),
]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sh(cmd):
    """The first line of a command's combined output ('' if it fails)."""
    try:
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60)
        out = (p.stdout + p.stderr).strip()
        return out.splitlines()[0] if out else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    model, cores = "unknown", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
                cores += 1
    return {
        "cpu": model,
        "cores": f"{cores} logical CPUs in /proc/cpuinfo, {os.cpu_count()} online",
        "kernel": sh("uname -srm"),
        "memory": sh("free -h | awk '/^Mem:/ {print $2}'"),
    }


def versions(ilusm):
    commit = sh(f"git -C {shlex.quote(ROOT)} rev-parse --short HEAD")
    if sh(f"git -C {shlex.quote(ROOT)} status --porcelain -- . ':!bench/RESULTS.md'"):
        commit += " (with uncommitted changes)"
    return {
        "ilusm": f"{ilusm} at commit {commit}",
        "lua5.4": sh("lua5.4 -v"),
        "luajit": sh("luajit -v"),
        "python3": sh("python3 --version"),
        "gcc": sh("gcc --version | head -1"),
        "hyperfine": sh("hyperfine --version"),
    }


def prepare_source(bench_dir, work, name, ext, full, size):
    """Path of NAME.ext at the requested size: the file itself at the default size, else a copy in
    work with the integer on its bench:size line replaced."""
    src = os.path.join(bench_dir, f"{name}.{ext}")
    with open(src) as f:
        lines = f.read().split("\n")
    marked = [i for i, line in enumerate(lines) if "bench:size" in line]
    if len(marked) != 1:
        sys.exit(f"bench: {src} must have exactly one line marked bench:size")
    line = lines[marked[0]]
    m = re.search(r"\b\d+\b", line)
    if not m or int(m.group()) != full:
        sys.exit(f"bench: {src}: the bench:size line should hold {full}: {line!r}")
    if size == full:
        return src
    lines[marked[0]] = line[: m.start()] + str(size) + line[m.end():]
    os.makedirs(os.path.join(work, name), exist_ok=True)
    dst = os.path.join(work, name, f"{name}.{ext}")
    with open(dst, "w") as f:
        f.write("\n".join(lines))
    return dst


def run_once(argv, timeout, rss_exec, work):
    """Runs argv once under rss-exec; returns (stdout bytes, wall seconds, peak RSS in KiB, error
    or None)."""
    rss_file = os.path.join(work, "rss")
    t0 = time.perf_counter()
    try:
        p = subprocess.run([rss_exec, rss_file] + argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return b"", timeout, 0, f"killed after {timeout} s"
    wall = time.perf_counter() - t0
    with open(rss_file) as f:
        rss = int(f.read())
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return p.stdout, wall, rss, f"exit status {p.returncode}: {err[0] if err else ''}"
    return p.stdout, wall, rss, None


def hyperfine(argv, runs, warmup, work, tag):
    """Times argv with hyperfine; returns its JSON result (median, times, user, system...)."""
    out = os.path.join(work, f"{tag}.json")
    cmd = ["hyperfine", "-N", "--style", "basic", "--runs", str(runs), "--export-json", out]
    if warmup:
        cmd += ["--warmup", str(warmup)]
    cmd += ["-n", tag, " ".join(shlex.quote(a) for a in argv)]
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    with open(out) as f:
        return json.load(f)["results"][0]


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_s(x):
    return "" if x is None else (f"{x:.3f}" if x >= 0.1 else f"{x * 1000:.1f} ms")


def fmt_x(x):
    return "" if x is None else f"{x:.2f}x"


def main():
    ap = argparse.ArgumentParser(prog="bench/run", description="See bench/run.")
    ap.add_argument("--ilusm", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--budget", type=float, default=90.0,
                    help="seconds of timed runs allowed per benchmark and runner")
    ap.add_argument("--startup-runs", type=int, default=200)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = ap.parse_args()

    selected = BENCHMARKS
    if args.only:
        wanted = args.only.split(",")
        known = {b[0] for b in BENCHMARKS}
        for w in wanted:
            if w not in known:
                sys.exit(f"bench: unknown benchmark '{w}' (known: {', '.join(sorted(known))})")
        selected = [b for b in BENCHMARKS if b[0] in wanted]

    ilusm = args.ilusm
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    log(f"load average at start: {load_start}")
    work = tempfile.mkdtemp(prefix="ilusm-bench-")
    rss_exec = os.path.join(work, "rss-exec")
    subprocess.run(["gcc", "-O2", "-o", rss_exec, os.path.join(ROOT, "bench", "rss-exec.c")],
                   check=True)

    results = {}   # name -> runner -> {median, cpu, runs, rss} or {error}
    notes = []     # free-text lines for the report
    failures = []  # output mismatches and crashes
    sizes = {}
    aot_compile = {}
    for name, full, quick, has_c in selected:
        size = quick if args.quick else full
        sizes[name] = size
        bdir = os.path.join(ROOT, "bench", name)
        src = {ext: prepare_source(bdir, work, name, ext, full, size) for ext in ["ilu", "lua", "py"]}
        exe = os.path.join(work, f"{name}-aot")
        log(f"{name}: ilusm aot")
        t0 = time.perf_counter()
        p = subprocess.run([ilusm, "aot", src["ilu"], "-o", exe], capture_output=True, text=True)
        aot_compile[name] = time.perf_counter() - t0
        cmds = {
            "interp": [ilusm, "run", src["ilu"]],
            "jit": [ilusm, "run", "--jit", src["ilu"]],
            "aot": [exe],
            "lua5.4": ["lua5.4", src["lua"]],
            "luajit": ["luajit", src["lua"]],
            "luajit-joff": ["luajit", "-joff", src["lua"]],
            "python3": ["python3", src["py"]],
        }
        res = results[name] = {}
        if p.returncode != 0:
            del cmds["aot"]
            res["aot"] = {"error": f"ilusm aot failed: {p.stderr.strip()}"}
            failures.append(f"{name}/aot: `ilusm aot` failed: {p.stderr.strip()}")
        if has_c:
            csrc = prepare_source(bdir, work, name, "c", full, size)
            cexe = os.path.join(work, f"{name}-c")
            subprocess.run(["gcc", "-O2", "-o", cexe, csrc, "-lm"], check=True)
            cmds["c"] = [cexe]

        # Correctness first: every runner must print exactly what the interpreter prints (and, at
        # the default size, the recorded expected output). This run is also the warm-up.
        expected_file = os.path.join(bdir, f"{name}.out")
        reference = None
        for runner in RUNNERS:
            if runner not in cmds:
                continue
            log(f"{name}: checking {runner}")
            out, wall, rss, error = run_once(cmds[runner], 20 * 60, rss_exec, work)
            if runner == "interp" and error is None:
                reference = out
                if not args.quick and os.path.exists(expected_file):
                    with open(expected_file, "rb") as f:
                        if f.read() != out:
                            error = f"output differs from {os.path.relpath(expected_file, ROOT)}"
            elif error is None and out != reference:
                error = "output differs from the interpreter's"
                if reference is None:
                    error = "no interpreter output to compare with"
            if error:
                shown = out.decode(errors="replace").strip().replace("\n", " / ")[:200]
                failures.append(f"{name}/{runner}: {error} (printed: {shown!r})")
                res[runner] = {"error": error}
                log(f"{name}: {runner}: {error}")
                continue
            res[runner] = {"check_wall": wall, "rss": rss}

        timed = [(runner, res[runner]) for runner in RUNNERS
                 if runner in res and "error" not in res[runner]]
        for runner, r in timed:
            # Long runners get fewer runs, so that no benchmark takes more than a few minutes per
            # runner; the report says which.
            runs = max(1, min(args.runs, int(args.budget // max(r["check_wall"], 1e-3))))
            r.update(runs=runs, times=[], cpus=[])
            if runs < args.runs:
                notes.append(f"{name} on {runner}: {runs} run(s) instead of {args.runs} (one run "
                             f"took {r['check_wall']:.0f} s)")
        # Interleaved: round k runs every runner once. The machine's speed drifts (shared cores:
        # the same AOT executable took 87 ms and 145 ms within ten minutes), and timing one runner
        # after another put whole runners into a slow phase, which made ratios such as JIT / AOT
        # swing by 1.7x between runs; interleaved, a slow phase slows every runner alike.
        for k in range(args.runs):
            for runner, r in timed:
                if k >= r["runs"]:
                    continue
                log(f"{name}: timing {runner} (run {k + 1} of {r['runs']})")
                hf = hyperfine(cmds[runner], 1, 0, work, f"{name}-{runner}-{k}")
                r["times"].append(hf["times"][0])
                r["cpus"].append(hf["user"] + hf["system"])
        for runner, r in timed:
            r.update(median=statistics.median(r["times"]), cpu=statistics.fmean(r.pop("cpus")))

    # Start-up: hello world on the interpreter and as an AOT executable, and that executable's size.
    hello = os.path.join(ROOT, "examples", "hello.ilu")
    hello_exe = os.path.join(work, "hello-aot")
    subprocess.run([ilusm, "aot", hello, "-o", hello_exe], check=True)
    startup = {}
    for tag, argv in [("ilusm run hello.ilu", [ilusm, "run", hello]),
                      ("AOT hello executable", [hello_exe])]:
        log(f"start-up: {tag}")
        hf = hyperfine(argv, args.startup_runs, 10, work, "startup")
        startup[tag] = {"median": hf["median"], "cpu": hf["user"] + hf["system"]}
    hello_size = os.path.getsize(hello_exe)
    load_end = loadavg()

    report = render(args, started, load_start, load_end, machine(), versions(ilusm), selected,
                    sizes, results, aot_compile, startup, hello_size, notes, failures)
    print(report)
    with open(args.out, "w") as f:
        f.write(report)
    log(f"wrote {os.path.relpath(args.out, ROOT)}")
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f)
    subprocess.run(["rm", "-rf", work])
    return 1 if failures else 0


def render(args, started, load_start, load_end, mach, vers, selected, sizes, results, aot_compile,
           startup, hello_size, notes, failures):
    names = [b[0] for b in selected]
    L = []
    mode = "QUICK sizes (--quick), not the issue's" if args.quick else "the issue's sizes"
    L.append("# ilusm benchmark results\n")
    L.append(f"Generated by `bench/run` on {started:%Y-%m-%d %H:%M} UTC, {mode}; "
             f"{args.runs} timed run{'s' if args.runs > 1 else ''} per benchmark and runner, interleaved (round k "
             f"times each runner once, with hyperfine; after one checked warm-up run), fewer for long "
             f"runners (listed below).\n")
    L.append("## Machine\n")
    L.append(f"- CPU: {mach['cpu']} ({mach['cores']})")
    L.append(f"- kernel: {mach['kernel']}; memory: {mach['memory']}")
    L.append(f"- load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}")
    L.append("")
    L.append("The machine is shared (other builds run on the same cores), so wall-clock times "
             "include waiting for a CPU. User+sys CPU time is much less sensitive to that; both "
             "are given and the targets are checked on both.\n")
    L.append("## Versions\n")
    for k, v in vers.items():
        L.append(f"- {k}: {v}")
    L.append("")

    L.append("## Benchmarks\n")
    L.append("| benchmark | size |")
    L.append("|---|---|")
    for name in names:
        L.append(f"| {name} | {sizes[name]} |")
    L.append("")

    def table(title, key, fmt):
        L.append(f"## {title}\n")
        L.append("| benchmark | " + " | ".join(RUNNERS) + " |")
        L.append("|---|" + "---:|" * len(RUNNERS))
        for name in names:
            cells = []
            for runner in RUNNERS:
                r = results[name].get(runner)
                if r is None:
                    cells.append("")
                elif "error" in r:
                    cells.append("FAILED")
                else:
                    cell = fmt(r[key])
                    if key == "median" and r["runs"] < args.runs:
                        cell += f" ({r['runs']} run{'s' if r['runs'] > 1 else ''})"
                    cells.append(cell)
            L.append(f"| {name} | " + " | ".join(cells) + " |")
        L.append("")

    table("Median wall time (s)", "median", fmt_s)
    table("Mean user+sys CPU time (s)", "cpu", fmt_s)
    table("Peak RSS (MB, checked run)", "rss", lambda kib: f"{kib / 1024:.0f}")

    def value(name, runner, key):
        r = results[name].get(runner)
        return r[key] if r and key in r else None

    gms = {}
    for key, title in [("median", "wall time"), ("cpu", "CPU time")]:
        L.append(f"## Ratios ({title}; below 1 means the first runner is faster)\n")
        L.append("| benchmark | " + " | ".join(t for t, _, _ in RATIOS) + " |")
        L.append("|---|" + "---:|" * len(RATIOS))
        cols = {t: [] for t, _, _ in RATIOS}
        for name in names:
            cells = []
            for t, a, b in RATIOS:
                x, y = value(name, a, key), value(name, b, key)
                ratio = x / y if x is not None and y else None
                if ratio is not None:
                    cols[t].append(ratio)
                cells.append(fmt_x(ratio))
            L.append(f"| {name} | " + " | ".join(cells) + " |")
        gm = {t: geomean(v) for t, v in cols.items()}
        gms[key] = gm
        L.append("| **geometric mean** | " + " | ".join(f"**{fmt_x(gm[t])}**" if gm[t] else ""
                                                   for t, _, _ in RATIOS) + " |")
        L.append("")

    L.append("## Start-up and size\n")
    L.append("| measurement | median wall | mean user+sys CPU |")
    L.append("|---|---:|---:|")
    for tag, s in startup.items():
        L.append(f"| `{tag}` ({args.startup_runs} runs) | {s['median'] * 1000:.2f} ms | "
                 f"{s['cpu'] * 1000:.2f} ms |")
    L.append(f"| AOT hello executable size | {hello_size} bytes ({hello_size / 2**20:.2f} MiB) | |")
    L.append("")
    L.append("AOT compile time (`ilusm aot`, wall, includes linking): " + ", ".join(
        f"{n} {aot_compile[n]:.2f} s" for n in names) + "\n")

    L.append("## The issue's targets\n")
    L.append("| target | wall time | CPU time |")
    L.append("|---|---|---|")

    def verdict(ok, detail):
        return ("" if ok is None else ("holds" if ok else "MISSED")) + (f" ({detail})" if detail else "")

    def geo_target(title, col, limit):
        cells = []
        for key in ["median", "cpu"]:
            g = gms[key][col]
            cells.append(verdict(None if g is None else g <= limit, fmt_x(g) if g else "no data"))
        L.append(f"| {title} | " + " | ".join(cells) + " |")

    def each_target(title, a, b, limit, subset):
        cells = []
        for key in ["median", "cpu"]:
            parts, ok = [], True
            for name in names:
                if subset and name not in subset:
                    continue
                x, y = value(name, a, key), value(name, b, key)
                if x is None or not y:
                    continue
                parts.append(f"{name} {x / y:.2f}x")
                ok = ok and x / y <= limit
            cells.append(verdict(ok if parts else None, ", ".join(parts) or "no data"))
        L.append(f"| {title} | " + " | ".join(cells) + " |")

    geo_target("AOT geometric mean <= 1.0x LuaJIT", "AOT / LuaJIT", 1.0)
    each_target("fib, loop and nbody AOT within 2x of C -O2", "aot", "c", 2.0,
                {"fib", "loop", "nbody"})
    geo_target("interpreter geometric mean <= 0.8x Lua 5.4", "interp / Lua 5.4", 0.8)
    each_target("JIT <= 1.3x AOT on each benchmark (JIT compile time included)", "jit", "aot",
                1.3, None)
    for tag, limit in [("ilusm run hello.ilu", 2e-3), ("AOT hello executable", 1e-3)]:
        med, cpu = startup[tag]["median"], startup[tag]["cpu"]
        L.append(f"| `{tag}` <= {limit * 1000:.0f} ms | "
                 f"{verdict(med <= limit, f'{med * 1000:.2f} ms')} | "
                 f"{verdict(cpu <= limit, f'{cpu * 1000:.2f} ms')} |")
    ok = hello_size <= 2 * 2**20
    L.append(f"| AOT hello executable <= 2 MiB | {verdict(ok, f'{hello_size} bytes')} | |")
    L.append("")

    if notes:
        L.append("## Fewer runs\n")
        L.extend(f"- {n}" for n in notes)
        L.append("")
    if failures:
        L.append("## Failures (not timed)\n")
        L.extend(f"- {f}" for f in failures)
        L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
