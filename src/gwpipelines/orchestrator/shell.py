"""The orchestrator: a git diff between two commits becomes typed infrastructure changes and ordered jobs.

`classify` and `plan_jobs` are pure functions of the two analysed trees and the diff; `orchestrate` is the thin
I/O shell that asks git for them. Missing a unit a change affects is the worst bug this product can have, so
every rule here errs towards including a unit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import posixpath
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gwpipelines import git
from gwpipelines.errors import GitError, UserError
from gwpipelines.models import Action, Change, ChangeType, Event, Job, Orchestration
from gwpipelines.orchestrator import cache, hcl, terragrunt, tree
from gwpipelines.orchestrator.terragrunt import Analysis, Scanner

if TYPE_CHECKING:
    from gwpipelines.accounts import Account

# The live repo's account list (gwpipelines.accounts parses it; imported only when it must be, since pydantic
# costs a tenth of a second of start-up that a cached run does not otherwise spend).
ACCOUNTS_FILE = "accounts.yml"

_TYPE_ORDER = {t: i for i, t in enumerate(ChangeType)}
_HEAD_SIDE = frozenset(ChangeType) - {
    ChangeType.MODULE_DELETED,
    ChangeType.ACCOUNT_ADDED,
    ChangeType.ACCOUNT_CHANGED,
    ChangeType.ACCOUNT_DELETED,
}


@dataclass(frozen=True)
class Side:
    """One commit's view: its units and their reads, and its accounts.yml."""

    analysis: Analysis
    # account name -> its entry as canonical JSON: all the orchestrator compares, and a cached side then loads
    # without importing pydantic (a tenth of a second, half a warm run).
    accounts: dict[str, str]

    def account_of(self, unit: str) -> str | None:
        first = unit.split("/", 1)[0]
        return first if first in self.accounts else None


@dataclass
class _Changes:
    by_key: dict[tuple[ChangeType, str | None, str | None], set[str]] = field(default_factory=dict)
    ignored: set[str] = field(default_factory=set)
    warnings: set[str] = field(default_factory=set)

    def add(self, kind: ChangeType, unit: str | None, account: str | None, files: Iterable[str]) -> None:
        self.by_key.setdefault((kind, unit, account), set()).update(files)


# ---------------------------------------------------------------------------------------------------------------
# Changes


def classify(base: Side, head: Side, diff: list[git.DiffEntry]) -> tuple[list[Change], list[str], list[str]]:
    """(changes, ignored files, warnings) for a diff between the `base` and `head` sides."""
    out = _Changes()
    moved = _moved_units(base, head, diff)
    for new, old in sorted(moved.items()):
        out.add(
            ChangeType.MODULE_MOVED,
            new,
            head.account_of(new),
            [terragrunt.unit_config(old), terragrunt.unit_config(new)],
        )
        out.warnings.add(
            f"unit {old} moved to {new}: its state must be moved too (a `moved` block, `terragrunt state mv`, "
            f"or a changed remote_state key); the old path is not destroyed"
        )
    moved_from = {old: new for new, old in moved.items()}
    entries = [side for entry in diff for side in _sides(entry)]
    head_readers = head.analysis.readers_of(p for p, _, on_head in entries if on_head)
    base_readers = base.analysis.readers_of(p for p, on_base, _ in entries if on_base)
    for path, _on_base, on_head in entries:
        touched = _ownership(path, base, head, moved, moved_from, out)
        readers = head_readers.get(path, set()) | base_readers.get(path, set())
        touched |= _readers(path, readers, on_head, base, head, out)
        if path == ACCOUNTS_FILE:
            touched |= _accounts(base, head, out)
        if not touched:
            out.ignored.add(path)
    changes = [Change(kind, unit, account, tuple(sorted(files))) for (kind, unit, account), files in out.by_key.items()]
    changes.sort(key=lambda c: (_TYPE_ORDER[c.type], c.unit or "", c.account or ""))
    return changes, sorted(out.ignored), sorted(out.warnings)


def _sides(entry: git.DiffEntry) -> list[tuple[str, bool, bool]]:
    """(path, exists on base, exists on head) for each path a diff entry touches."""
    if entry.status == "M" and entry.new:
        return [(entry.new, True, True)]
    out = []
    if entry.old:
        out.append((entry.old, True, False))
    if entry.new:
        out.append((entry.new, False, True))
    return out


def _moved_units(base: Side, head: Side, diff: list[git.DiffEntry]) -> dict[str, str]:
    """new unit -> old unit, for units whose terragrunt.hcl git saw renamed."""
    moved = {}
    for e in diff:
        if e.status != "R" or not e.old or not e.new:
            continue
        if posixpath.basename(e.old) != terragrunt.CONFIG_NAME or posixpath.basename(e.new) != terragrunt.CONFIG_NAME:
            continue
        old, new = terragrunt.unit_name(e.old), terragrunt.unit_name(e.new)
        stays = old in head.analysis.units or new in base.analysis.units
        if old in base.analysis.units and new in head.analysis.units and not stays:
            moved[new] = old
    return moved


def _ownership(
    path: str,
    base: Side,
    head: Side,
    moved: dict[str, str],
    moved_from: dict[str, str],
    out: _Changes,
) -> bool:
    """A changed file changes the unit whose directory holds it, on either commit: a file deleted from a unit
    that stays, or added to one, changes that unit as much as an edited one does."""
    touched = False
    owner = head.analysis.owner(path)
    if owner is not None:
        if owner in moved:
            kind = ChangeType.MODULE_MOVED
        elif owner not in base.analysis.units:
            kind = ChangeType.MODULE_ADDED
        else:
            kind = ChangeType.MODULE_CHANGED
        out.add(kind, owner, head.account_of(owner), [path])
        touched = True
    owner = base.analysis.owner(path)
    if owner is not None:
        if owner in moved_from:
            new = moved_from[owner]
            out.add(ChangeType.MODULE_MOVED, new, head.account_of(new), [path])
        elif owner not in head.analysis.units:
            out.add(ChangeType.MODULE_DELETED, owner, base.account_of(owner), [path])
        else:
            out.add(ChangeType.MODULE_CHANGED, owner, head.account_of(owner), [path])
        touched = True
    return touched


def shared_change_type(path: str) -> ChangeType:
    if "_envcommon" in path.split("/")[:-1]:
        return ChangeType.ENV_COMMON_CHANGED
    if path.endswith(".hcl"):
        return ChangeType.HCL_CHANGED
    return ChangeType.FILE_CHANGED


def _readers(path: str, readers: set[str], on_head: bool, base: Side, head: Side, out: _Changes) -> bool:
    """Units that read a changed file (at either commit) are changed by it, unless added or deleted."""
    kind = shared_change_type(path)
    owner = head.analysis.owner(path) if on_head else base.analysis.owner(path)
    for unit in sorted(readers):
        if unit not in head.analysis.units or unit not in base.analysis.units or unit == owner:
            continue  # added, deleted or moved units, and a unit reading its own file, are covered already
        out.add(kind, unit, head.account_of(unit), [path])
    return bool(readers)


def _accounts(base: Side, head: Side, out: _Changes) -> bool:
    before, after = base.accounts, head.accounts
    touched = False
    for name in sorted(after.keys() - before.keys()):
        out.add(ChangeType.ACCOUNT_ADDED, None, name, [ACCOUNTS_FILE])
        touched = True
    for name in sorted(before.keys() - after.keys()):
        out.add(ChangeType.ACCOUNT_DELETED, None, name, [ACCOUNTS_FILE])
        out.warnings.add(f"account {name} was removed from accounts.yml: AWS accounts are never closed automatically")
        touched = True
    for name in sorted(before.keys() & after.keys()):
        if before[name] != after[name]:
            out.add(ChangeType.ACCOUNT_CHANGED, None, name, [ACCOUNTS_FILE])
            touched = True
    return touched


# ---------------------------------------------------------------------------------------------------------------
# Jobs


def plan_jobs(changes: list[Change], event: Event, base_sha: str, head_sha: str, base: Side, head: Side) -> list[Job]:
    """One job per (unit, action), with `needs` and `wave` so no unit runs before one it depends on."""
    forward: dict[str, list[ChangeType]] = {}
    deleted: dict[str, list[ChangeType]] = {}
    new_accounts: list[str] = []
    for c in changes:
        if c.type is ChangeType.ACCOUNT_ADDED and c.account:
            new_accounts.append(c.account)
        elif c.type is ChangeType.MODULE_DELETED and c.unit:
            deleted.setdefault(c.unit, []).append(c.type)
        elif c.type in _HEAD_SIDE and c.unit:
            forward.setdefault(c.unit, []).append(c.type)
    pr = event is Event.PULL_REQUEST
    fwd_action = Action.PLAN if pr else Action.APPLY
    del_action = Action.PLAN_DESTROY if pr else Action.DESTROY
    ids = {u: f"{fwd_action}:{u}" for u in forward}
    del_ids = {u: f"{del_action}:{u}" for u in deleted}
    needs: dict[str, set[str]] = {}
    head_graph = {u.path: u.dependencies for u in head.analysis.units.values()}
    for u in forward:
        needs[ids[u]] = {ids[d] for d in _nearest(u, head_graph, ids)}
    base_dependents = _reverse(base.analysis.units.values()) if deleted else {}
    for u in deleted:
        stop = del_ids.keys() | ids.keys()
        needs[del_ids[u]] = {del_ids.get(d) or ids[d] for d in _nearest(u, base_dependents, stop)}
    waves = _waves(needs)
    jobs = [
        Job(
            ids[u],
            u,
            fwd_action,
            head_sha,
            head.account_of(u),
            _ordered(types),
            waves[ids[u]],
            tuple(sorted(needs[ids[u]])),
        )
        for u, types in forward.items()
    ]
    jobs += [
        Job(
            del_ids[u],
            u,
            del_action,
            base_sha,
            base.account_of(u),
            _ordered(types),
            waves[del_ids[u]],
            tuple(sorted(needs[del_ids[u]])),
        )
        for u, types in deleted.items()
    ]
    acct_action = Action.ACCOUNT_PLAN if pr else Action.ACCOUNT_CREATE
    jobs += [
        Job(f"{acct_action}:{a}", None, acct_action, head_sha, a, (ChangeType.ACCOUNT_ADDED,)) for a in new_accounts
    ]
    jobs.sort(key=lambda j: (j.wave, j.action in (Action.DESTROY, Action.PLAN_DESTROY), j.id))
    return jobs


def _ordered(types: list[ChangeType]) -> tuple[ChangeType, ...]:
    return tuple(sorted(set(types), key=_TYPE_ORDER.__getitem__))


def _reverse(units: Iterable[terragrunt.Unit]) -> dict[str, list[str]]:
    """unit -> the units that depend on it (in no particular order: _nearest returns a set)."""
    rev: dict[str, list[str]] = {}
    for u in units:
        for d in u.dependencies:
            if d in rev:
                rev[d].append(u.path)
            else:
                rev[d] = [u.path]
    return rev


def _nearest(start: str, graph: Mapping[str, Sequence[str]], targets: Container[str]) -> set[str]:
    """The job units (`targets`) reachable from `start` through units that have no job (walked through)."""
    found: set[str] = set()
    seen = {start}
    stack = list(graph.get(start, ()))
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        if u in targets:
            found.add(u)
        else:
            stack.extend(graph.get(u, ()))
    return found


def _waves(needs: dict[str, set[str]]) -> dict[str, int]:
    wave: dict[str, int] = {}
    visiting: list[str] = []

    def depth(job: str) -> int:
        if job in wave:
            return wave[job]
        if job in visiting:
            cycle = [*visiting[visiting.index(job) :], job]
            raise UserError(
                "dependency cycle between units: "
                + " -> ".join(j.split(":", 1)[1] for j in cycle)
                + "; Terragrunt cannot order them either: remove one of the dependency blocks"
            )
        visiting.append(job)
        wave[job] = 1 + max((depth(n) for n in needs[job]), default=-1)
        visiting.pop()
        return wave[job]

    for job in sorted(needs):
        depth(job)
    return wave


# ---------------------------------------------------------------------------------------------------------------
# The I/O shell


def load_side(
    t: tree.Tree,
    scanner: Scanner = hcl.scan,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
    reuse: tuple[Analysis, Iterable[str]] | None = None,
    strict_accounts: bool = True,
    alongside: Callable[[], None] | None = None,
    changed_next: Iterable[str] = (),
) -> Side:
    """One commit's side. With `strict_accounts=False`, accounts.yml is only read for its account names (what
    an unchanged file is used for), without validating it: no pydantic import, a tenth of a second."""
    analysis = terragrunt.analyse(t, scanner, facts_cache, reuse, alongside, changed_next)
    accounts: dict[str, str] = {}
    if t.is_file(ACCOUNTS_FILE):
        text = t.read(ACCOUNTS_FILE)
        light = None if strict_accounts else _account_entries(text)
        accounts = light if light is not None else strict_accounts_of(text)
    return Side(analysis, accounts)


def strict_accounts_of(text: str) -> dict[str, str]:
    """accounts.yml parsed and validated in full (ParseError names file, line, account and field)."""
    from gwpipelines import accounts as accounts_mod

    return {name: _canonical(a) for name, a in accounts_mod.parse(text).items()}


def _canonical(account: Account) -> str:
    """Two entries are equal exactly when their canonical JSON is (the model compares its field values)."""
    return json.dumps(account.model_dump(mode="json"), sort_keys=True)


def _account_entries(text: str) -> dict[str, str] | None:
    """accounts.yml's entries as written (keys as the strict parser sees them: every scalar a string), or None
    when it is not a YAML mapping (the strict parser then says what is wrong)."""
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.YAMLError:
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        return None
    return {str(k): json.dumps(v, sort_keys=True) for k, v in data.items()}


def _validated_accounts(root: Path, commit: str, side: Side) -> Side:
    """The side with accounts.yml validated and its entries in canonical form: it changed, so its entries are
    compared (AccountAdded/Changed/Deleted), and a change must not land an invalid file."""
    if not side.accounts:
        return side  # absent, or no entries: the strict parse says the same
    text = git.cat_blobs(root, [f"{commit}:{ACCOUNTS_FILE}"])[f"{commit}:{ACCOUNTS_FILE}"]
    return Side(side.analysis, strict_accounts_of(text.decode("utf-8", errors="replace")))


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
    scanner: Scanner = hcl.scan,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
) -> Orchestration:
    # The analysis builds millions of long-lived acyclic objects (ASTs, facts, units).
    with cache.no_gc_pauses(), contextlib.ExitStack() as pending:
        return _orchestrate(repo, base, head, Event(event), scanner, facts_cache, pending)


def _orchestrate(
    repo: Path,
    base: str,
    head: str,
    event: Event,
    scanner: Scanner,
    facts_cache: dict[str, hcl.FileFacts] | None,
    pending: contextlib.ExitStack,
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
    sides = _Sides(root, scanner, facts_cache, changed)
    pending.callback(sides.wait)  # orchestrate returns once the cache entries written in the background are
    # Our scanner's facts of a changed file are what the full parse gives: it need not scan that file again. A
    # big evaluation runs it alongside, while its second process works; else it runs first, and at the latest
    # once both sides are there.
    sides.alongside = _once(
        functools.partial(
            validate_changed, root, head_sha, diff, sides.cache_dir, sides.facts if scanner is hcl.scan else None
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
            """The commit's tree; the second one from the first and the diff, not from a second git listing."""
            if built and built[0][0] != commit:
                other_commit, other = built[0]
                t = tree.from_listing(root, tree.across(other, diff, forward=other_commit == diff_base))
            else:
                t = tree.at_commit(root, commit)
            built.append((commit, t))
            return t

        got = {sha: sides.get(functools.partial(listed, sha), tid) for tid, sha in order}
        head_side, base_side = got[head_sha], got[diff_base]
    sides.alongside()
    if ACCOUNTS_FILE in changed:
        head_side = _validated_accounts(root, head_sha, head_side)
        if diff_base != git.ZERO_SHA:
            base_side = _validated_accounts(root, diff_base, base_side)
    changes, ignored, warnings = classify(base_side, head_side, diff)
    jobs = plan_jobs(changes, event, diff_base, head_sha, base_side, head_side)
    warnings = sorted(set(warnings) | _job_warnings(jobs, base_side, head_side))
    return Orchestration(diff_base, head_sha, event, tuple(changes), tuple(ignored), tuple(warnings), tuple(jobs))


class _Sides:
    """Analyses both commits, each once: from the cache when it has the tree, else evaluated, reusing the units of
    the other commit whose evaluation looked at none of the changed paths (most of them)."""

    def __init__(self, root: Path, scanner: Scanner, facts: dict[str, hcl.FileFacts] | None, changed: list[str]):
        # Only our own scanner's answers may be cached: another one (a test's reference) is computed afresh.
        self.cache_dir = cache.directory(root) if scanner is hcl.scan else None
        self.scanner = scanner
        self.facts = facts if facts is not None else {}
        self.changed = changed
        self.done: list[tuple[Side, str | None]] = []
        self.writers: list[Callable[[], None]] = []
        self.alongside: Callable[[], None] = terragrunt.nothing  # work done while a big evaluation runs (see analyse)

    def get(self, make_tree: Callable[[], tree.Tree], tree_id: str | None) -> Side:
        side = cache.load(self.cache_dir, tree_id, "side") if tree_id else None
        if not isinstance(side, Side):
            reuse = self._reuse()
            side = load_side(
                make_tree(),
                self.scanner,
                self.facts,
                reuse,
                strict_accounts=False,
                alongside=self.alongside,
                changed_next=() if reuse else self.changed,
            )
            if tree_id:
                # What reuse needs (per-config traces) is stored apart: a run that finds both sides cached
                # does not load it. Its units are the side's own, but for the included configs': only those are
                # stored again (see _reuse).
                a = side.analysis
                slim = dataclasses.replace(a, evaluated={}, traces={}, includes={})
                not_units = {cfg: u for cfg, u in a.evaluated.items() if a.units.get(u.path) is not u}
                entries = [
                    (tree_id, "reuse", (a.traces, a.includes, not_units)),
                    (tree_id, "side", Side(slim, side.accounts)),
                ]
                # A big analysis is written by a forked child while this process goes on (the other commit,
                # the changes and jobs); orchestrate waits for it before it returns.
                big = len(a.evaluated) >= terragrunt.PARALLEL_MIN_CONFIGS and terragrunt.may_fork()
                self.writers.append(cache.store_all(self.cache_dir, entries, background=big))
        self.done.append((side, tree_id))
        return side

    def wait(self) -> None:
        """Until every cache entry is written."""
        for writer in self.writers:
            writer()
        self.writers.clear()

    def _reuse(self) -> tuple[Analysis, list[str]] | None:
        if not self.done:
            return None
        side, tree_id = self.done[0]
        analysis = side.analysis
        if not analysis.traces and tree_id:
            data = cache.load(self.cache_dir, tree_id, "reuse")
            if not isinstance(data, tuple):
                return None
            traces, includes, not_units = data
            units = analysis.units
            try:
                evaluated = {
                    cfg: not_units[cfg] if cfg in not_units else units[terragrunt.unit_name(cfg)] for cfg in traces
                }
            except KeyError:
                return None  # not the entry stored with this side: evaluate afresh
            analysis = dataclasses.replace(analysis, evaluated=evaluated, traces=traces, includes=includes)
        return analysis, self.changed


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
        body = hcl.parse(blobs[oid].decode("utf-8", errors="replace"), path)
        if facts is not None and ":" not in oid:
            facts[oid] = hcl.facts_of(body)
    if todo and cache_dir is not None:
        cache.store(cache_dir, _ALL_TREES, "validated", valid | {oid for _, oid in todo if ":" not in oid})


_ALL_TREES = "blobs"  # the validated blob ids are kept in one cache entry, whatever the tree


def _job_warnings(jobs: list[Job], base: Side, head: Side) -> set[str]:
    """The evaluation warnings of the units that get a job (others' are not this change's business)."""
    out: set[str] = set()
    for j in jobs:
        if j.unit is None:
            continue
        side = base if j.action in (Action.DESTROY, Action.PLAN_DESTROY) else head
        unit = side.analysis.units.get(j.unit)
        if unit:
            out.update(unit.warnings)
    return out
