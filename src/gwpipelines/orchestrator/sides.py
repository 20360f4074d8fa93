"""The two sides of a change, each analysed once: from the cache when it has the commit's tree, else evaluated,
reusing the units of the other commit whose evaluation looked at none of the changed paths (most of them), in two
processes when the tree is big (see `parallel`); and each side's accounts.yml."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gwpipelines import git
from gwpipelines.errors import ParseError
from gwpipelines.models.units import unit_name
from gwpipelines.orchestrator import cache, hcl, parallel, terragrunt, tree
from gwpipelines.orchestrator.classify import ACCOUNTS_FILE, Side
from gwpipelines.orchestrator.terragrunt import Analysis, Evaluated, Scanner, Trace, Unit
from gwpipelines.orchestrator.terragrunt.values import BlobFacts

if TYPE_CHECKING:
    from gwpipelines.accounts import Account


def nothing() -> None:
    """The default for optional work hooks such as `alongside`."""
    return None


def is_ours(scanner: Scanner | None) -> bool:
    """Whether `scanner` is our own (None stands for it)."""
    return scanner is None or scanner is hcl.scan


def analyse_reusing(
    t: tree.Tree,
    scanner: Scanner | None = None,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
    reuse: tuple[Analysis, Iterable[str]] | None = None,
    alongside: Callable[[], None] | None = None,
    changed_next: Iterable[str] = (),
    consume: bool = False,
) -> Analysis:
    """`terragrunt.analyse(t, scanner)`, computed for less. With `reuse=(analysis of another commit, paths changed
    between the two)`, a unit whose evaluation looked at none of the changed paths is taken from that analysis
    instead of evaluated again. `alongside` is other work, done while a second process evaluates (else first); an
    error it raises comes before any the evaluation raises. `changed_next`: the paths changed against the commit
    analysed next, whose evaluation will need the facts of the configs that looked at one (a second process sends
    those back). `facts_cache`: the scanner's facts by blob id, shared by both commits. With `consume`, the
    other analysis's per-config dicts (`evaluated`, `traces`, `includes`: what reuse reads, nothing after) are
    emptied once read, before this commit is evaluated: at 100,000 units they weigh 15 MB at the memory's peak."""
    ev = terragrunt.Evaluator(t, scanner or hcl.scan, facts_cache)
    configs = ev.config_candidates()
    previous, changed = reuse if reuse else (None, ())
    hit = terragrunt.touched(changed)
    kept: dict[str, Evaluated] = {}
    todo = []
    for cfg in configs:
        old_trace = previous.traces.get(cfg) if previous else None
        if previous and old_trace is not None and not hit(old_trace):
            kept[cfg] = (cfg, previous.evaluated[cfg], old_trace, previous.includes[cfg])
        else:
            todo.append(cfg)
    if previous and consume:
        for per_config in (previous.evaluated, previous.traces, previous.includes):
            per_config.clear()
    needed_next = terragrunt.touched(changed_next)
    fresh = parallel.evaluate_all(ev, todo, alongside or nothing, needed_next)
    if changed_next and facts_cache is not None and len(fresh) >= FORGET_MIN_CONFIGS:
        forget_unneeded(ev, facts_cache, fresh, needed_next)
    results = [*kept.values(), *fresh]
    kept.clear()  # its table freed before assemble makes the analysis' own (5 MB each at 100,000 units)
    del fresh
    return terragrunt.assemble(configs, results, ev.stacks)


# From this many configs on, the facts of those the next commit will not evaluate again are forgotten: below it
# they weigh a few tens of megabytes, and the pass costs more time than the memory is worth.
FORGET_MIN_CONFIGS = 50_000


def forget_unneeded(
    ev: terragrunt.Evaluator,
    facts_cache: dict[str, hcl.FileFacts],
    fresh: Iterable[Evaluated],
    needed_next: Callable[[terragrunt.Trace], bool],
) -> None:
    """Drop the facts of each config whose trace looked at no path changed against the next commit: it is taken
    from this analysis there, never evaluated (most of a big tree's configs, a sixth of its memory). Facts are a
    pure function of the content, so one dropped that is needed after all (the same content at another path) is
    only scanned again; shared and changed files' facts stay."""
    for cfg, _, trace, _ in fresh:
        if not needed_next(trace):
            oid = ev.tree.blob_id(cfg)
            if oid:
                facts_cache.pop(oid, None)


def load_side(
    t: tree.Tree,
    scanner: Scanner | None = None,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
    reuse: tuple[Analysis, Iterable[str]] | None = None,
    strict_accounts: bool = True,
    alongside: Callable[[], None] | None = None,
    changed_next: Iterable[str] = (),
    consume: bool = False,
) -> Side:
    """One commit's side. With `strict_accounts=False`, accounts.yml is only read for its account names (what
    an unchanged file is used for), without validating it: no pydantic import, a tenth of a second."""
    analysis = analyse_reusing(t, scanner, facts_cache, reuse, alongside, changed_next, consume)
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
    import yaml  # here: a run that finds both sides cached reads no YAML, and need not import it

    from gwpipelines import safe_yaml

    try:
        safe_yaml.check(text, ACCOUNTS_FILE, top_level="account")
    except ParseError:
        return None  # an alias bomb or deep nesting: the strict parser refuses it, with its line
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.YAMLError:
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        return None
    return {str(k): json.dumps(v, sort_keys=True) for k, v in data.items()}


def validated_accounts(root: Path, commit: str, side: Side) -> Side:
    """The side with accounts.yml validated and its entries in canonical form: it changed, so its entries are
    compared (AccountAdded/Changed/Deleted), and a change must not land an invalid file."""
    if not side.accounts:
        return side  # absent, or no entries: the strict parse says the same
    text = git.cat_blobs(root, [f"{commit}:{ACCOUNTS_FILE}"])[f"{commit}:{ACCOUNTS_FILE}"]
    return Side(side.analysis, strict_accounts_of(text.decode("utf-8", errors="replace")))


class Sides:
    """Analyses both commits, each once: from the cache when it has the tree, else evaluated, reusing the units of
    the other commit whose evaluation looked at none of the changed paths (most of them)."""

    def __init__(self, root: Path, scanner: Scanner | None, facts: dict[str, hcl.FileFacts] | None, changed: list[str]):
        # Only our own scanner's answers (None: ours) may be cached: another one (a test's reference) is computed
        # afresh. (Ours is named lazily: a run that finds both sides cached never imports the scanner.)
        self.cache_dir = cache.directory(root) if is_ours(scanner) else None
        self.scanner = scanner
        self.facts = facts if facts is not None else BlobFacts()
        self.changed = changed
        self.done: list[tuple[Side, str | None]] = []
        self.writers: list[Callable[[], None]] = []
        self.alongside: Callable[[], None] = nothing  # work done while a big evaluation runs (see analyse)

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
                consume=True,  # (the first side's writer, if any, has its copy: see below)
            )
            if tree_id:
                # What reuse needs (per-config traces) is stored apart: a run that finds both sides cached
                # does not load it. Its units are the side's own, but for the included configs': only those are
                # stored again (see _reuse).
                a = side.analysis
                slim = dataclasses.replace(a, evaluated={}, traces={}, includes={})
                not_units = {cfg: u for cfg, u in a.evaluated.items() if a.units.get(u.path) is not u}
                entries = [
                    (tree_id, "reuse", _ReuseEntry(a, not_units)),
                    (tree_id, "side", Side(slim, side.accounts)),
                ]
                # A big analysis is written by a forked child while this process goes on (the other commit,
                # the changes and jobs); orchestrate waits for it before it returns.
                big = len(a.evaluated) >= parallel.PARALLEL_MIN_CONFIGS and parallel.may_fork()
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
            units = analysis.units
            try:
                cfgs, shared, own, included, not_units = data
                if not _all_of(frozenset, shared) or not _all_of(tuple, own) or not _all_of(frozenset, included):
                    return None  # (values of another type would fail later, inside evaluation)
                traces = dict(zip(cfgs, map(Trace, shared, own), strict=True))
                includes = dict(zip(cfgs, included, strict=True))
                evaluated = {cfg: not_units[cfg] if cfg in not_units else units[unit_name(cfg)] for cfg in traces}
            except (KeyError, TypeError, ValueError):
                return None  # not the entry stored with this side (or a broken one): evaluate afresh
            analysis = dataclasses.replace(analysis, evaluated=evaluated, traces=traces, includes=includes)
        return analysis, self.changed


def _all_of(kind: type, values: Iterable[object]) -> bool:
    return all(type(v) is kind for v in values)


class _ReuseEntry:
    """What the reuse of an analysis needs (its per-config traces and included files, and the units of included
    configs), pickled as one tuple of columns, made while it is pickled (by the writing child, when there is
    one): a trace pickled by itself would leave a transient tuple per config in the pickler's memo (100,000 at
    100,000 units, in the process whose memory peaks last)."""

    __slots__ = ("analysis", "not_units")

    def __init__(self, analysis: Analysis, not_units: dict[str, Unit]) -> None:
        self.analysis = analysis
        self.not_units = not_units

    def __reduce__(self) -> tuple[type[tuple[object, ...]], tuple[tuple[object, ...]]]:
        a = self.analysis
        cfgs = tuple(a.traces)
        traces = a.traces.values()
        columns = (
            cfgs,
            tuple(t.shared for t in traces),
            tuple(t.own for t in traces),
            tuple(a.includes[cfg] for cfg in cfgs),
            self.not_units,
        )
        return (tuple, (columns,))
