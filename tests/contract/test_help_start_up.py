"""`gwpipelines --help` lists the commands without importing them (issue 16): the same text as click's own list,
and no command module (nor boto3, pydantic, PyGithub) loaded."""

from __future__ import annotations

import subprocess
import sys

import click

from gwpipelines import cli
from testing.cli import run


def test_help_lists_the_commands_exactly_as_click_does() -> None:
    ours = run("--help")
    assert ours.code == 0, ours.err
    ctx = click.Context(cli.cli, info_name="gwpipelines")
    formatter = ctx.make_formatter()
    click.Group.format_commands(cli.cli, ctx, formatter)  # click's way: every command imported
    assert formatter.getvalue() and formatter.getvalue() in ours.out


def test_help_imports_no_command_module() -> None:
    probe = (
        "import sys\nfrom gwpipelines.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('gwpipelines.commands.')"
        " and m != 'gwpipelines.commands._help' or m.split('.')[0] in ('boto3', 'botocore', 'pydantic', 'github')]\n"
        "print('LOADED:' + ','.join(sorted(loaded)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "LOADED:", out.splitlines()[-1]


def test_help_of_one_command_still_works() -> None:
    res = run("units", "--help")
    assert res.code == 0 and "--reading" in res.out
