"""The orchestrate benchmark of issue 7: wall time cold and warm, peak RSS, and the git floor, at 1k and 10k units.

For each size, a generated repository (bench/generate.py, kept in bench/.out/ between runs) is orchestrated:

* as a fresh process (`gwpipelines orchestrate --format json`), cold (an empty cache directory) and warm (the cache
  filled by the cold run), with the child's peak RSS from `wait4`;
* in-process: a fresh Python that imports gwpipelines first, then times `orchestrate()` plus the JSON rendering,
  cold and warm (interpreter start-up and imports excluded);
* the floor, in the same run: `git ls-tree -r` of the head, `git diff --name-status -M -z base head`, and reading
  every `.hcl` blob of the head once through one `git cat-file --batch`.

Each figure is the best of `--repeat` runs. Wall times are printed with the CPU time (user + sys) the runs and
the floor's git processes used: on a machine other work shares, wall time mostly measures waiting for a core,
and CPU time is the steadier figure. At 2,000 units or more orchestrate evaluates with two processes
(GWPIPELINES_PARALLEL=off for one); the CPU figure counts both. `--profile` prints a cProfile of the in-process
cold and warm runs at the largest size. gwpipelines is byte-compiled first, as `pip install` does. Not part of the
test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/ is not a package)

PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "gwpipelines"  # the console script, as users run it
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "gwpipelines"]
TARGET_COLD, TARGET_WARM, TARGET_RATIO, TARGET_RSS_MB = 1.0, 0.3, 3.0, 250.0

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


@dataclass
class Figures:
    n: int
    files: int
    hcl_files: int
    floor: float
    floor_cpu: float
    cold: float
    warm: float
    cold_rss_mb: float
    warm_rss_mb: float
    cold_cpu: float  # user + sys seconds of the process and the git processes it ran
    warm_cpu: float
    inproc_cold: float
    inproc_warm: float
    inproc_rss_mb: float


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
        return dest, base, head
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    print(f"generating {n} units in {dest} ...", file=sys.stderr, flush=True)
    base, head = generate.generate(dest, n, seed)
    marker.write_text(f"{base} {head}\n")
    return dest, base, head


def timed_child(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float, bytes, float]:
    """Wall time (s), peak RSS (MB), stdout and CPU time (user + sys, its git children included) of one child
    process. On a loaded machine the CPU time is the steadier figure: wall time there mostly measures waiting."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else b""
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}: {err.decode()[-2000:]}")
        out.seek(0)
        return elapsed, usage.ru_maxrss / 1024, out.read(), usage.ru_utime + usage.ru_stime


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


def measure(n: int, seed: int, repeat: int) -> Figures:
    repo, base, head = repo_for(n, seed)
    floors = [floor(repo, base, head) for _ in range(max(3, repeat))]
    argv = [*CLI, "orchestrate", "--repo", str(repo), "--base", base, "--head", head]
    argv += ["--event", "pull_request", "--format", "json"]
    cold: list[tuple[float, float, float]] = []
    warm: list[tuple[float, float, float]] = []
    inproc: list[dict[str, float]] = []
    outputs: set[bytes] = set()
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
            env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
            t, rss, out, cpu = timed_child(argv, env)
            cold.append((t, rss, cpu))
            outputs.add(out)
            t, rss, out, cpu = timed_child(argv, env)
            warm.append((t, rss, cpu))
            outputs.add(out)
        with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
            env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
            _, rss, out, _ = timed_child([PYTHON, "-c", IN_PROCESS, str(repo), base, head, "0"], env)
            inproc.append({**json.loads(out.decode().splitlines()[-1]), "rss_mb": rss})
    if len(outputs) != 1:
        raise SystemExit(f"N={n}: cold and warm runs gave different JSON")
    return Figures(
        n=n,
        files=floors[0][1],
        hcl_files=floors[0][2],
        floor=min(f[0] for f in floors),
        floor_cpu=min(f[3] for f in floors),
        cold=min(c[0] for c in cold),
        warm=min(w[0] for w in warm),
        cold_rss_mb=max(c[1] for c in cold),
        warm_rss_mb=max(w[1] for w in warm),
        cold_cpu=min(c[2] for c in cold),
        warm_cpu=min(w[2] for w in warm),
        inproc_cold=min(r["cold"] for r in inproc),
        inproc_warm=min(r["warm"] for r in inproc),
        inproc_rss_mb=max(r["rss_mb"] for r in inproc),
    )


def profile(n: int, seed: int) -> None:
    repo, base, head = repo_for(n, seed)
    with tempfile.TemporaryDirectory(prefix="gwp-cache-") as cache_dir:
        env = {**os.environ, "GWPIPELINES_CACHE_DIR": cache_dir}
        proc = subprocess.run([PYTHON, "-c", IN_PROCESS, str(repo), base, head, "1"], env=env, capture_output=True)
    print(f"\ncProfile of the in-process runs, N={n}:\n")
    print(proc.stderr.decode())


def _ok(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def report(figs: list[Figures]) -> str:
    rows = [("N", "metric", "value", "target", "")]
    for f in figs:
        at_10k = f.n >= 10_000
        rows += [
            (str(f.n), "repo: files / .hcl files", f"{f.files} / {f.hcl_files}", "", ""),
            (str(f.n), "floor (ls-tree + diff + cat-file .hcl)", f"{f.floor:.3f} s", "", ""),
            (str(f.n), "floor: CPU (user+sys)", f"{f.floor_cpu:.3f} s", "", ""),
            (
                str(f.n),
                "cold, fresh process",
                f"{f.cold:.3f} s",
                "<= 1.0 s" if at_10k else "",
                _ok(f.cold, TARGET_COLD) if at_10k else "",
            ),
            (
                str(f.n),
                "warm, fresh process",
                f"{f.warm:.3f} s",
                "<= 0.3 s" if at_10k else "",
                _ok(f.warm, TARGET_WARM) if at_10k else "",
            ),
            (str(f.n), "cold, fresh process: CPU (user+sys, with git)", f"{f.cold_cpu:.3f} s", "", ""),
            (str(f.n), "warm, fresh process: CPU (user+sys, with git)", f"{f.warm_cpu:.3f} s", "", ""),
            (str(f.n), "cold, in-process", f"{f.inproc_cold:.3f} s", "", ""),
            (str(f.n), "warm, in-process", f"{f.inproc_warm:.3f} s", "", ""),
            (str(f.n), "cold / floor", f"{f.cold / f.floor:.1f}x", "<= 3x", _ok(f.cold / f.floor, TARGET_RATIO)),
            (str(f.n), "warm / floor", f"{f.warm / f.floor:.1f}x", "<= 3x", _ok(f.warm / f.floor, TARGET_RATIO)),
            (str(f.n), "cold CPU / floor CPU", f"{f.cold_cpu / max(f.floor_cpu, 1e-3):.1f}x", "", ""),
            (
                str(f.n),
                "peak RSS cold / warm",
                f"{f.cold_rss_mb:.0f} / {f.warm_rss_mb:.0f} MB",
                "<= 250 MB",
                _ok(max(f.cold_rss_mb, f.warm_rss_mb), TARGET_RSS_MB),
            ),
            (str(f.n), "peak RSS in-process runner", f"{f.inproc_rss_mb:.0f} MB", "", ""),
        ]
    if len(figs) >= 2:
        small, big = figs[0], figs[-1]
        scale = big.n / small.n
        for name, a, b in (
            ("floor", small.floor, big.floor),
            ("cold, fresh process", small.cold, big.cold),
            ("warm, fresh process", small.warm, big.warm),
            ("cold, in-process", small.inproc_cold, big.inproc_cold),
            ("warm, in-process", small.inproc_warm, big.inproc_warm),
        ):
            growth = b / a
            rows.append(
                (
                    f"{small.n}->{big.n}",
                    f"growth, {name}",
                    f"{growth:.1f}x",
                    f"<= {scale:.0f}x (linear)",
                    _ok(growth, scale * 1.2),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is shown (default 3)")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the in-process cold and warm runs at the largest size"
    )
    args = parser.parse_args(argv)
    precompile()
    figs = [measure(n, args.seed, args.repeat) for n in sorted(args.sizes)]
    print(report(figs))
    load = os.getloadavg()[0]
    python = sys.version.split()[0]
    print(f"\n(best of {args.repeat} runs; load average {load:.1f} on {os.cpu_count()} CPUs; python {python};")
    print(" gwpipelines byte-compiled first, as pip install does)")
    if args.profile:
        profile(max(args.sizes), args.seed)


if __name__ == "__main__":
    main()
