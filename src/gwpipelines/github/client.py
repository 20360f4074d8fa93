"""The one place gwpipelines talks to the GitHub REST API (PyGithub), and the rules for when a call is repeated.

PyGithub's own retry (`GithubRetry`) repeats POST on 5xx and sleeps a whole `Retry-After`; both are switched off
here (`retry=None`) and replaced by `_call`:

- a refused request (403/429 rate limit) is repeated after `Retry-After` / `X-RateLimit-Reset`, capped at
  `RetryPolicy.max_wait`, because GitHub did not act on it;
- a GET or an idempotent PATCH is repeated after a 5xx or a timeout, with exponential backoff;
- a POST (dispatch, new comment, new issue) that may have taken effect (5xx, timeout) is never repeated blindly:
  its `reconcile` callback looks for the side effect first (after a timeout, once the request had as long again
  to finish) and returns it if it happened;
- every operation has a deadline; past it, or after `attempts`, one `GitHubError` says what failed.

Every other failure is mapped to an exception naming what to fix (the permission the token lacks, the bad token).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.Artifact import Artifact
from github.PaginatedList import PaginatedList
from github.WorkflowJob import WorkflowJob

from gwpipelines.errors import GitHubAccessError as GitHubAccessError
from gwpipelines.errors import GitHubError as GitHubError
from gwpipelines.errors import GwError, UserError
from gwpipelines.github import correlation
from gwpipelines.github.actions import DEFAULT_API_URL as DEFAULT_API_URL
from gwpipelines.github.actions import Runner
from gwpipelines.github.resources import Comment as Comment
from gwpipelines.github.resources import IssueRef as IssueRef
from gwpipelines.github.resources import PullRef as PullRef
from gwpipelines.github.resources import Run as Run
from gwpipelines.github.resources import comment_of, issue_of, login_of, run_of, zip_member

T = TypeVar("T")
RUN_NAME_PREFIX = "gwpipelines "
# The login of comments written with an installation token (`GITHUB_TOKEN`), which `GET /user` refuses.
ACTIONS_BOT_LOGIN = "github-actions[bot]"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff: float = 1.0  # first wait after a 5xx or a timeout; doubles each time
    max_wait: float = 60.0  # cap on any single wait, including Retry-After and rate-limit resets
    deadline: float = 300.0  # seconds an operation may take, retries included


class GitHub:
    """A client for one token. `token_env` names where the token came from, for error messages."""

    def __init__(
        self,
        auth: Auth.Auth,
        *,
        api_url: str = DEFAULT_API_URL,
        token_env: str = "GITHUB_TOKEN",
        timeout: float = 30.0,
        throttle: bool = True,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        bot_login: str = ACTIONS_BOT_LOGIN,
    ) -> None:
        # Throttling spaces writes out (GitHub's guidance against secondary limits); tests turn it off.
        self._gh = Github(
            auth=auth,
            base_url=api_url.rstrip("/"),
            timeout=int(max(1, timeout)),
            retry=None,
            lazy=True,
            seconds_between_requests=0.25 if throttle else None,
            seconds_between_writes=1.0 if throttle else None,
        )
        self.token_env = token_env
        self._timeout = timeout
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self.bot_login = bot_login
        self._login: str | None = None
        # A completed run's artifacts, listed once for all its files (a fanned-out run has one per leg).
        self._artifacts: dict[tuple[str, int], list[Artifact]] = {}

    # --- Actions: dispatch, runs, jobs, artifacts -------------------------------------------------------------

    def dispatch(self, repo: str, workflow: str, ref: str, inputs: dict[str, str]) -> Run | None:
        """POST a workflow_dispatch. The run from GitHub's 200 answer, or None when it answered 204 (older
        servers): the caller then finds the run by its run-name. Repeated only when no run carries the
        correlation id, so one dispatch never becomes two runs."""
        cid = inputs["correlation_id"]
        title = RUN_NAME_PREFIX + cid
        since = datetime.now(UTC)

        def post() -> Run | None:
            answer = (
                self._gh.get_repo(repo)
                .get_workflow(workflow)
                .create_dispatch(ref, inputs, throw=True, return_run_details=True)
            )
            if isinstance(answer, bool):
                return None
            return Run(answer.id, answer.html_url, "queued", None, title)

        what = f"dispatching workflow {workflow} in {repo}"
        return self._call(
            what,
            post,
            idempotent=False,
            permission=f"actions: write on {repo}",
            reconcile=lambda: self.find_run(repo, workflow, cid, since),
        )

    def find_run(self, repo: str, workflow: str, correlation_id: str, since: datetime) -> Run | None:
        """The run a dispatch made at `since` started (see `correlation`); None while it has not appeared."""

        def look() -> Run | None:
            created = f">={(since - correlation.CLOCK_MARGIN).strftime('%Y-%m-%dT%H:%M:%SZ')}"
            runs = self._gh.get_repo(repo).get_workflow(workflow).get_runs(event="workflow_dispatch", created=created)
            listed = [run_of(run) for run in itertools.islice(runs, 100)]  # ours was dispatched moments ago
            rows = [(r.id, r.display_title, r.created_at, r.html_url) for r in listed if r.created_at is not None]
            found = correlation.pick(rows, correlation_id, since)
            return next((r for r in listed if r.id == found), None)

        return self._call(f"listing runs of {workflow} in {repo}", look, permission=f"actions: read on {repo}")

    def get_run(self, repo: str, run_id: int) -> Run:
        return self._call(
            f"reading run {run_id} in {repo}",
            lambda: run_of(self._gh.get_repo(repo).get_workflow_run(run_id)),
            permission=f"actions: read on {repo}",
        )

    def failing_step_url(self, repo: str, run_id: int) -> str | None:
        """A deep link to the first failed step of a run (`<job url>#step:<n>:1`), else to the failed job."""

        def look() -> str | None:
            for job in self._run_list(repo, run_id, "jobs", WorkflowJob, "jobs"):
                if job.conclusion not in ("failure", "timed_out", "cancelled"):
                    continue
                for step in job.steps:
                    if step.conclusion == "failure":
                        return f"{job.html_url}#step:{step.number}:1"
                return str(job.html_url)
            return None

        return self._call(f"listing jobs of run {run_id} in {repo}", look, permission=f"actions: read on {repo}")

    def artifact_file(self, repo: str, run_id: int, artifact: str, member: str) -> bytes | None:
        """One file from a run's artifact zip; None if the run uploaded no such artifact or file."""

        def download() -> bytes | None:
            for art in self._artifact_list(repo, run_id):
                if art.name != artifact or art.expired:
                    continue
                _, _, chunks = self._gh.requester.getStream(art.archive_download_url, chunk_size=65_536)
                return zip_member(b"".join(chunks), member, f"artifact {artifact} of run {run_id}")
            return None

        return self._call(
            f"downloading artifact {artifact} of run {run_id} in {repo}",
            download,
            permission=f"actions: read on {repo}",
        )

    def _artifact_list(self, repo: str, run_id: int) -> list[Artifact]:
        """Only asked of completed runs, whose artifacts no longer change; the newest few runs are remembered."""
        key = (repo, run_id)
        if key not in self._artifacts:
            listed = list(self._run_list(repo, run_id, "artifacts", Artifact, "artifacts"))
            if len(self._artifacts) >= 16:
                del self._artifacts[next(iter(self._artifacts))]
            self._artifacts[key] = listed
        return self._artifacts[key]

    def _run_list(self, repo: str, run_id: int, what: str, cls: Any, item: str) -> Any:
        """A run's jobs or artifacts, listed from their URL: PyGithub's `get_workflow_run(id).jobs()` would first
        GET the run itself just to learn that URL (a request per completed run for nothing)."""
        url = f"{self._gh.get_repo(repo).url}/actions/runs/{run_id}/{what}"
        return PaginatedList(cls, self._gh.requester, url, None, list_item=item)

    # --- Who we are -------------------------------------------------------------------------------------------

    def login(self) -> str:
        """The login this token writes as: `GET /user` for a user's token; an installation token (GITHUB_TOKEN, a
        GitHub App's) is refused there, and writes as `bot_login` (github-actions[bot] unless told otherwise)."""
        if self._login is None:

            def who() -> str:
                try:
                    return str(self._gh.get_user().login)
                except GithubException as e:
                    if e.status == 403 and "integration" in _message(e).lower():
                        return self.bot_login
                    raise

            self._login = self._call("reading the token's own login (GET /user)", who, permission="a valid token")
        return self._login

    # --- Issues, comments, pull requests ----------------------------------------------------------------------

    def comments(self, repo: str, number: int) -> list[Comment]:
        def list_all() -> list[Comment]:
            return [comment_of(c) for c in self._gh.get_repo(repo).get_issue(number).get_comments()]

        return self._call(
            f"listing comments on #{number} in {repo}", list_all, permission=f"pull-requests: read on {repo}"
        )

    def create_comment(self, repo: str, number: int, body: str, *, is_ours: Callable[[Comment], bool]) -> Comment:
        """A new comment. After an unclear failure, a comment matching `is_ours` (e.g. holding our marker and not
        known before) counts as created, so the comment is never posted twice."""

        def reconcile() -> Comment | None:
            return next((c for c in self.comments(repo, number) if is_ours(c)), None)

        return self._call(
            f"commenting on #{number} in {repo}",
            lambda: comment_of(self._gh.get_repo(repo).get_issue(number).create_comment(body)),
            idempotent=False,
            permission=f"pull-requests: write (or issues: write) on {repo}",
            reconcile=reconcile,
        )

    def edit_comment(self, repo: str, comment_id: int, body: str) -> None:
        def edit() -> None:
            self._gh.get_repo(repo).get_issue(0).get_comment(comment_id).edit(body)

        # Setting the same body twice is harmless: PATCH is repeated like a GET.
        self._call(f"updating comment {comment_id} in {repo}", edit, permission=f"pull-requests: write on {repo}")

    def issues_with(self, repo: str, marker_prefix: str) -> list[IssueRef]:
        """Our own issues (open or closed, newest first, opened by this token's login) whose body holds
        `marker_prefix`; pull requests are skipped. Anyone can open an issue holding our marker: theirs are ignored."""
        me = self.login()

        def look() -> list[IssueRef]:
            found = []
            for issue in self._gh.get_repo(repo).get_issues(state="all", sort="created", direction="desc"):
                if issue.pull_request is None and marker_prefix in (issue.body or "") and login_of(issue) == me:
                    found.append(issue_of(issue))
            return found

        return self._call(f"listing issues in {repo}", look, permission=f"issues: read on {repo}")

    def find_issue(self, repo: str, marker: str) -> IssueRef | None:
        return next(iter(self.issues_with(repo, marker)), None)

    def create_issue(self, repo: str, title: str, body: str, *, marker: str) -> IssueRef:
        return self._call(
            f"opening an issue in {repo}",
            lambda: issue_of(self._gh.get_repo(repo).create_issue(title=title, body=body)),
            idempotent=False,
            permission=f"issues: write on {repo}",
            reconcile=lambda: self.find_issue(repo, marker),
        )

    def edit_issue(self, repo: str, number: int, *, title: str, body: str, state: str = "open") -> IssueRef:
        def edit() -> IssueRef:
            issue = self._gh.get_repo(repo).get_issue(number)
            issue.edit(title=title, body=body, state=state)
            return issue_of(issue)

        return self._call(f"updating issue #{number} in {repo}", edit, permission=f"issues: write on {repo}")

    def pulls_for_commit(self, repo: str, sha: str) -> list[PullRef]:
        def look() -> list[PullRef]:
            return [
                PullRef(p.number, p.html_url, bool(p.merged_at))
                for p in self._gh.get_repo(repo).get_commit(sha).get_pulls()
            ]

        return self._call(
            f"listing pull requests of commit {sha[:12]} in {repo}", look, permission=f"pull-requests: read on {repo}"
        )

    # --- The retry rules --------------------------------------------------------------------------------------

    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        permission: str,
        idempotent: bool = True,
        reconcile: Callable[[], T | None] | None = None,
    ) -> T:
        deadline = self._clock() + self.policy.deadline
        backoff = self.policy.backoff
        problem = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return fn()
            except GithubException as e:
                wait = _rate_limit_wait(e, time.time())
                if wait is None and e.status < 500:
                    raise self._refused(what, e, permission) from e
                unclear = wait is None  # a 5xx: GitHub may have acted; a rate limit: it refused
                problem = f"GitHub answered {e.status} {_message(e)}"
            except (requests.Timeout, requests.ConnectionError) as e:
                wait, unclear = None, True
                problem = f"no answer ({type(e).__name__})"
                if not idempotent and isinstance(e, requests.Timeout):
                    # GitHub may still be working on it: give it as long again before looking for its effect.
                    self._sleep(self._timeout)
            if unclear and not idempotent:
                if reconcile is None:
                    raise GitHubError(f"{what}: {problem}; not repeated because it may have taken effect")
                found = reconcile()
                if found is not None:
                    return found
            if attempt == self.policy.attempts:
                break
            if wait is None:
                wait, backoff = backoff, backoff * 2
            wait = min(wait, self.policy.max_wait)
            if self._clock() + wait > deadline:
                raise GitHubError(
                    f"{what}: {problem}; gave up: waiting longer would pass the {self.policy.deadline:g}s deadline"
                )
            self._sleep(wait)
        raise GitHubError(f"{what}: {problem}; gave up after {self.policy.attempts} attempts")

    def _refused(self, what: str, e: GithubException, permission: str) -> GwError:
        message = _message(e)
        if e.status == 401:
            return GitHubAccessError(
                f"{what}: GitHub rejected the token in {self.token_env} (401 {message}); "
                f"set {self.token_env} to a valid token"
            )
        if e.status in (403, 404):
            return GitHubAccessError(
                f"{what}: GitHub answered {e.status} {message}; the token in {self.token_env} needs {permission}"
                " (or the repository, workflow or issue it names does not exist)"
            )
        if e.status == 422:
            return GitHubAccessError(f"{what}: GitHub refused the request (422 {message})")
        return GitHubError(f"{what}: GitHub answered {e.status} {message}")


def token_auth(token: str) -> Auth.Auth:
    return Auth.Token(token)


def from_runner(
    runner: Runner, token_env: str, *, needs: str, where: str, throttle: bool = True, bot_login: str = ACTIONS_BOT_LOGIN
) -> GitHub:
    """The client for the token the runner holds in `token_env`, at the runner's API URL; a missing token is bad
    input naming the variable and the permissions it needs."""
    token = runner.token(token_env)
    if not token:
        raise UserError(f"{where}: environment variable {token_env} is not set; set it to a token with {needs}")
    return GitHub(
        token_auth(token), api_url=runner.api_url, token_env=token_env, throttle=throttle, bot_login=bot_login
    )


def _rate_limit_wait(e: GithubException, now: float) -> float | None:
    """Seconds to wait before repeating a request GitHub refused for rate limiting, or None if it was not that."""
    headers = {k.lower(): v for k, v in (e.headers or {}).items()}
    if e.status not in (403, 429):
        return None
    if "retry-after" in headers and str(headers["retry-after"]).isdigit():
        return float(headers["retry-after"])
    if headers.get("x-ratelimit-remaining") == "0" and str(headers.get("x-ratelimit-reset", "")).isdigit():
        return max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1.0
    if "rate limit" in _message(e).lower():
        return 60.0  # GitHub's advice for a secondary limit without Retry-After: wait at least a minute
    return None


def _message(e: GithubException) -> str:
    data: Any = e.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data or "").strip()[:200]
