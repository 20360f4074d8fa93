"""The project's whole exception tree. Each class knows its exit code (see DESIGN.md: 0/1/2/3); the modules that
raise them re-export their own, so `from gwpipelines.executor.gate import JobRefused` keeps working.

    Exception
    ├── ExtensionError            an extension could not run: the job fails with this message
    ├── ValueError
    │   └── PlanJSONError         a tool printed something that is not a plan's JSON
    └── GwError (3)               every error gwpipelines raises on purpose
        ├── UserError (2)         bad input: one line saying what and where
        │   ├── ParseError, GitError, JobRefused, ExtensionLoadError, OidcNotConfigured, GitHubAccessError
        ├── RunFailed (1)         a job or run failed; the results were still reported
        │   ├── AccountRequestInvalid, AccountCreationFailed
        ├── CredentialsError (1), OidcError (1), GitHubError (1), CorrelationError (1)
        └── ArtifactError (1)     a run's results artifact cannot be trusted as written
"""

from __future__ import annotations


class GwError(Exception):
    """Base of every error gwpipelines raises on purpose."""

    exit_code = 3


class UserError(GwError):
    """Bad input: usage, configuration, an unparseable file, an unknown ref. One line, says how to fix it."""

    exit_code = 2


class ParseError(UserError):
    """A file that cannot be parsed; the message names the file and line."""

    def __init__(self, path: str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {what}")
        self.path = path
        self.line = line


class GitError(UserError):
    """git refused: unknown ref, not a repository, shallow clone missing a commit."""


class RunFailed(GwError):
    """A job or a run failed; the results were still reported."""

    exit_code = 1


# --- The executor ---------------------------------------------------------------------------------------------------


class JobRefused(UserError):
    """A job failed validation; nothing was run."""


class CredentialsError(GwError):
    """AWS or GitHub refused to hand out credentials for a job: the job fails, the run goes on reporting."""

    exit_code = 1


# --- Extensions -----------------------------------------------------------------------------------------------------


class ExtensionError(Exception):
    """An extension could not run (tool missing, bad directory); the job fails with this message."""


class ExtensionLoadError(UserError):
    """An extension that cannot be used: missing, not importable, not an Extension, or for another core version."""


class PlanJSONError(ValueError):
    """The tool printed something that is not a plan's JSON representation."""


class AccountRequestInvalid(RunFailed):
    """The organization refuses the request as written (a missing OU, an email or name already taken)."""


class AccountCreationFailed(RunFailed):
    """Organizations answered FAILED, or the creation did not finish before the deadline."""


# --- GitHub ---------------------------------------------------------------------------------------------------------


class GitHubError(GwError):
    """GitHub stayed unavailable (5xx, timeouts, rate limits) past the bounded retries; nothing was duplicated."""

    exit_code = 1


class GitHubAccessError(UserError):
    """The token was rejected or lacks a permission: a configuration problem, fixed by the user."""


class OidcError(GwError):
    """The token endpoint did not give us a token."""

    exit_code = 1


class OidcNotConfigured(UserError):
    """The job cannot request a token at all: a workflow configuration problem, not a transient failure."""


class CorrelationError(GwError):
    """Which run a dispatch started cannot be told (two runs carry its correlation id): refused, never guessed."""

    exit_code = 1


class ArtifactError(GwError):
    """A run's `gwpipelines-results` artifact is missing, malformed or not what the run was asked to do: its jobs get
    failed results and the report goes on."""

    exit_code = 1
