"""The GitHub Actions runner, the only place gwpipelines reads `GITHUB_*`, `RUNNER_*` and `ACTIONS_*` (in the spirit
of gidgethub's `actions.py`).

`Runner.from_mapping(os.environ)` is built once at the command-line edge and handed to whatever needs it: the
executor (summary, masks, session names), the dispatcher's commands (API URL, tokens) and the composite action's step
(outputs, summary). The workflow commands (`::add-mask::`, `::group::`, `::error file=,line=::`) are written here and
nowhere else, escaped the way the runner unescapes them (actions/toolkit `command.ts`).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

DEFAULT_API_URL = "https://api.github.com"
# The tokens gwpipelines' commands take from the environment: one that may comment and open issues in the live repo
# (the workflow's GITHUB_TOKEN), one that may dispatch the pipelines workflow.
COMMENT_TOKEN_VAR = "GITHUB_TOKEN"
DISPATCH_TOKEN_VAR = "PIPELINES_DISPATCH_TOKEN"
OIDC_URL_VAR = "ACTIONS_ID_TOKEN_REQUEST_URL"
OIDC_TOKEN_VAR = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
# The runner's and the pipelines' own secrets: tools run for a unit (and any code they run) must never see them.
SECRET_VARIABLES = frozenset(
    {
        OIDC_TOKEN_VAR,
        OIDC_URL_VAR,
        "ACTIONS_RUNTIME_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "PIPELINES_DISPATCH_TOKEN",
    }
)

# Workflow-command files: whoever writes them sets the job's environment, PATH, outputs, state and summary.
WORKFLOW_COMMAND_FILES = ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY")


@dataclass(frozen=True)
class Runner:
    """A frozen view of the runner's environment. Outside Actions every field is empty and `in_actions` False, so
    the same code runs locally and writes no workflow command."""

    in_actions: bool = False
    api_url: str = DEFAULT_API_URL
    server_url: str = "https://github.com"
    repository: str = ""
    workspace: str = ""
    event_name: str = ""
    event_path: str = ""
    actor: str = ""
    ref: str = ""
    run_id: str = ""
    output_file: str = ""
    summary_file: str = ""
    temp: str = ""
    oidc_url: str = ""
    oidc_token: str = field(default="", repr=False)
    # Tokens by variable name (GITHUB_TOKEN, PIPELINES_DISPATCH_TOKEN...), never printed.
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, environ: Mapping[str, str]) -> Runner:
        get = environ.get
        return cls(
            in_actions=get("GITHUB_ACTIONS") == "true",
            api_url=(get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            server_url=(get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            repository=get("GITHUB_REPOSITORY", ""),
            workspace=get("GITHUB_WORKSPACE", ""),
            event_name=get("GITHUB_EVENT_NAME", ""),
            event_path=get("GITHUB_EVENT_PATH", ""),
            actor=get("GITHUB_ACTOR", ""),
            ref=get("GITHUB_REF", ""),
            run_id=get("GITHUB_RUN_ID", ""),
            output_file=get("GITHUB_OUTPUT", ""),
            summary_file=get("GITHUB_STEP_SUMMARY", ""),
            temp=get("RUNNER_TEMP", ""),
            oidc_url=get(OIDC_URL_VAR, ""),
            oidc_token=get(OIDC_TOKEN_VAR, ""),
            tokens={k: get(k, "").strip() for k in SECRET_VARIABLES if get(k, "").strip()},
        )

    def token(self, variable: str) -> str:
        return self.tokens.get(variable, "")

    def set_outputs(self, values: Mapping[str, str]) -> None:
        """Append to `$GITHUB_OUTPUT` with a random heredoc delimiter, so no value can end its own entry early."""
        if not self.output_file:
            return
        with open(self.output_file, "a", encoding="utf-8") as f:
            for name, value in values.items():
                delimiter = f"gwpipelines_{secrets.token_hex(8)}"
                f.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def append_summary(self, markdown: str) -> None:
        """Append to the job summary (`$GITHUB_STEP_SUMMARY`); nothing outside Actions."""
        if self.summary_file and markdown:
            with open(self.summary_file, "a", encoding="utf-8") as f:
                f.write(markdown.rstrip("\n") + "\n\n")


# --- Workflow commands --------------------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", *, stream: TextIO | None = None, **properties: object) -> None:
    """One workflow command line: `::name key=value,...::message`, both parts escaped so that a value (a file name
    from a pull request, a tool's message) can neither end the command nor start another."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v not in (None, ""))
    out = stream or sys.stdout
    out.write(f"::{name}{' ' + props if props else ''}::{escape_data(message)}\n")
    out.flush()


def add_mask(values: Iterable[str], *, stream: TextIO | None = None) -> None:
    """Ask the runner to mask each value in every later log line. A multi-line value is masked line by line (the
    runner masks per line). Callers outside Actions must not call this: the command would only echo the value."""
    out = stream or sys.stdout
    for value in values:
        for line in value.splitlines():
            if line.strip():
                out.write(f"::add-mask::{line}\n")
    out.flush()


def error(message: str, *, file: str | None = None, line: int | None = None, stream: TextIO | None = None) -> None:
    """An error annotation, on `file` and `line` when known (shown on the pull request's diff)."""
    command("error", message, stream=stream, file=file, line=line)


def untrusted_group(title: str, lines: Iterable[str], *, stream: TextIO | None = None) -> None:
    """A folded section holding output a tool printed (pull-request code may have written it): workflow commands
    are stopped around it with a random token, so no line in it can set an output, add a mask or end the group."""
    out = stream or sys.stdout
    token = f"gwpipelines-{secrets.token_hex(16)}"
    with group(title, stream=out):
        out.write(f"::stop-commands::{token}\n")
        for line in lines:
            out.write(line if line.endswith("\n") else line + "\n")
        out.write(f"::{token}::\n")
        out.flush()


@contextmanager
def group(title: str, *, stream: TextIO | None = None) -> Iterator[None]:
    """A folded section of the log. Nested groups are not supported by the runner: callers keep them flat."""
    out = stream or sys.stdout
    out.write(f"::group::{escape_data(title)}\n")
    out.flush()
    try:
        yield
    finally:
        out.write("::endgroup::\n")
        out.flush()
