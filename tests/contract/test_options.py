"""Every command takes `--repo DIR` (default `.`) and `--format text|json`, checked on the click commands themselves
so that a command added later is held to the same contract. Defaults: text, except `execute`, `dispatch` and
`shard`, whose contract lines print JSON, and `trust-policy`, whose output is a JSON document in every format."""

from __future__ import annotations

import click
import pytest

from gwpipelines.cli import cli
from testing.cli import run

JSON_BY_DEFAULT = {"execute", "dispatch", "trust-policy", "shard"}
MORE_FORMATS = {"orchestrate": {"matrix"}, "graph": {"dot", "mermaid"}}


def leaf_commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    out: dict[str, click.Command] = {}
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            out.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        else:
            out[name] = command
    return out


COMMANDS = leaf_commands()


def option(command: click.Command, flag: str) -> click.Option:
    found = [p for p in command.params if isinstance(p, click.Option) and flag in p.opts]
    assert found, f"no {flag}"
    return found[0]


def test_every_command_of_the_design_is_there() -> None:
    design = {"units", "graph", "orchestrate", "dry-run", "execute", "dispatch", "run", "init"}
    design |= {"config validate", "config schema"}
    assert design <= set(COMMANDS), sorted(design - set(COMMANDS))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_repo_option_defaults_to_the_current_directory(name: str) -> None:
    assert option(COMMANDS[name], "--repo").default == "."


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_format_option_offers_text_and_json(name: str) -> None:
    fmt = option(COMMANDS[name], "--format")
    assert isinstance(fmt.type, click.Choice)
    assert set(fmt.type.choices) == {"text", "json"} | MORE_FORMATS.get(name, set())
    assert fmt.default == ("json" if name in JSON_BY_DEFAULT else "text")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_names_repo_and_format(name: str) -> None:
    res = run(*name.split(), "--help")
    assert res.code == 0, res.err
    assert "--repo" in res.out and "--format" in res.out


def test_an_unknown_format_is_bad_input_on_one_line() -> None:
    res = run("units", "--format", "yaml")
    assert res.code == 2 and res.out == "" and len(res.err.splitlines()) == 1 and "--format" in res.err
