"""Unit paths and their config file: shared by the orchestrator, which finds units, and the executor's gate, which
checks the units it is given (a light module: the gate must not load the HCL analysis to know a file name)."""

from __future__ import annotations

import posixpath
import re

CONFIG_NAME = "terragrunt.hcl"
STACK_FILE = "terragrunt.stack.hcl"  # a Terragrunt stack: the units it generates are written below it


def unit_name(config_file: str) -> str:
    """The unit of a config file (a clean relative path): its folder, "." for the repository root."""
    return config_file[: max(config_file.rfind("/"), 0)] or "."


def unit_config(unit: str) -> str:
    """The config file of a unit path ("." is the repository root)."""
    return CONFIG_NAME if unit == "." else f"{unit}/{CONFIG_NAME}"


# One rule for unit paths, on both sides: any path the orchestrator accepts gives job ids (`ACTION:UNIT`) the
# executor's gate accepts, so one odd folder name is refused when it is orchestrated, naming its file, instead of
# failing a whole batch of unrelated jobs at execute time.
UNIT_CHARACTERS = "letters A-Z and a-z, digits, '.', '_', '-', '@', '+', '=', with '/' between folders"
# Where `terragrunt stack generate` writes a stack's units: the one hidden folder a unit may be in.
STACK_DIR = ".terragrunt-stack"
MAX_UNIT_LENGTH = 480  # an id is the action, ':' and the unit, at most 512 characters
_PART = re.compile(r"[A-Za-z0-9._@+=-]+")


def unit_path_problem(unit: str) -> str | None:
    """What makes `unit` (a path relative to the repository root, "." for the root) unusable as a unit path, or
    None when it is a good one."""
    if unit == ".":
        return None
    if not unit or len(unit) > MAX_UNIT_LENGTH:
        return f"must be a unit path relative to the repository root, 1 to {MAX_UNIT_LENGTH} characters"
    if unit.startswith("/") or re.match(r"^[A-Za-z]:", unit):
        return f"'{unit}' is absolute; give the unit's path relative to the repository root"
    parts = unit.split("/")
    if ".." in parts:
        return f"'{unit}' contains '..'; a unit must be inside the repository"
    if any(part in ("", ".") for part in parts):
        return f"'{unit}' is not normalised (write '{posixpath.normpath(unit)}')"
    bad = sorted({c for part in parts for c in part if not _PART.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"'{unit}' has characters a unit path cannot have ({shown}); use only {UNIT_CHARACTERS}"
    if any(part.startswith(".") and part != STACK_DIR for part in parts):
        return f"'{unit}' is inside a hidden directory, where no unit can be"
    return None
