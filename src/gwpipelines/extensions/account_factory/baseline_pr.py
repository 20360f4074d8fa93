"""The baseline pull request in the live repo: the new account's rendered folder plus its id written into
`accounts.yml`, committed on a branch of its own and proposed against the default branch.

One branch per account (`gwpipelines/account-<name>`) is the idempotency key: a run that finds a pull request from
that branch (open, closed or merged) returns it; a run that finds the branch but no pull request (an earlier run
stopped in between) opens the pull request from it. Nothing is ever proposed twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from github import GithubException, InputGitTreeElement

from gwpipelines import accounts
from gwpipelines.errors import UserError
from gwpipelines.github.client import GitHub

BRANCH_PREFIX = "gwpipelines/account-"
MARKER = "<!-- gwpipelines:account-baseline:{name} -->"


@dataclass(frozen=True)
class BaselinePull:
    number: int
    html_url: str
    branch: str
    # False when an earlier run had already opened it.
    opened: bool


@dataclass(frozen=True)
class BaselineRequest:
    """What the pull request proposes; `files` is the rendered baseline (`baseline.render`)."""

    repo: str
    account_name: str
    account_id: str
    files: Mapping[str, str]
    request_pr: int | None = None
    branch_prefix: str = BRANCH_PREFIX

    @property
    def branch(self) -> str:
        return self.branch_prefix + self.account_name

    def title(self) -> str:
        return f"Baseline for AWS account {self.account_name} ({self.account_id})"

    def body(self) -> str:
        requested = f"requested in #{self.request_pr}" if self.request_pr else "requested in accounts.yml"
        listing = "\n".join(f"- `{path}`" for path in sorted(self.files))
        return (
            f"{MARKER.format(name=self.account_name)}\n"
            f"gwpipelines created AWS account **{self.account_name}** (`{self.account_id}`), {requested}.\n\n"
            f"This pull request records its id in `accounts.yml` and adds its baseline:\n\n{listing}\n\n"
            "Before merging, add the account to `authentication.accounts` in the pipelines repository's "
            "`pipelines.yml` (its `account_id` and the plan/apply role names above), so that its units can be "
            "planned and applied.\n"
        )


class BaselinePulls(GitHub):
    """The git-data and pull-request calls the baseline needs, under the client's retry rules."""

    def find_pull(self, repo: str, branch: str) -> BaselinePull | None:
        owner = repo.split("/")[0]

        def look() -> BaselinePull | None:
            for pull in self._gh.get_repo(repo).get_pulls(state="all", head=f"{owner}:{branch}"):
                return BaselinePull(int(pull.number), str(pull.html_url), branch, opened=False)
            return None

        return self._call(f"looking for a pull request from {branch} in {repo}", look, permission=_READ.format(repo))

    def branch_sha(self, repo: str, branch: str) -> str | None:
        def look() -> str | None:
            try:
                return str(self._gh.get_repo(repo).get_git_ref(f"heads/{branch}").object.sha)
            except GithubException as e:
                if e.status == 404:
                    return None
                raise

        return self._call(f"reading branch {branch} of {repo}", look, permission=_READ.format(repo))

    def default_branch(self, repo: str) -> str:
        return self._call(
            f"reading {repo}", lambda: str(self._gh.get_repo(repo).default_branch), permission=_READ.format(repo)
        )

    def read_file(self, repo: str, path: str, sha: str) -> str:
        def read() -> str:
            content = self._gh.get_repo(repo).get_contents(path, ref=sha)
            assert not isinstance(content, list), f"{path} is a directory"
            return bytes(content.decoded_content).decode()

        return self._call(f"reading {path} at {sha[:12]} in {repo}", read, permission=_READ.format(repo))

    def commit_files(self, repo: str, parent: str, files: Mapping[str, str], message: str) -> str:
        """A commit on top of `parent` with `files` written; not on any branch yet. Trees and commits are content
        objects: repeating the calls after a failure only makes an identical, unreferenced object."""

        def commit() -> str:
            r = self._gh.get_repo(repo)
            base = r.get_git_commit(parent)
            elements = [InputGitTreeElement(p, "100644", "blob", content=t) for p, t in sorted(files.items())]
            tree = r.create_git_tree(elements, base_tree=base.tree)
            return str(r.create_git_commit(message, tree, [base]).sha)

        return self._call(f"committing the baseline in {repo}", commit, permission=_WRITE.format(repo))

    def create_branch(self, repo: str, branch: str, sha: str) -> str:
        def create() -> str:
            self._gh.get_repo(repo).create_git_ref(f"refs/heads/{branch}", sha)
            return sha

        return self._call(
            f"creating branch {branch} in {repo}",
            create,
            idempotent=False,
            permission=_WRITE.format(repo),
            reconcile=lambda: self.branch_sha(repo, branch),
        )

    def create_pull(self, repo: str, *, head: str, base: str, title: str, body: str) -> BaselinePull:
        def create() -> BaselinePull:
            pull = self._gh.get_repo(repo).create_pull(base=base, head=head, title=title, body=body)
            return BaselinePull(int(pull.number), str(pull.html_url), head, opened=True)

        return self._call(
            f"opening a pull request from {head} in {repo}",
            create,
            idempotent=False,
            permission=f"pull-requests: write on {repo}",
            reconcile=lambda: self.find_pull(repo, head),
        )


_READ = "contents: read on {}"
_WRITE = "contents: write on {}"


def open_baseline_pull(gh: BaselinePulls, request: BaselineRequest) -> BaselinePull:
    """The baseline pull request for the account: found if an earlier run opened it, else opened now."""
    existing = gh.find_pull(request.repo, request.branch)
    if existing is not None:
        return existing
    base = gh.default_branch(request.repo)
    if gh.branch_sha(request.repo, request.branch) is None:
        base_sha = gh.branch_sha(request.repo, base)
        if base_sha is None:
            raise UserError(f"{request.repo} has no branch {base} (its default branch)")
        files = dict(request.files)
        files[accounts.ACCOUNTS_FILE] = accounts.with_id(
            gh.read_file(request.repo, accounts.ACCOUNTS_FILE, base_sha), request.account_name, request.account_id
        )
        sha = gh.commit_files(request.repo, base_sha, files, request.title())
        gh.create_branch(request.repo, request.branch, sha)
    return gh.create_pull(request.repo, head=request.branch, base=base, title=request.title(), body=request.body())
