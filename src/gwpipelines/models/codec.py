"""What `gwpipelines dispatch` reads: the orchestrate JSON, or a bare list of jobs, checked field by field.

Accepted shapes (one JSON document):
- the whole `gwpipelines orchestrate --format json` output (`base`, `head`, `event`, `changes`, `ignored`,
  `warnings`, `jobs`), so `orchestrate | dispatch -` works and the comment can show change types and warnings;
- a bare list of jobs (the `jobs` array alone), or `{"jobs": [...]}`: the event is `push` if any job applies,
  destroys or creates an account, else `pull_request`; the head commit is `--sha`, else the ref most jobs share.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from gwpipelines.errors import UserError
from gwpipelines.models import MUTATING_ACTIONS, Action, Change, ChangeType, Event, Job, Orchestration

_HINT = "pass the output of `gwpipelines orchestrate --format json` or a JSON list of its jobs"


def parse(text: str, source: str, *, sha: str | None = None) -> Orchestration:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"{source}:{e.lineno}: not valid JSON ({e.msg}); {_HINT}") from e
    if isinstance(data, dict) and {"base", "head", "event"} <= data.keys():
        return _orchestration(data, source)
    jobs = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(jobs, list):
        raise UserError(f"{source}: expected a JSON object with `jobs` or a list of jobs; {_HINT}")
    parsed = tuple(_job(j, f"{source}: jobs[{i}]") for i, j in enumerate(jobs))
    event = Event.PUSH if any(j.action in MUTATING_ACTIONS for j in parsed) else Event.PULL_REQUEST
    refs = Counter(j.ref for j in parsed if j.action not in (Action.DESTROY, Action.PLAN_DESTROY))
    head = sha or (refs.most_common(1)[0][0] if refs else (parsed[0].ref if parsed else ""))
    return Orchestration(base="", head=head, event=event, changes=(), ignored=(), warnings=(), jobs=parsed)


def _orchestration(data: dict[str, Any], source: str) -> Orchestration:
    event = _enum(Event, data.get("event"), f"{source}: event")
    changes = tuple(_change(c, f"{source}: changes[{i}]") for i, c in enumerate(_list(data, "changes", source)))
    jobs = tuple(_job(j, f"{source}: jobs[{i}]") for i, j in enumerate(_list(data, "jobs", source)))
    return Orchestration(
        base=_str(data, "base", source),
        head=_str(data, "head", source),
        event=event,
        changes=changes,
        ignored=tuple(str(x) for x in _list(data, "ignored", source)),
        warnings=tuple(str(x) for x in _list(data, "warnings", source)),
        jobs=jobs,
    )


def _job(data: Any, where: str) -> Job:
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a job object, got {type(data).__name__}; {_HINT}")
    return Job(
        id=_str(data, "id", where),
        unit=_opt_str(data, "unit", where),
        action=_enum(Action, data.get("action"), f"{where}.action"),
        ref=_str(data, "ref", where),
        account=_opt_str(data, "account", where),
        change_types=tuple(
            _enum(ChangeType, t, f"{where}.change_types[{k}]") for k, t in enumerate(data.get("change_types") or [])
        ),
        wave=_int(data, "wave", where),
        needs=tuple(str(n) for n in data.get("needs") or []),
    )


def _change(data: Any, where: str) -> Change:
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a change object; {_HINT}")
    return Change(
        type=_enum(ChangeType, data.get("type"), f"{where}.type"),
        unit=_opt_str(data, "unit", where),
        account=_opt_str(data, "account", where),
        files=tuple(str(f) for f in data.get("files") or []),
    )


def _enum(kind: Any, value: Any, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m) for m in kind)
        raise UserError(f"{where}: {value!r} is not one of {allowed}") from None


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise UserError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _opt_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise UserError(f"{where}.{key}: expected a string or null, got {value!r}")
    return value


def _int(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UserError(f"{where}.{key}: expected a whole number >= 0, got {value!r}")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise UserError(f"{where}: {key}: expected a list, got {type(value).__name__}")
    return value
