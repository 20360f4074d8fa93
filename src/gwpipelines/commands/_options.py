"""Options every command shares, and the one way commands print JSON."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gwpipelines.models import jsontext

F = TypeVar("F", bound=Callable[..., Any])


def repo_option(f: F) -> F:
    return click.option(
        "--repo",
        "repo",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        help="The live repository's checkout.",
    )(f)


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=default,
            show_default=True,
            help="Output format; JSON goes to stdout, progress to stderr.",
        )(f)

    return decorate


# An OWNER/NAME repository, as GitHub spells one.
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def log(message: str) -> None:
    """A progress line for people: stderr, prefixed, so that stdout stays the JSON."""
    click.echo(f"gwpipelines: {message}", err=True)


def emit_json(value: Any) -> None:
    # json.dumps(value, indent=2) to the byte, in a third of the time, written in one piece (see jsontext).
    sys.stdout.write(jsontext.dumps(value) + "\n")
