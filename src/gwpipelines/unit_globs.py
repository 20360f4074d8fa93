"""Globs over unit paths (the `drift` section's `paths` and `ignore`, `gwpipelines drift --path`), and the check of
its cron `schedule`. Pure; config and the drift command share it, so what is validated is what is matched.

A glob is a unit path with `*` (any characters within one folder name), `?` (one character) and `**` (any number of
folders). A glob matches a unit when it matches the unit's path or one of the folders above it: `prod` and `prod/**`
both cover every unit under `prod/`, and `.` is the root unit only.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*,/-]+$")


def check_glob(glob: str) -> str:
    """The glob, normalised; ValueError (pydantic shows it with the key's path) when it cannot match a unit."""
    text = glob.strip().replace("\\", "/")
    if not text:
        raise ValueError("an empty glob matches nothing; remove it")
    if text.startswith("/") or text == ".." or text.startswith("../") or "/../" in text:
        raise ValueError(f"'{glob}' must be relative to the live repository's root, inside it")
    normal = text if text in (".", "**") else posixpath.normpath(text)
    return normal


def check_cron(expression: str) -> str:
    """GitHub's `schedule.cron`: five fields (minute hour day month weekday), UTC."""
    fields = expression.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"'{expression}' is not a cron expression of five fields (minute hour day-of-month month day-of-week), "
            "e.g. '17 6 * * 1-5'"
        )
    return " ".join(fields)


@functools.lru_cache(maxsize=256)
def _regex(glob: str) -> re.Pattern[str]:
    parts = []
    for segment in glob.split("/"):
        if segment == "**":
            parts.append("(?:[^/]+/)*")
            continue
        body = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment)
        parts.append(body + "/")
    # Every segment ends with '/', and so does the tested path: `a/**` is `a/(?:[^/]+/)*`, matching `a/` itself.
    return re.compile("".join(parts) + r"\Z")


def matches(glob: str, unit: str) -> bool:
    """Whether `glob` covers `unit` (its path, or a folder above it)."""
    if unit == "." or glob == ".":
        return glob in (".", "**") and unit == "."
    pattern = _regex(glob)
    segments = unit.split("/")
    return any(pattern.match("/".join(segments[:i]) + "/") for i in range(1, len(segments) + 1))


def select(units: Iterable[str], paths: Iterable[str], ignore: Iterable[str]) -> list[str]:
    """The sorted units some glob of `paths` covers and no glob of `ignore` does."""
    include, exclude = tuple(paths), tuple(ignore)
    return sorted(u for u in units if any(matches(g, u) for g in include) and not any(matches(g, u) for g in exclude))
