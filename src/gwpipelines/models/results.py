"""Per-job outcomes: what the executor publishes (`execute` JSON, the `gwpipelines-results` artifact) and what
the reporter renders. The overall status and exit code are derived from these, never set on the side."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PlanSummary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0

    def to_json(self) -> dict[str, int]:
        return {"add": self.add, "change": self.change, "destroy": self.destroy, "replace": self.replace}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PlanSummary:
        data = data or {}
        return cls(**{k: int(data.get(k, 0)) for k in ("add", "change", "destroy", "replace")})


@dataclass(frozen=True)
class JobResult:
    id: str
    unit: str | None
    action: str
    status: Status
    summary: PlanSummary = field(default_factory=PlanSummary)
    outputs: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    seconds: float = 0.0
    # An expected, user-facing reason (e.g. "skipped: dependency apply:a failed"); empty on success.
    failure: str = ""
    # What the plan destroys or replaces, one "<sign> <address>" each (`-`, `-/+`, `+/-`), for the comment's danger
    # list; like `failure`, in the JSON only when there is something (the execute contract's keys stay as they were).
    resources: tuple[str, ...] = ()
    # Each extension instance's outputs under its own name; `outputs` keeps the merged view of the execute contract.
    outputs_by_instance: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "unit": self.unit,
            "action": self.action,
            "status": str(self.status),
            "summary": self.summary.to_json(),
            "outputs": self.outputs,
            "log": self.log,
            "seconds": round(self.seconds, 3),
        }
        if self.failure:
            data["failure"] = self.failure
        if self.resources:
            data["resources"] = list(self.resources)
        if self.outputs_by_instance:
            data["outputs_by_instance"] = self.outputs_by_instance
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobResult:
        return cls(
            id=str(data["id"]),
            unit=data.get("unit"),
            action=str(data["action"]),
            status=Status(data["status"]),
            summary=PlanSummary.from_json(data.get("summary")),
            outputs=dict(data.get("outputs") or {}),
            log=str(data.get("log") or ""),
            seconds=float(data.get("seconds") or 0.0),
            failure=str(data.get("failure") or ""),
            resources=tuple(str(r) for r in data.get("resources") or ()),
            outputs_by_instance={str(k): dict(v) for k, v in (data.get("outputs_by_instance") or {}).items()},
        )
