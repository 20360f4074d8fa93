"""Every figure of issue 16 in one table (`./scripts/bench`): orchestrate, units and graph at 10k (and 100k) units,
`--help` start-up, and the executor's makespan, each with its floor, ratio and target.

For each size, a generated repository (bench/generate.py, kept in bench/.out/ between runs, packed with `git repack
-ad` as a CI clone is) is measured `--repeat` times; each figure is the median of its runs. Every run is a fresh
process, as CI runs it, with its peak RSS (through GNU time, see TIME):

* the floor, measured again before every orchestrate run (so a load spike weighs on both alike): `git ls-tree -r`
  of the head, `git diff --name-status -M -z base head`, and reading every `.hcl` blob of the head once through one
  `git cat-file --batch`;
* `orchestrate --format json`, cold (an empty cache directory) and warm (the cache the cold run filled);
* `units --format json` and `graph --format json` on the checkout (its work tree is the head), cold and warm;
* in-process orchestrate (imports excluded), cold and warm, for the profile's sake.

`gwpipelines --help` is timed apart (median of 7), and bench/executor.py's 200-unit DAG at parallelism 8, with the
units as threads sleeping and as real child processes (a Python stand-in, and sleep(1)), against the critical path of
the units' own measured durations (the target) and of their set times. Fan-out across runners (issue 16 item 3):
bench/fanout.py's 300-unit pull request split by `gwpipelines.shards` and list-scheduled on a simulated clock, as one
run and as the dispatcher's per-wave runs against the local GitHub server. Wall times on a machine other work shares
mostly measure waiting for a core: the CPU time (user + sys, git children included) is printed too. `--profile`
prints a cProfile of the in-process cold and warm runs at the largest size. Not part of the test suite: it takes
minutes.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import executor  # noqa: E402  (bench/ is not a package)
import fanout  # noqa: E402
import generate  # noqa: E402
from table import Row, against, median, render, seconds, timed  # noqa: E402

PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "gwpipelines"  # the console script, as users run it
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "gwpipelines"]
# Issue 16's targets: cold orchestrate / floor, warm orchestrate at 10k (s), peak RSS at 100k (MB), units and graph
# cold / orchestrate cold, the executor's makespan / critical path at parallelism 8.
TARGET_RATIO, TARGET_WARM, TARGET_RSS_MB, TARGET_COMMANDS, TARGET_MAKESPAN = 2.5, 0.15, 250.0, 1.5, 1.05

# The in-process runner: imports first, then times orchestrate() cold and warm; prints JSON on its last line.
IN_PROCESS = """
import json, os, sys, time, resource
from pathlib import Path
from gwpipelines import orchestrator
repo, base, head, profile = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
def once():
    t = time.perf_counter()
    json.dumps(orchestrator.orchestrate(Path(repo), base, head, "pull_request").to_json())
    return time.perf_counter() - t
if profile:  # the cold run, then the warm one (the cache the cold run filled)
    import cProfile, pstats
    for label in ("cold", "warm"):
        prof = cProfile.Profile()
        prof.enable()
        once()
        prof.disable()
        print(f"=== {label} run: by cumulative time, then by own time ===", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    print(json.dumps({}))
else:
    cold = once()
    warm = once()
    print(json.dumps({"cold": cold, "warm": warm, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def precompile() -> Path:
    """Byte-compiles gwpipelines, as `pip install` does: a run then measures the product as installed. Without it,
    on a machine with PYTHONDONTWRITEBYTECODE set (or a read-only checkout) every run would compile our sources
    again, a thirtieth of a second no user pays. The runs read the .pyc files; nothing else changes."""
    spec = importlib.util.find_spec("gwpipelines")
    if spec is None or spec.origin is None:
        raise SystemExit("gwpipelines is not installed in this Python")
    package = Path(spec.origin).parent
    compileall.compile_dir(package, quiet=1)
    return package


def repo_for(n: int, seed: int) -> tuple[Path, str, str]:
    """The generated repository for `n` units, made once and reused (generation is deterministic)."""
    dest = HERE / ".out" / f"n{n}-s{seed}"
    marker = dest / ".git" / "bench-shas"
    if marker.exists():
        base, head = marker.read_text().split()
        loose = subprocess.run(["git", "count-objects"], cwd=dest, capture_output=True, text=True, check=True)
        if not loose.stdout.startswith("0 objects"):  # made by an older bench, which did not pack it
            subprocess.run(["git", "repack", "-adq"], cwd=dest, check=True)
        return dest, base, head
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    print(f"generating {n} units in {dest} ...", file=sys.stderr, flush=True)
    base, head = generate.generate(dest, n, seed)
    # A CI clone is one pack: a freshly generated repository's loose objects would make every git read slower.
    subprocess.run(["git", "repack", "-adq"], cwd=dest, check=True)
    marker.write_text(f"{base} {head}\n")
    return dest, base, head


# Peak RSS through GNU time: a child's own maxrss from wait4 is at least its parent's peak when it was spawned (the
# kernel carries the forked copy's high-water mark across exec), and this process holds every .hcl blob of a 100k
# repository for a moment (the floor): wait4 alone reported 455 MB for any command there.
TIME = shutil.which("time")


def timed_child(
    argv: list[str], env: dict[str, str], cwd: Path | None = None, peak: bool = False
) -> tuple[float, float, bytes, float]:
    """Wall time (s), peak RSS (MB), stdout and CPU time (user + sys, its git children included) of one child
    process. On a loaded machine the CPU time is the steadier figure: wall time there mostly measures waiting.
    With `peak` (and GNU time installed) the RSS is the child's own, measured by a small process that spawns it."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile(suffix=".rss") as rss_file:
        wrapped = [TIME, "-f", "%M", "-o", rss_file.name, *argv] if peak and TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else b""
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}: {err.decode()[-2000:]}")
        rss = usage.ru_maxrss / 1024
        if wrapped is not argv:
            rss = int(Path(rss_file.name).read_text().split()[-1]) / 1024
        out.seek(0)
        return elapsed, rss, out.read(), usage.ru_utime + usage.ru_stime


def floor(repo: Path, base: str, head: str) -> tuple[float, int, int, float]:
    """The least any orchestrator must do: list the tree, diff, read every .hcl once. (seconds, files, .hcl,
    CPU seconds of the git processes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    listing = subprocess.run(["git", "ls-tree", "-r", "-z", head], cwd=repo, capture_output=True, check=True)
    subprocess.run(["git", "diff", "--name-status", "-M", "-z", base, head], cwd=repo, capture_output=True, check=True)
    entries = [e for e in listing.stdout.split(b"\0") if e]
    blobs = [e.split(b"\t", 1)[0].split()[2] for e in entries if e.endswith(b".hcl")]
    subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo, input=b"\n".join(blobs) + b"\n", capture_output=True, check=True
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, len(entries), len(blobs), cpu


@dataclass
class Runs:
    """One figure's runs: wall seconds, CPU seconds, peak RSS (MB)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def add(self, wall: float, rss: float, cpu: float) -> None:
        self.wall.append(wall)
        self.rss.append(rss)
        self.cpu.append(cpu)


def measure(n: int, seed: int, repeat: int) -> tuple[list[Row], dict[str, float]]:
    repo, base, head = repo_for(n, seed)
    orchestrate = [*CLI, "orchestrate", "--repo", str(repo), "--base", base, "--head", head]
    orchestrate += ["--event", "pull_request", "--format", "json"]
    commands = {name: [*CLI, name, "--repo", str(repo), "--format", "json"] for name in ("units", "graph")}
    runs: dict[str, Runs] = {}
    floor_runs = Runs()
    files = hcl_files = 0
    answers: dict[str, set[bytes]] = {}

    def run(label: str, argv: list[str], env: dict[str, str]) -> None:
        wall, rss, out, cpu = timed_child(argv, env, peak=True)
        runs.setdefault(label, Runs()).add(wall, rss, cpu)
        answers.setdefault(label.split()[0], set()).add(out)

    for _ in range(repeat):
        wall, files, hcl_files, cpu = floor(repo, base, head)
        floor_runs.add(wall, 0.0, cpu)
        with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
            env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
            run("orchestrate cold", orchestrate, env)
            run("orchestrate warm", orchestrate, env)
        for name, argv in commands.items():
            with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
                env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
                run(f"{name} cold", argv, env)
                run(f"{name} warm", argv, env)
        with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
            env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
            _, rss, out, _ = timed_child([PYTHON, "-c", IN_PROCESS, str(repo), base, head, "0"], env, peak=True)
            got = json.loads(out.decode().splitlines()[-1])
            runs.setdefault("in-process cold", Runs()).add(got["cold"], rss, 0.0)
            runs.setdefault("in-process warm", Runs()).add(got["warm"], rss, 0.0)
    for name, outs in answers.items():
        if len(outs) != 1:
            raise SystemExit(f"N={n}: {name}'s cold and warm runs gave different JSON")
    medians = {"floor": median(floor_runs.wall)}
    medians.update({k: median(runs[k].wall) for k in ("orchestrate cold", "orchestrate warm")})
    return size_rows(n, files, hcl_files, floor_runs, runs), medians


def size_rows(n: int, files: int, hcl_files: int, floor_runs: Runs, runs: dict[str, Runs]) -> list[Row]:
    size, big = str(n), n >= 10_000
    fl = median(floor_runs.wall)
    cold = median(runs["orchestrate cold"].wall)
    warm = median(runs["orchestrate warm"].wall)
    peak = max(max(runs[k].rss) for k in ("orchestrate cold", "orchestrate warm"))
    rows = [
        Row(size, "repo: files / .hcl files", f"{files} / {hcl_files}"),
        Row(size, "floor: ls-tree + diff + cat-file every .hcl", seconds(fl)),
        Row(size, "floor: CPU (user+sys)", seconds(median(floor_runs.cpu))),
        against(size, "orchestrate cold", cold, fl, TARGET_RATIO),
        against(
            size,
            "orchestrate cold: CPU, with git",
            median(runs["orchestrate cold"].cpu),
            median(floor_runs.cpu),
            None,
            "CPU",
        ),
        timed(size, "orchestrate warm", warm, TARGET_WARM if n == 10_000 else None),
        Row(size, "orchestrate warm: CPU, with git", seconds(median(runs["orchestrate warm"].cpu))),
        Row(
            size,
            "orchestrate peak RSS (cold, warm)",
            f"{peak:.0f} MB",
            target=f"<= {TARGET_RSS_MB:g} MB" if big else "",
            verdict=_ok(peak, TARGET_RSS_MB) if big else "",
        ),
        timed(size, "orchestrate cold, in-process (imports excluded)", median(runs["in-process cold"].wall)),
        timed(size, "orchestrate warm, in-process", median(runs["in-process warm"].wall)),
    ]
    for name in ("units", "graph"):
        limit = TARGET_COMMANDS if big else None
        rows.append(against(size, f"{name} cold", median(runs[f"{name} cold"].wall), cold, limit, "orch. cold"))
        cpu = median(runs[f"{name} cold"].cpu)
        rows.append(against(size, f"{name} cold: CPU", cpu, median(runs["orchestrate cold"].cpu), None, "orch. CPU"))
        rows.append(timed(size, f"{name} warm", median(runs[f"{name} warm"].wall)))
        rows.append(Row(size, f"{name} peak RSS", f"{max(runs[f'{name} cold'].rss):.0f} MB"))
    return rows


def growth_rows(small: int, big: int, figures: dict[int, dict[str, float]]) -> list[Row]:
    """Cost linear in units: each figure's growth from the smallest size to the largest, against the sizes'."""
    scale = big / small
    rows = []
    for metric in ("floor", "orchestrate cold", "orchestrate warm"):
        growth = figures[big][metric] / figures[small][metric]
        rows.append(
            Row(
                f"{small}->{big}",
                f"growth, {metric}",
                f"{growth:.1f}x",
                f"{scale:.0f}x units",
                "",
                f"<= {scale * 1.2:.0f}x",
                _ok(growth, scale * 1.2),
            )
        )
    return rows


def help_rows(repeat: int = 7) -> list[Row]:
    walls = [timed_child([*CLI, "--help"], dict(os.environ))[0] for _ in range(repeat)]
    python = [timed_child([PYTHON, "-c", "pass"], dict(os.environ))[0] for _ in range(repeat)]
    return [against("-", "gwpipelines --help", median(walls), median(python), None, "python -c pass")]


def executor_rows() -> list[Row]:
    """The makespan against the critical path of the units' own durations (the target), and, for real children,
    against the set times' critical path too (where each child's start-up counts against the scheduler)."""
    tasks, ticks = executor.synthetic_dag(200, 7)
    tick = 0.02
    cp = executor.critical_path(tasks, ticks) * tick
    rows = []
    names = {"thread": "a thread sleeping", "process": "a Python child", "sleep": "a sleep(1) child"}
    for kind, name in names.items():
        span = executor.makespan(tasks, ticks, tick, 8, kind)
        own = executor.critical_path(tasks, span.durations)
        metric = f"executor makespan, p=8, {name} per unit"
        rows.append(against("200-unit DAG", metric, span.makespan, own, TARGET_MAKESPAN, "own crit. path"))
        if kind != "thread":
            rows.append(against("200-unit DAG", f"{metric}, set times", span.makespan, cp, None, "set crit. path"))
    return rows


def fan_out_rows() -> list[Row]:
    """bench/fanout.py: a 300-unit pull request across N runners, on a simulated clock (seconds of no real wait)."""
    return fanout.rows()


def profile(n: int, seed: int) -> None:
    repo, base, head = repo_for(n, seed)
    with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
        env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
        proc = subprocess.run([PYTHON, "-c", IN_PROCESS, str(repo), base, head, "1"], env=env, capture_output=True)
    print(f"\ncProfile of the in-process runs, N={n}:\n")
    print(proc.stderr.decode())


def _ok(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the median is shown (default 5)")
    parser.add_argument("--no-executor", action="store_true", help="skip the executor's makespan")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the in-process cold and warm runs at the largest size"
    )
    args = parser.parse_args(argv)
    precompile()
    rows: list[Row] = []
    medians: dict[int, dict[str, float]] = {}
    for n in sorted(args.sizes):
        got, medians[n] = measure(n, args.seed, args.repeat)
        rows += got
    if len(medians) >= 2:
        rows += growth_rows(min(medians), max(medians), medians)
    rows += help_rows()
    if not args.no_executor:
        rows += executor_rows()
    rows += fan_out_rows()
    print(render(rows))
    load = os.getloadavg()[0]
    python = sys.version.split()[0]
    print(f"\n(medians of {args.repeat} runs; load average {load:.1f} on {os.cpu_count()} CPUs; python {python};")
    print(" gwpipelines byte-compiled first, as pip install does)")
    if args.profile:
        profile(max(args.sizes), args.seed)


if __name__ == "__main__":
    main()
