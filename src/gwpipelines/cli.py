"""The `gwpipelines` command: a click group, and the one place that turns errors into exit codes.

Exit codes (DESIGN.md): 0 success; 1 a job or run failed; 2 bad input, one line naming what and where;
3 an unexpected error (a bug), with the traceback saved to a file; 130 on Ctrl-C.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from gwpipelines import __version__
from gwpipelines.errors import GwError, ParseError, UserError


def _command_modules() -> tuple[str, ...]:
    """Every public module of `gwpipelines.commands` is one subcommand (`dry_run` -> `dry-run`): adding a command
    is adding a module, with no list to keep in step."""
    import pkgutil

    from gwpipelines import commands

    return tuple(sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")))


COMMAND_MODULES = _command_modules()


class _LazyGroup(click.Group):
    """Imports a subcommand's module only when it runs (or for --help): `orchestrate` never pays for boto3."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name.replace("_", "-") for name in COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = cmd_name.replace("-", "_")
        if module_name not in COMMAND_MODULES:
            return None
        module = importlib.import_module(f"gwpipelines.commands.{module_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's list of commands, each with its one-line help, read from its module's source rather than
        imported (see commands._help); a command declared another way is imported, as click would."""
        from gwpipelines.commands._help import command_help

        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            text = command_help(name.replace("-", "_"))
            if text is not None:  # a stand-in with the same help gives the same line
                rows.append((name, click.Command(name, help=text).get_short_help_str(limit)))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gwpipelines")
def cli() -> None:
    """Pipelines for Terragrunt: plan pull requests, apply main, report in one comment."""


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="gwpipelines", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        click.echo(f"gwpipelines: error: {_one_line(e.format_message())}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except GwError as e:
        if e.exit_code == 3:
            _bug(e)
        click.echo(f"gwpipelines: error: {_one_line(str(e))}", err=True)
        _annotate(e)
        sys.exit(e.exit_code)
    except BrokenPipeError:
        # A reader like `head` closed stdout early; not our failure.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as e:  # the last resort: everything unexpected is a bug
        _bug(e)
    sys.exit(0)


def _annotate(e: GwError) -> None:
    """Inside Actions, bad input is also an error annotation, on the file and line when known (a parse error), so
    it shows on the pull request's diff rather than only inside a folded log group."""
    from gwpipelines.github import actions

    if isinstance(e, UserError) and actions.Runner.from_mapping(os.environ).in_actions:
        path, line = (e.path, e.line) if isinstance(e, ParseError) else (None, None)
        actions.error(f"gwpipelines: {_one_line(str(e))}", file=path, line=line, stream=sys.stderr)


def _bug(e: BaseException) -> None:
    import tempfile  # only on this rare path: its import (shutil, random) is a tenth of a warm orchestrate's start-up
    import traceback

    fd, path = tempfile.mkstemp(prefix="gwpipelines-crash-", suffix=".log")
    with os.fdopen(fd, "w") as f:
        f.write(traceback.format_exc())
    click.echo(
        f"gwpipelines: internal error (this is a bug, please report it): {type(e).__name__}: {_one_line(str(e))}; "
        f"traceback saved to {path}",
        err=True,
    )
    sys.exit(3)
