"""Big trees are evaluated by two processes (parallel.evaluate_in_two): the answers, their order and the
errors raised are those of one process. Forced on small repos here by lowering the threshold.

The checks run in a fresh interpreter: the test process usually runs server threads (GitHub, AWS doubles), and
the analysis rightly refuses to fork a process with threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing import LIVE_TEMPLATE, ROOT
from testing.gitrepo import GitRepo

# Put before the checks that count the evaluations split in two (`forks`: how many configs each split had).
COUNT_FORKS = r"""
from gwpipelines.orchestrator import parallel
forks = []
real = parallel.evaluate_in_two
def counted(ev, todo, alongside, needed_next):
    forks.append(len(todo))
    return real(ev, todo, alongside, needed_next)
parallel.evaluate_in_two = counted
"""

CHECKS = r"""
import sys
from pathlib import Path
from gwpipelines.orchestrator import parallel, sides, tree
from gwpipelines.errors import ParseError
from testing.memtree import ROOT_INCLUDE, mem_tree

template, repo, head = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
assert parallel.may_fork(), "cannot fork here"

def analyse(t, in_two):
    parallel.PARALLEL_MIN_CONFIGS = 2 if in_two else 10**9
    return sides.analyse_reusing(t)

# The same analysis, in the same order, from a folder and from a git commit.
for make in (lambda: tree.in_directory(template), lambda: tree.at_commit(repo, head)):
    one, two = analyse(make(), False), analyse(make(), True)
    assert list(two.evaluated) == list(one.evaluated)
    assert two.units == one.units and two.traces == one.traces and two.includes == one.includes
    assert two.warnings == one.warnings and two.shared_configs == one.shared_configs
assert len(forks) == 2, forks

# An unparseable file in the child's half: the error one process raises.
files = {"root.hcl": "locals {}\n", **{f"{n}/terragrunt.hcl": ROOT_INCLUDE for n in "abcd"}}
files["d/terragrunt.hcl"] += "locals {\n  x = [\n}\n"
errors = []
for in_two in (False, True):
    try:
        analyse(mem_tree(files), in_two)
    except ParseError as error:
        errors.append(str(error))
assert len(errors) == 2 and errors[0] == errors[1] and errors[0].startswith("d/terragrunt.hcl:"), errors
assert len(forks) == 3, forks
print("ok")
"""


def run_checks(script: str, *args: str, env: dict[str, str] | None = None) -> None:
    """Run a check script in a fresh interpreter (with `env` added to ours); it prints "ok" when all hold."""
    res = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-3000:]


def test_two_processes_answer_as_one(tmp_path: Path) -> None:
    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    run_checks(COUNT_FORKS + CHECKS, str(LIVE_TEMPLATE), str(repo.path), repo.head())


CACHE_CHECKS = r"""
import json, os, sys
from pathlib import Path
from gwpipelines import orchestrator
from gwpipelines.orchestrator import cache, parallel, terragrunt

repo, base, head, cache_dir = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
parallel.PARALLEL_MIN_CONFIGS = 2
forked = []
real = cache.store_all
def counted(cache_dir, entries, background=False):
    forked.append(background)
    return real(cache_dir, entries, background)
cache.store_all = counted
received = []
real_add = terragrunt.Evaluator.add_blob_facts
def add(self, facts):
    received.append(len(facts))
    return real_add(self, facts)
terragrunt.Evaluator.add_blob_facts = add
cold = orchestrator.orchestrate(repo, base, head, "pull_request").to_json()
assert forked == [True, True], forked
# the first child sent the facts the second commit's evaluation needs (of the units reading the changed files);
# the second, with no commit after it, none
assert len(received) == 2 and received[0] > 0 and received[1] == 0, received
try:  # every writer was waited for: no child left, running or not
    os.waitpid(-1, os.WNOHANG)
    raise AssertionError("a cache writer was left behind")
except ChildProcessError:
    pass
# orchestrate returned only once the children had written both commits' entries, whole
names = sorted(p.name.split("-")[0] for p in cache_dir.glob("*.pickle"))
assert names == ["reuse", "reuse", "side", "side", "validated"], names
assert not list(cache_dir.glob("*.tmp"))
real_evaluate_all = parallel.evaluate_all
def refuse(*args, **kwargs):
    raise AssertionError("a warm run evaluated a unit")
parallel.evaluate_all = refuse
warm = orchestrator.orchestrate(repo, base, head, "pull_request").to_json()
assert json.dumps(warm) == json.dumps(cold)
os.environ["GWPIPELINES_CACHE"] = "off"
parallel.PARALLEL_MIN_CONFIGS = 10**9
parallel.evaluate_all = real_evaluate_all
one = orchestrator.orchestrate(repo, base, head, "pull_request").to_json()
assert json.dumps(one) == json.dumps(cold)  # one process, no cache: the same answers
print("ok")
"""


def test_big_analyses_are_cached_by_a_child_before_orchestrate_returns(tmp_path: Path) -> None:
    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    base = repo.head()
    repo.append("_envcommon/mysql.hcl", "\n# tuned\n")
    repo.append("non-prod/us-east-1/dev/app/terragrunt.hcl", "\n# touched\n")
    head = repo.commit()
    cache_dir = str(tmp_path / "cache")
    run_checks(CACHE_CHECKS, str(repo.path), base, head, cache_dir, env={"GWPIPELINES_CACHE_DIR": cache_dir})


INVALID_CHECKS = r"""
import sys
from pathlib import Path
from gwpipelines import orchestrator
from gwpipelines.orchestrator import parallel
from gwpipelines.errors import ParseError

repo, base, head = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
errors = []
for threshold in (10**9, 2):  # one process (the check runs first), then two (it runs alongside)
    parallel.PARALLEL_MIN_CONFIGS = threshold
    try:
        orchestrator.orchestrate(repo, base, head, "pull_request")
    except ParseError as error:
        errors.append(str(error))
assert len(forks) == 1, forks
assert len(errors) == 2 and errors[0] == errors[1], errors
assert errors[0].startswith("non-prod/us-east-1/dev/app/terragrunt.hcl:"), errors
print("ok")
"""


_UNSCANNED_ERROR = '\ninputs = {\n  name = "x"\n  size = [1,\n}\n'  # where the scanner does not look
_SCANNED_ERROR = "\nlocals {\n  x = [\n}\n"  # where it looks: the evaluation fails too


_APP, _BASTION = "non-prod/us-east-1/dev/app/terragrunt.hcl", "non-prod/us-east-1/dev/bastion/terragrunt.hcl"


@pytest.mark.parametrize(
    ("broken_on_base", "broken_on_head"),
    [
        ({}, {_APP: _UNSCANNED_ERROR}),  # only the check sees it
        ({}, {_APP: _SCANNED_ERROR}),  # the evaluation sees it too
        # The first evaluation (of the base: the cache has neither side) fails on a file the change fixes; the
        # check of the changed files must still be the error raised, as when it runs first.
        ({_BASTION: _SCANNED_ERROR}, {_APP: _UNSCANNED_ERROR}),
    ],
)
def test_a_changed_file_that_does_not_parse_fails_the_same_with_two_processes(
    tmp_path: Path, broken_on_base: dict[str, str], broken_on_head: dict[str, str]
) -> None:
    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    originals = {path: repo.read(path) for path in broken_on_base}
    for path, text in broken_on_base.items():
        repo.append(path, text)
    base = repo.commit() if broken_on_base else repo.head()
    for path, text in originals.items():
        repo.write(path, text)
    for path, text in broken_on_head.items():
        repo.append(path, text)
    head = repo.commit()
    run_checks(COUNT_FORKS + INVALID_CHECKS, str(repo.path), base, head, env={"GWPIPELINES_CACHE": "off"})
