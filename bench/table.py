"""The benchmark's one table: each row a figure with, where the issue sets one, its floor, ratio and target."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    size: str  # the repository size (units), or the workload
    metric: str
    value: str
    floor: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "ok", "MISSED", "not measured"


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def check(value: float, limit: float) -> str:
    return "ok" if value <= limit else "MISSED"


def timed(size: str, metric: str, value: float, limit: float | None = None) -> Row:
    """A wall time, against an absolute limit when the issue sets one."""
    if limit is None:
        return Row(size, metric, seconds(value))
    return Row(size, metric, seconds(value), target=f"<= {limit:g} s", verdict=check(value, limit))


def against(size: str, metric: str, value: float, floor: float, limit: float | None, floor_name: str = "") -> Row:
    """A wall time with its ratio to a floor measured in the same run (`limit`: the ratio the issue allows)."""
    ratio = value / max(floor, 1e-6)
    label = f"{seconds(floor)}{' ' + floor_name if floor_name else ''}"
    if limit is None:
        return Row(size, metric, seconds(value), label, f"{ratio:.2f}x")
    return Row(size, metric, seconds(value), label, f"{ratio:.2f}x", f"<= {limit:g}x", check(ratio, limit))


def render(rows: list[Row]) -> str:
    header = Row("size", "metric", "value (median)", "floor", "ratio", "target", "")
    table = [header, *rows]
    cells = [[r.size, r.metric, r.value, r.floor, r.ratio, r.target, r.verdict] for r in table]
    widths = [max(len(c[i]) for c in cells) for i in range(7)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)
