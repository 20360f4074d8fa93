"""Changes: a diff between two analysed commits becomes typed infrastructure changes, the files it ignores, and
warnings. Pure: the two sides and the diff in, frozen values out. Missing a unit a change affects is the worst bug
this product can have, so every rule here errs towards including a unit."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gwpipelines import git
from gwpipelines.models import Change, ChangeType
from gwpipelines.models.units import CONFIG_NAME, STACK_FILE, unit_config, unit_name
from gwpipelines.orchestrator.terragrunt import Analysis, Unit

# The live repo's account list (gwpipelines.accounts parses it; imported only when it must be, since pydantic
# costs a tenth of a second of start-up that a cached run does not otherwise spend).
ACCOUNTS_FILE = "accounts.yml"

TYPE_ORDER = {t: i for i, t in enumerate(ChangeType)}


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


def classify(base: Side, head: Side, diff: list[git.DiffEntry]) -> tuple[list[Change], list[str], list[str]]:
    """(changes, ignored files, warnings) for a diff between the `base` and `head` sides."""
    out = _Changes()
    moved, ambiguous = _moves(base, head, diff)
    undecided = {d for ds, _ in ambiguous for d in ds}  # never destroyed automatically
    for ds, adds in ambiguous:
        out.warnings.add(
            f"units {', '.join(sorted(ds))} deleted and {', '.join(sorted(adds))} added with the same "
            "terragrunt.hcl: which one moved cannot be told, so none of the deleted units is destroyed "
            "automatically; check each, then move its state or destroy it by hand"
        )
    for new, old in sorted(moved.items()):
        out.add(
            ChangeType.MODULE_MOVED,
            new,
            head.account_of(new),
            [unit_config(old), unit_config(new)],
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
        touched = _ownership(path, base, head, moved, moved_from, undecided, out)
        readers = head_readers.get(path, set()) | base_readers.get(path, set())
        touched |= _readers(path, readers - moved.keys() - moved_from.keys(), on_head, base, head, out)
        for side in (base, head):
            if path in side.analysis.stack_warnings:
                out.warnings.update(side.analysis.stack_warnings[path])
                touched = True
        if path == ACCOUNTS_FILE:
            touched |= _accounts(base, head, out)
        if not touched:
            out.ignored.add(path)
    gone = {
        c_unit: "deleted"
        for (kind, c_unit, _), _f in out.by_key.items()
        if kind is ChangeType.MODULE_DELETED and c_unit
    }
    gone.update({old: f"moved to {new}" for new, old in moved.items()})
    gone.update({d: "deleted (or moved)" for d in undecided})
    depending = _dependents_of(gone, head.analysis.units.values())
    for unit, how in sorted(gone.items()):
        still = sorted(depending.get(unit, ()))
        if still:
            out.warnings.add(
                f"unit {unit} is {how} but {', '.join(still)} still depend{'s' if len(still) == 1 else ''} on it "
                "(dependency/dependencies blocks): their plans fail, and with core.validate_dependencies_on_delete "
                "(the default) its destroy is refused"
            )
    for path, readers in deleted_shared(base, head, diff, base_readers).items():
        shown = ", ".join(sorted(readers)[:5]) + (", ..." if len(readers) > 5 else "")
        out.warnings.add(
            f"{path} deleted: {len(readers)} unit{'s' if len(readers) != 1 else ''} still read it ({shown}); "
            "their plans fail until they stop reading it"
        )
    changes = [Change(kind, unit, account, tuple(sorted(files))) for (kind, unit, account), files in out.by_key.items()]
    changes.sort(key=lambda c: (TYPE_ORDER[c.type], c.unit or "", c.account or ""))
    return changes, sorted(out.ignored), sorted(out.warnings)


def _dependents_of(targets: Iterable[str], units: Iterable[Unit]) -> dict[str, list[str]]:
    """For each of `targets`, the units whose dependency blocks name it: one pass over the units, however many."""
    wanted = set(targets)
    out: dict[str, list[str]] = {}
    if not wanted:
        return out
    for u in units:
        if not wanted.isdisjoint(u.dependencies):
            for d in set(u.dependencies) & wanted:
                out.setdefault(d, []).append(u.path)
    return out


def deleted_shared(
    base: Side, head: Side, diff: list[git.DiffEntry], base_readers: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """Shared files the diff deletes (not moves) -> the units that read them on the base commit and still look for
    them on the head one."""
    paths = [e.old for e in diff if e.status == "D" and e.old and base.analysis.owner(e.old) is None]
    readers = base_readers if base_readers is not None else base.analysis.readers_of(paths)
    reading_now = head.analysis.readers_of(paths)  # a unit looking for it still: a pattern, or a path it names
    out = {}
    for p in paths:
        name = [posixpath.basename(p)]
        units = head.analysis.units
        still = {
            u
            for u in readers.get(p, ())
            if u in reading_now.get(p, ()) or (u in units and any(about_deleted(w, name) for w in units[u].warnings))
        }
        if still:
            out[p] = still
    return out


_FORWARD = frozenset(ChangeType) - {
    ChangeType.MODULE_DELETED,
    ChangeType.ACCOUNT_ADDED,
    ChangeType.ACCOUNT_CHANGED,
    ChangeType.ACCOUNT_DELETED,
}


def dependents(changes: list[Change], head: Side) -> list[Change]:
    """`plan_dependents`: a DependencyChanged for each unit of the head commit that depends, directly or through
    other units, on a unit the changes plan or apply, and is not changed itself; its files are the configs of the
    changed units it depends on."""
    changed = {c.unit for c in changes if c.unit and c.type in _FORWARD}
    deleted = {c.unit for c in changes if c.unit and c.type is ChangeType.MODULE_DELETED}
    reverse: dict[str, list[str]] = {}
    for unit in head.analysis.units.values():
        for d in unit.dependencies:
            reverse.setdefault(d, []).append(unit.path)
    found: dict[str, set[str]] = {}
    for start in sorted(changed):
        stack, seen = list(reverse.get(start, ())), {start}
        while stack:
            u = stack.pop()
            if u in seen:
                continue
            seen.add(u)
            if u not in changed and u not in deleted:
                found.setdefault(u, set()).add(unit_config(start))
            stack.extend(reverse.get(u, ()))
    out = [Change(ChangeType.DEPENDENCY_CHANGED, u, head.account_of(u), tuple(sorted(f))) for u, f in found.items()]
    return sorted(out, key=lambda c: c.unit or "")


_UNFOLLOWED = re.compile(r"cannot be fully evaluated; counting every file matching '(.*)' as read$")


def about_deleted(warning: str, names: list[str]) -> bool:
    """Whether a warning says only that a path ending in one of these file names could not be found."""
    m = _UNFOLLOWED.search(warning) if names else None
    return m is not None and any(m.group(1).endswith("/" + n) or m.group(1) == n for n in names)


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


def _moves(base: Side, head: Side, diff: list[git.DiffEntry]) -> tuple[dict[str, str], list[tuple[set[str], set[str]]]]:
    """(new unit -> old unit, for the units that moved; the ambiguous groups: (deleted units, added units) where
    several deleted units could be the source of an added one). Moves are decided per unit, not by git's file
    pairing: a deleted unit is a candidate source of an added one when git paired their terragrunt.hcl or the two
    files are byte-identical (DRY units often are, and git then pairs them at random). A pairing counts only when
    the added unit has one candidate and that candidate no other added unit."""
    units_before, units_after = base.analysis.units, head.analysis.units
    deleted: dict[str, str | None] = {}  # deleted unit -> its config's blob
    added: dict[str, str | None] = {}
    paired: dict[str, str] = {}  # git's renames of a config: new unit -> old unit
    for e in diff:
        old = unit_name(e.old) if e.old and posixpath.basename(e.old) == CONFIG_NAME else None
        new = unit_name(e.new) if e.new and posixpath.basename(e.new) == CONFIG_NAME else None
        if old and e.status in "DR" and old in units_before and old not in units_after:
            deleted[old] = e.old_oid
        if new and e.status in "AR" and new in units_after and new not in units_before:
            added[new] = e.new_oid
        if e.status == "R" and old and new:
            paired[new] = old
    sources = {
        a: {d for d, d_oid in deleted.items() if paired.get(a) == d or (oid is not None and d_oid == oid)}
        for a, oid in added.items()
    }
    claims: dict[str, set[str]] = {}
    for a, ds in sources.items():
        for d in ds:
            claims.setdefault(d, set()).add(a)
    moved: dict[str, str] = {}
    groups: list[tuple[set[str], set[str]]] = []
    seen: set[str] = set()
    for a, ds in sorted(sources.items()):
        if len(ds) == 1 and len(claims[next(iter(ds))]) == 1:
            moved[a] = next(iter(ds))
        elif ds and a not in seen:
            group_d, group_a = set(ds), {a}
            grown = True
            while grown:  # every deleted and added unit the ambiguity reaches
                more_a = {x for d in group_d for x in claims[d]}
                more_d = {d for x in more_a for d in sources[x]}
                grown = more_a != group_a or more_d != group_d
                group_a, group_d = more_a, more_d
            seen |= group_a
            groups.append((group_d, group_a))
    for e in diff:  # a stack moved: each unit it generates moved with it
        if e.status != "R" or not e.old or not e.new or posixpath.basename(e.new) != STACK_FILE:
            continue
        old_dir, new_dir = posixpath.dirname(e.old), posixpath.dirname(e.new)
        for new, unit in head.analysis.units.items():
            if not unit.stack_key or not new.startswith(new_dir + "/" if new_dir else ""):
                continue
            old = posixpath.join(old_dir, new[len(new_dir) :].lstrip("/"))
            if old in base.analysis.units and old not in head.analysis.units and new not in base.analysis.units:
                moved[new] = old
    return moved, groups


def _ownership(
    path: str,
    base: Side,
    head: Side,
    moved: dict[str, str],
    moved_from: dict[str, str],
    undecided: set[str],
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
        elif owner in undecided:
            pass  # an ambiguous move: named in a warning, never destroyed automatically
        elif owner not in head.analysis.units:
            out.add(ChangeType.MODULE_DELETED, owner, base.account_of(owner), [path])
        else:
            out.add(ChangeType.MODULE_CHANGED, owner, head.account_of(owner), [path])
        touched = True
    return touched


def shared_change_type(path: str) -> ChangeType:
    if posixpath.basename(path) == STACK_FILE:
        return ChangeType.STACK_CHANGED
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
        before, after = base.analysis.units.get(unit), head.analysis.units.get(unit)
        either = after or before
        if either is not None and either.stack_key and (before is None or after is None):
            # a unit a stack generates comes and goes with its stack block: no file of its own says so
            added = after is not None
            side = head if added else base
            out.add(
                ChangeType.MODULE_ADDED if added else ChangeType.MODULE_DELETED, unit, side.account_of(unit), [path]
            )
            continue
        if after is None or before is None or unit == owner:
            continue  # added, deleted or moved units, and a unit reading its own file, are covered already
        if path in after.stack_files or path in before.stack_files:
            if before.stack_key and before.stack_key == after.stack_key:
                continue  # the stack file changed, but nothing it says of this unit (another unit's block, say)
            out.add(ChangeType.STACK_CHANGED, unit, head.account_of(unit), [path])
            continue
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
