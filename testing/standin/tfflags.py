"""The flags OpenTofu's commands accept (1.8, `tofu <command> -help`), parsed the way Go's flag package parses
them: `-name` or `--name`; a value as `-name=value` or `-name value`; booleans as `-name` or `-name=true|false`;
parsing stops at the first argument that is not a flag, or after `--`. A flag a command does not define fails as the
real tool fails, so a typo in a command line the executor builds fails its tests too."""

from __future__ import annotations

_COMMON_BOOL = {"no-color", "input", "lock", "compact-warnings", "json", "concise"}
_VARS = {"var", "var-file", "lock-timeout", "parallelism", "target", "exclude", "replace", "state"}
BOOL: dict[str, set[str]] = {
    "plan": _COMMON_BOOL | {"destroy", "refresh-only", "detailed-exitcode", "refresh"},
    "apply": _COMMON_BOOL | {"auto-approve", "destroy", "refresh-only", "refresh"},
    "destroy": _COMMON_BOOL | {"auto-approve", "refresh-only", "refresh"},
    "show": {"no-color", "json", "show-sensitive"},
    "output": {"no-color", "json", "raw", "show-sensitive"},
    "init": {
        "no-color",
        "input",
        "lock",
        "json",
        "upgrade",
        "reconfigure",
        "migrate-state",
        "force-copy",
        "get",
        "backend",
    },
    "version": {"json"},
}
VALUED: dict[str, set[str]] = {
    "plan": _VARS | {"out", "generate-config-out"},
    "apply": _VARS | {"backup", "state-out"},
    "destroy": _VARS | {"backup", "state-out"},
    "show": set(),
    "output": {"state"},
    "init": {
        "backend-config",
        "from-module",
        "plugin-dir",
        "lockfile",
        "lock-timeout",
        "var",
        "var-file",
        "test-directory",
    },
    "version": set(),
}


class FlagError(Exception):
    """What the real tool prints for a flag it does not define (it exits 1)."""


def check(command: str, args: list[str]) -> list[str]:
    """The positional arguments of `command ARGS`, once every flag before them is one `command` defines."""
    if command not in BOOL:
        return args
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1 :]
        if not arg.startswith("-") or arg == "-":
            return args[i:]
        name, has_value, value = arg.lstrip("-").partition("=")
        if name in BOOL[command]:
            if has_value and value not in ("true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"):
                raise FlagError(f'invalid boolean value "{value}" for -{name}: parse error')
            i += 1
        elif name in VALUED[command]:
            if not has_value:
                if i + 1 >= len(args):
                    raise FlagError(f"flag needs an argument: -{name}")
                i += 1
            i += 1
        else:
            raise FlagError(f"flag provided but not defined: -{name}")
    return []
