"""The values the orchestrator hands to everything downstream, and their JSON shapes (DESIGN.md contracts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ChangeType(StrEnum):
    MODULE_ADDED = "ModuleAdded"
    MODULE_CHANGED = "ModuleChanged"
    MODULE_DELETED = "ModuleDeleted"
    MODULE_MOVED = "ModuleMoved"
    ENV_COMMON_CHANGED = "EnvCommonChanged"
    HCL_CHANGED = "HCLChanged"
    FILE_CHANGED = "FileChanged"
    STACK_CHANGED = "StackChanged"
    DEPENDENCY_CHANGED = "DependencyChanged"
    ACCOUNT_ADDED = "AccountAdded"
    ACCOUNT_CHANGED = "AccountChanged"
    ACCOUNT_DELETED = "AccountDeleted"


class Action(StrEnum):
    PLAN = "plan"
    PLAN_DESTROY = "plan-destroy"
    APPLY = "apply"
    DESTROY = "destroy"
    ACCOUNT_PLAN = "account-plan"
    ACCOUNT_CREATE = "account-create"


# The actions that change infrastructure: only for commits on the default branch, only with the apply role.
MUTATING_ACTIONS = frozenset({Action.APPLY, Action.DESTROY, Action.ACCOUNT_CREATE})


class Event(StrEnum):
    PULL_REQUEST = "pull_request"
    PUSH = "push"


@dataclass(frozen=True)
class Change:
    type: ChangeType
    unit: str | None
    account: str | None
    files: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": str(self.type), "unit": self.unit, "account": self.account, "files": list(self.files)}


@dataclass(frozen=True)
class Job:
    id: str
    unit: str | None
    action: Action
    ref: str
    account: str | None
    change_types: tuple[ChangeType, ...]
    wave: int = 0
    needs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit": self.unit,
            "action": str(self.action),
            "ref": self.ref,
            "account": self.account,
            "change_types": [str(t) for t in self.change_types],
            "wave": self.wave,
            "needs": list(self.needs),
        }


@dataclass(frozen=True)
class Orchestration:
    """What `gwpipelines orchestrate` prints: changes, ignored files, warnings and ordered jobs."""

    base: str
    head: str
    event: Event
    changes: tuple[Change, ...]
    ignored: tuple[str, ...]
    warnings: tuple[str, ...]
    jobs: tuple[Job, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "event": str(self.event),
            "changes": [c.to_json() for c in self.changes],
            "ignored": list(self.ignored),
            "warnings": list(self.warnings),
            "jobs": [j.to_json() for j in self.jobs],
        }
