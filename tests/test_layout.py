"""The package's shape, checked from its source (issue 11): one room per component, imports only down the layers,
no import cycle, no module over ~400 lines, and only `gwpipelines.github` reads the Actions environment."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "gwpipelines"

# Lowest first. A module may import from its own room or from a lower layer, never from a peer or a higher one.
LAYERS: list[set[str]] = [
    {"errors", "__init__"},
    {"models", "markdown"},
    {"safe_yaml"},
    {"git", "accounts", "templating", "trust_policy", "unit_globs", "release", "state_policy", "shards"},
    {"github"},
    {"extensions"},
    {"config"},
    {"orchestrator", "schemas"},
    {"executor", "dispatcher"},
    {"commands", "github.action"},
    {"cli"},
    {"__main__"},
]
MAX_LINES = 440  # "no module over ~400 lines"
_ENVIRONMENT_NAME = re.compile(r"(GITHUB|RUNNER|ACTIONS)_[A-Z_]+")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _room(module: str) -> str:
    """The room a module belongs to: `github.action` is the composite action's edge, else the first segment."""
    if module == "github.action" or module.startswith("github.action."):
        return "github.action"
    return module.split(".", 1)[0]


def _layer(module: str) -> int:
    room = _room(module)
    for i, rooms in enumerate(LAYERS):
        if room in rooms:
            return i
    raise AssertionError(f"{module}: its room {room!r} has no layer; add it to LAYERS")


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported gwpipelines module, line, at module level?) for every import in `module`."""
    tree = ast.parse(MODULES[module].read_text())
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from a.b import c` imports the module a.b.c when there is one, else names from a.b
            names = [
                f"{node.module}.{a.name}"
                if f"{node.module}.{a.name}".removeprefix("gwpipelines.") in MODULES
                else node.module
                for a in node.names
            ]
        for name in names:
            if name == "gwpipelines" or not name.startswith("gwpipelines."):
                continue
            target = name.removeprefix("gwpipelines.")
            if target in MODULES:
                out.append((target, node.lineno, id(node) in top))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_down_the_layers(module: str) -> None:
    for target, line, _ in _imports(module):
        if _room(target) == _room(module):
            continue
        assert _layer(target) < _layer(module), (
            f"{MODULES[module].relative_to(PACKAGE)}:{line} imports gwpipelines.{target}, a peer or a higher layer"
        )


def test_no_import_cycles() -> None:
    graph = {m: {t for t, _, top in _imports(m) if top and t != m} for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_400_lines(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE)} has {lines} lines: split it"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m) not in ("github", "github.action")))
def test_only_the_github_package_reads_the_actions_environment(module: str) -> None:
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not _ENVIRONMENT_NAME.fullmatch(node.value), (
                f"{MODULES[module].relative_to(PACKAGE)}:{node.lineno} names ${node.value}: read it through "
                "gwpipelines.github's runner environment"
            )


def test_the_three_components_have_one_door_each() -> None:
    from gwpipelines.dispatcher import Dispatcher
    from gwpipelines.executor import execute
    from gwpipelines.orchestrator import orchestrate

    assert callable(orchestrate) and callable(execute) and callable(Dispatcher.run)
