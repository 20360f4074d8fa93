"""The stand-in's `terragrunt stack generate` (pkg/config/stack.go is the reference): every terragrunt.stack.hcl in
the working directory or below it (outside hidden folders) is evaluated, and each of its `unit` and `stack` blocks
copies its local source folder to `<stack>/.terragrunt-stack/<path>` (or `<stack>/<path>` with
`no_dot_terragrunt_stack = true`) and writes the block's `values` there as terragrunt.values.hcl; a generated stack
is generated in turn. `enabled = false` skips a block. The expressions a stack file may use here: literals,
`local.NAME`, `values.NAME`, `get_repo_root()` and `get_terragrunt_dir()`, alone or in a template. A remote source
fails: the stand-in has no network (nor does any test)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

STACK_FILE = "terragrunt.stack.hcl"
STACK_DIR = ".terragrunt-stack"
VALUES_FILE = "terragrunt.values.hcl"
_CALL = re.compile(r"\$\{\s*([^}]+?)\s*\}")


def generate(working_dir: Path, root: Path, parse: Callable[[Path], dict[str, Any]], fail: type[Exception]) -> int:
    """Generate every stack in or below `working_dir`; how many units were generated."""
    files = sorted(
        p
        for p in working_dir.rglob(STACK_FILE)
        if not any(part.startswith(".") for part in p.relative_to(working_dir).parts[:-1])
    )
    if not files:
        raise fail(f"ERROR  no {STACK_FILE} found in {working_dir} or below it")
    return sum(_generate(f, root, {}, parse, fail, 0) for f in files)


def _generate(
    stack_file: Path,
    root: Path,
    values: Any,
    parse: Callable[[Path], dict[str, Any]],
    fail: type[Exception],
    depth: int,
) -> int:
    if depth > 16:
        raise fail(f"ERROR  {stack_file}: stacks nested too deep")
    data = parse(stack_file)
    here = stack_file.parent
    local_defs: dict[str, Any] = {}
    for block in data.get("locals", []):
        local_defs.update(block)
    ctx = {"root": root, "here": here, "values": values, "locals": {}}
    ctx["locals"] = {k: _eval(v, ctx, stack_file, fail) for k, v in local_defs.items()}
    count = 0
    for kind in ("unit", "stack"):
        for block in data.get(kind, []):
            for name, body in block.items():
                count += _component(kind, name, body, ctx, stack_file, parse, fail, depth)
    return count


def _component(
    kind: str,
    name: str,
    body: dict[str, Any],
    ctx: dict[str, Any],
    stack_file: Path,
    parse: Callable[[Path], dict[str, Any]],
    fail: type[Exception],
    depth: int,
) -> int:
    if _eval(body.get("enabled", True), ctx, stack_file, fail) in (False, "false"):
        return 0
    here: Path = ctx["here"]
    path = str(_eval(body.get("path", ""), ctx, stack_file, fail))
    source = str(_eval(body.get("source", ""), ctx, stack_file, fail))
    if not path or Path(path).is_absolute():
        raise fail(f"ERROR  {stack_file}: {kind} {name}: path {path!r} must be relative")
    no_dot = _eval(body.get("no_dot_terragrunt_stack", False), ctx, stack_file, fail) in (True, "true")
    base = here if no_dot else here / STACK_DIR
    dest = (base / path).resolve()
    if base.resolve() not in dest.parents:
        raise fail(f"ERROR  {kind} {name} destination path '{dest}' is outside of the stack directory '{base}'")
    src = Path(source) if Path(source).is_absolute() else here / source
    if not src.is_dir():
        raise fail(
            f"ERROR  failed to fetch {kind} {name}: {source}: not a local folder, and the stand-in has no network"
        )
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".terragrunt-cache", STACK_DIR))
    expected = STACK_FILE if kind == "stack" else "terragrunt.hcl"
    if not (dest / expected).is_file():
        raise fail(f"ERROR  {kind} {name}: {source} has no {expected}")
    values = _eval(body.get("values", {}), ctx, stack_file, fail)
    (dest / VALUES_FILE).write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in sorted(dict(values).items())))
    if kind == "stack":
        return _generate(dest / STACK_FILE, ctx["root"], values, parse, fail, depth + 1)
    return 1


def _eval(value: Any, ctx: dict[str, Any], stack_file: Path, fail: type[Exception]) -> Any:
    if isinstance(value, dict):
        return {k: _eval(v, ctx, stack_file, fail) for k, v in value.items()}
    if isinstance(value, list):
        return [_eval(v, ctx, stack_file, fail) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _CALL.fullmatch(value)
    if whole:
        return _term(whole.group(1), ctx, stack_file, fail)
    return _CALL.sub(lambda m: str(_term(m.group(1), ctx, stack_file, fail)), value)


def _term(term: str, ctx: dict[str, Any], stack_file: Path, fail: type[Exception]) -> Any:
    if term == "get_repo_root()":
        return str(ctx["root"])
    if term == "get_terragrunt_dir()":
        return str(ctx["here"])
    for scope in ("local", "values"):
        if term.startswith(scope + "."):
            table = ctx["locals"] if scope == "local" else ctx["values"]
            key = term[len(scope) + 1 :]
            if not isinstance(table, dict) or key not in table:
                raise fail(
                    f'ERROR  {stack_file}: Unsupported attribute; This object does not have an attribute named "{key}".'
                )
            return table[key]
    raise fail(f"ERROR  {stack_file}: the stand-in cannot evaluate ${{{term}}}")
