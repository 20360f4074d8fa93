"""The orchestrator's I/O shell: the refs, the diff, the two sides (`sides`, with the cache and fork parallelism),
then the pure `classify` and `jobs`. Missing a unit a change affects is the worst bug this product can have, so
every rule errs towards including a unit.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from pathlib import Path

from gwpipelines import git
from gwpipelines.errors import GitError, UserError
from gwpipelines.models import Event, Job, Orchestration
from gwpipelines.models.units import MAX_UNIT_LENGTH, unit_config, unit_path_problem
from gwpipelines.orchestrator import cache, hcl, tree
from gwpipelines.orchestrator.classify import ACCOUNTS_FILE, classify, deleted_shared, dependents
from gwpipelines.orchestrator.jobs import accountless, job_warnings, plan_jobs
from gwpipelines.orchestrator.options import Options
from gwpipelines.orchestrator.sides import Sides, is_ours, validated_accounts
from gwpipelines.orchestrator.terragrunt import Scanner


def repository_root(repo: Path) -> Path:
    top = git.toplevel(repo)
    if top.resolve() != repo.resolve():
        raise GitError(f"{repo} is inside the repository {top}; pass --repo {top} (the repository root)")
    return top


def _resolve(repo: Path, refs: list[str]) -> tuple[Path, list[str], dict[str, str]]:
    """(repository root, the commit of each ref, their tree ids) in one git process; when that fails, step by
    step, so that the error names what is wrong (not a repository, not its root, an unknown ref)."""
    for ref in refs:
        git.check_ref(ref)
    peeled = [f"{ref}^{{{kind}}}" for ref in refs for kind in ("commit", "tree")]
    got = git.try_rev_parse(repo, "--show-toplevel", "--end-of-options", *peeled)
    if got is not None and len(got) == 1 + len(peeled) and Path(got[0]).resolve() == repo.resolve():
        shas = got[1::2]
        return Path(got[0]), shas, dict(zip(shas, got[2::2], strict=True))
    root = repository_root(repo)
    return root, [git.resolve(root, ref) for ref in refs], {}


def orchestrate(
    repo: Path,
    base: str,
    head: str,
    event: Event | str,
    *,
    scanner: Scanner | None = None,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
    options: Options | None = None,
) -> Orchestration:
    # The analysis builds millions of long-lived acyclic objects (ASTs, facts, units).
    with cache.no_gc_pauses(), contextlib.ExitStack() as pending:
        return _orchestrate(repo, base, head, Event(event), scanner, facts_cache, pending, options or Options())


def _orchestrate(
    repo: Path,
    base: str,
    head: str,
    event: Event,
    scanner: Scanner | None,
    facts_cache: dict[str, hcl.FileFacts] | None,
    pending: contextlib.ExitStack,
    options: Options,
) -> Orchestration:
    root, shas, trees = _resolve(repo, [head] if base == git.ZERO_SHA else [head, base])
    head_sha = shas[0]
    if base == git.ZERO_SHA:  # the first push of a branch: everything is new
        diff_base = git.ZERO_SHA
        files = git.ls_tree(root, head_sha)
        diff = [git.DiffEntry("A", None, p, files[p][1]) for p in sorted(files)]
    else:
        base_sha = shas[1]
        # A pull request is compared with where it branched off, so main's newer commits are not its changes.
        diff_base = git.merge_base(root, base_sha, head_sha) if event is Event.PULL_REQUEST else base_sha
        diff = git.diff(root, diff_base, head_sha)
    changed = [p for e in diff for p in (e.old, e.new) if p]
    sides = Sides(root, scanner, facts_cache, changed)
    pending.callback(sides.wait)  # orchestrate returns once the cache entries written in the background are
    # Our scanner's facts of a changed file are what the full parse gives: it need not scan that file again. A
    # big evaluation runs it alongside, while its second process works; else it runs first, and at the latest
    # once both sides are there.
    sides.alongside = _once(
        functools.partial(
            validate_changed, root, head_sha, diff, sides.cache_dir, sides.facts if is_ours(scanner) else None
        )
    )
    if diff_base == git.ZERO_SHA:
        head_side = sides.get(lambda: tree.at_commit(root, head_sha), None)
        base_side = sides.get(lambda: tree.Tree({}, lambda paths: {}), None)
    else:
        missing = [c for c in (head_sha, diff_base) if c not in trees]
        trees.update(zip(missing, git.tree_ids(root, *missing), strict=True))
        head_tree_id, base_tree_id = trees[head_sha], trees[diff_base]
        # Whichever side the cache has is loaded first, so the other can reuse its units.
        order = [(head_tree_id, head_sha), (base_tree_id, diff_base)]
        if not cache.has(sides.cache_dir, head_tree_id, "side"):
            order.reverse()
        built: list[tuple[str, tree.Tree]] = []

        def listed(commit: str) -> tree.Tree:
            """The commit's tree; the second one from the first and the diff, not from a second git listing.
            The first is kept only until then: it is freed before the second commit is evaluated (a listing of
            100,000 units weighs 30 MB, and the second evaluation is where the memory peaks)."""
            first = built.pop() if built else None
            # (A symbolic link changes what the files below it are: then both commits are listed by git.)
            if first and first[0] != commit and not first[1].links and not any(e.symlink for e in diff):
                return tree.from_listing(root, tree.across(first[1], diff, forward=first[0] == diff_base))
            t = tree.at_commit(root, commit)
            if first is None:
                built.append((commit, t))
            return t

        got = {sha: sides.get(functools.partial(listed, sha), tid) for tid, sha in order}
        head_side, base_side = got[head_sha], got[diff_base]
    sides.alongside()
    if ACCOUNTS_FILE in changed:
        head_side = validated_accounts(root, head_sha, head_side)
        if diff_base != git.ZERO_SHA:
            base_side = validated_accounts(root, diff_base, base_side)
    diff, by_option = _without_ignored(diff, options)
    changes, ignored, warnings = classify(base_side, head_side, diff)
    if options.plan_dependents:
        changes = [*changes, *dependents(changes, head_side)]
    ignored = sorted({*ignored, *by_option})
    warnings = [*warnings, *(f"{p}: ignored (it matches --ignore '{g}')" for p, g in sorted(by_option.items()))]
    jobs = plan_jobs(changes, event, diff_base, head_sha, base_side, head_side)
    _check_unit_paths(jobs)
    deleted = deleted_shared(base_side, head_side, diff)
    warnings = sorted(set(warnings) | job_warnings(jobs, base_side, head_side, deleted))
    warnings = sorted({*warnings, *accountless(jobs, base_side, head_side)})
    return Orchestration(diff_base, head_sha, event, tuple(changes), tuple(ignored), tuple(warnings), tuple(jobs))


# A path that is plainly good: folders of allowed characters, none hidden, empty, "." or "..". unit_path_problem
# says None for every one of them; only the others are asked (it tests each character apart: thousands of units).
_PLAIN_UNIT = re.compile(r"[A-Za-z0-9_@+=-][A-Za-z0-9._@+=-]*(?:/[A-Za-z0-9_@+=-][A-Za-z0-9._@+=-]*)*")


def _check_unit_paths(jobs: list[Job]) -> None:
    """Every unit that gets a job has a path the executor's gate accepts (models.units' one rule): one it would
    refuse fails here, naming its file, rather than failing a whole batch of jobs at execute time."""
    for job in jobs:
        if not job.unit or (len(job.unit) <= MAX_UNIT_LENGTH and _PLAIN_UNIT.fullmatch(job.unit)):
            continue
        problem = unit_path_problem(job.unit)
        if problem:
            raise UserError(f"{unit_config(job.unit or '.')}: unit path {problem}; rename the folder")


def _without_ignored(diff: list[git.DiffEntry], options: Options) -> tuple[list[git.DiffEntry], dict[str, str]]:
    """The diff without the entries whose every path an ignore glob matches; those paths -> their glob."""
    if not options.ignore:
        return diff, {}
    kept, ignored = [], {}
    for e in diff:
        paths = [p for p in (e.old, e.new) if p]
        globs = [options.ignored_by(p) for p in paths]
        if all(globs):
            ignored.update({p: g for p, g in zip(paths, globs, strict=True) if g})
        else:
            kept.append(e)
    return kept, ignored


def _once(work: Callable[[], None]) -> Callable[[], None]:
    """`work`, done on the first call only (a failed attempt is done again on the next call)."""
    done = False

    def run() -> None:
        nonlocal done
        if not done:
            work()
            done = True

    return run


def validate_changed(
    repo: Path,
    head_sha: str,
    diff: list[git.DiffEntry],
    cache_dir: Path | None = None,
    facts: dict[str, hcl.FileFacts] | None = None,
) -> None:
    """Parse every changed HCL file in full: the fast scanner skips what holds no facts, but a change must not
    land a syntax error unnoticed (ParseError names the file and line). Blobs that parsed before (the cache keeps
    their ids) are not parsed again; the facts of those parsed now go into `facts`, so the scanner skips them."""
    changed = [(e.new, e.new_oid or f"{head_sha}:{e.new}") for e in diff if e.new and e.new.endswith(".hcl")]
    if not changed:
        return
    loaded = cache.load(cache_dir, _ALL_TREES, "validated")
    valid: set[str] = loaded if isinstance(loaded, set) else set()
    todo = [(path, oid) for path, oid in changed if oid not in valid]
    blobs = git.cat_blobs(repo, sorted({oid for _, oid in todo}))
    for path, oid in todo:
        checked = hcl.scan_checked(blobs[oid].decode("utf-8", errors="replace"), path)
        if facts is not None and ":" not in oid:
            facts[oid] = checked
    if todo and cache_dir is not None:
        cache.store(cache_dir, _ALL_TREES, "validated", valid | {oid for _, oid in todo if ":" not in oid})


_ALL_TREES = "blobs"  # the validated blob ids are kept in one cache entry, whatever the tree
