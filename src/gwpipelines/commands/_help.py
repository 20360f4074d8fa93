"""The help text of a subcommand read from its module's source, without importing it: `gwpipelines --help` lists
every command, and importing them all (boto3, pydantic, PyGithub) took half a second."""

from __future__ import annotations

import ast
import importlib.util


def command_help(module_name: str) -> str | None:
    """The docstring click takes as the help of `command` in `gwpipelines.commands.<module_name>`, when it is
    plainly declared (`@click.command("name")` or `@click.group("name")` on a function `command`, with no
    keyword that changes how it is listed); None otherwise: the caller then imports the module."""
    spec = importlib.util.find_spec(f"gwpipelines.commands.{module_name}")
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    try:
        with open(spec.origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "command" and _plain_command(node):
            return ast.get_docstring(node, clean=False)
    return None


def _plain_command(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and isinstance(decorator.func.value, ast.Name)
            and decorator.func.value.id == "click"
            and decorator.func.attr in ("command", "group")
        ):
            return not decorator.keywords and len(decorator.args) <= 1
    return False
