"""What the client hands back: small frozen values made from PyGithub's objects, and the reading of an artifact's zip
(pure; `client` does the requests)."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gwpipelines.errors import ArtifactError

# results.json holds trimmed logs: far below this; a bigger file is not what the executor writes.
MAX_ARTIFACT_FILE = 64 * 1024 * 1024


@dataclass(frozen=True)
class Run:
    id: int
    html_url: str
    status: str  # queued | in_progress | completed | ...
    conclusion: str | None  # success | failure | cancelled | timed_out | ... once completed
    display_title: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    html_url: str
    author: str = ""  # the login that wrote it: only our own login's comments are ever edited


@dataclass(frozen=True)
class IssueRef:
    number: int
    title: str
    body: str
    html_url: str
    state: str
    author: str = ""


@dataclass(frozen=True)
class PullRef:
    number: int
    html_url: str
    merged: bool


def run_of(run: Any) -> Run:
    created = run.created_at
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Run(int(run.id), str(run.html_url), str(run.status), run.conclusion, str(run.display_title), created)


def zip_member(data: bytes, member: str, what: str) -> bytes | None:
    """One file of a zip the run uploaded: anything wrong with it (truncated, not a zip, a bomb) is the artifact's
    problem, reported for the run's jobs, never a crash."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if member not in z.namelist():
                return None
            if z.getinfo(member).file_size > MAX_ARTIFACT_FILE:
                raise ArtifactError(f"{member} in {what} is over {MAX_ARTIFACT_FILE} bytes; not read")
            return z.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as e:
        raise ArtifactError(f"{what} is not a readable zip ({type(e).__name__}: {e})") from e


def login_of(x: Any) -> str:
    user = x.user
    return str(user.login) if user is not None else ""


def comment_of(c: Any) -> Comment:
    return Comment(int(c.id), str(c.body or ""), str(c.html_url), login_of(c))


def issue_of(i: Any) -> IssueRef:
    return IssueRef(int(i.number), str(i.title), str(i.body or ""), str(i.html_url), str(i.state), login_of(i))
