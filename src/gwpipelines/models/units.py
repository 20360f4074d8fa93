"""Unit paths and their config file: shared by the orchestrator, which finds units, and the executor's gate, which
checks the units it is given (a light module: the gate must not load the HCL analysis to know a file name)."""

from __future__ import annotations

CONFIG_NAME = "terragrunt.hcl"


def unit_name(config_file: str) -> str:
    """The unit of a config file (a clean relative path): its folder, "." for the repository root."""
    return config_file[: max(config_file.rfind("/"), 0)] or "."


def unit_config(unit: str) -> str:
    """The config file of a unit path ("." is the repository root)."""
    return CONFIG_NAME if unit == "." else f"{unit}/{CONFIG_NAME}"
