"""One function per GitHub operation (keyed by operationId), over the in-memory state."""

from __future__ import annotations

import base64
import io
import operator
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from testing.github_server.model import Artifact, Comment, Dispatch, Issue, Pull, Repo, Run, RunScript, now

if TYPE_CHECKING:
    from testing.github_server.server import GitHubServer

MAX_INPUTS_CHARACTERS = 65_535
MAX_BODY_CHARACTERS = 65_536  # comments, issue and pull request bodies
MAX_TITLE_CHARACTERS = 256


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    server: GitHubServer
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    actor: str
    url: str  # the request URL without its query, for Link headers
    api_version: str = "2022-11-28"  # X-GitHub-Api-Version; GitHub's default when the client sends none

    @property
    def repo(self) -> Repo:
        return self.server.repo(f"{self.params['owner']}/{self.params['repo']}")


Handler = Callable[[Call], Reply]
HANDLERS: dict[str, Handler] = {}


def operation(operation_id: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[operation_id] = handler
        return handler

    return register


def paginate(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """A page of `items` and GitHub's Link header (per_page default 30, at most 100)."""
    per_page = min(int(call.query.get("per_page", 30)), 100)
    page = max(int(call.query.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    others = "&".join(f"{k}={v}" for k, v in sorted(call.query.items()) if k not in ("page", "per_page"))
    prefix = f"{call.url}?{others + '&' if others else ''}per_page={per_page}&page="
    links = []
    if page < last:
        links += [f'<{prefix}{page + 1}>; rel="next"', f'<{prefix}{last}>; rel="last"']
    if page > 1:
        links += [f'<{prefix}1>; rel="first"', f'<{prefix}{page - 1}>; rel="prev"']
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page : page * per_page], headers


def _checked_body(body: Any, resource: str) -> Any:
    if isinstance(body, str) and len(body) > MAX_BODY_CHARACTERS:
        message = f"body is too long (maximum is {MAX_BODY_CHARACTERS} characters)"
        raise ApiError(
            422, "Validation Failed", [{"resource": resource, "field": "body", "code": "custom", "message": message}]
        )
    return body


def _checked_title(title: Any, resource: str) -> str:
    if len(str(title)) > MAX_TITLE_CHARACTERS:
        message = f"title is too long (maximum is {MAX_TITLE_CHARACTERS} characters)"
        raise ApiError(
            422, "Validation Failed", [{"resource": resource, "field": "title", "code": "custom", "message": message}]
        )
    return str(title)


def _int(call: Call, name: str) -> int:
    return int(call.params[name])


# -- meta ------------------------------------------------------------------------------------------------------------


@operation("rate-limit/get")
def rate_limit(call: Call) -> Reply:
    from testing.github_server.openapi import example

    return Reply(200, example("rate-limit-overview"))


@operation("users/get-authenticated")
def authenticated_user(call: Call) -> Reply:
    """A user's token answers with its login; an installation token (GITHUB_TOKEN, a GitHub App's) is refused, as
    GitHub refuses it: an integration is not a user."""
    from testing.github_server.openapi import example

    if call.actor.endswith("[bot]"):
        raise ApiError(403, "Resource not accessible by integration")
    body: dict[str, Any] = example("private-user-response-with-public-and-private-profile-information")
    body.update(call.server.bodies.user(call.actor), user_view_type="private")
    return Reply(200, body)


@operation("meta/root")
def root(call: Call) -> Reply:
    from testing.github_server.openapi import example

    return Reply(200, example("root"))


# -- repositories ----------------------------------------------------------------------------------------------------


@operation("repos/get")
def get_repo(call: Call) -> Reply:
    return Reply(200, call.server.bodies.repository(call.repo))


@operation("repos/get-branch")
def get_branch(call: Call) -> Reply:
    from testing.github_server.openapi import example

    repo = call.repo
    sha = repo.branch_sha(call.params["branch"])
    if sha is None:
        raise ApiError(404, "Branch not found")
    body = example("branch-get")
    body["name"] = call.params["branch"]
    body["commit"].update(sha=sha, url=f"{call.server.bodies.repo_url(repo)}/commits/{sha}")
    return Reply(200, body)


def _resolve_ref(repo: Repo, ref: str | None) -> str:
    ref = ref or repo.default_branch
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        if candidate in repo.refs:
            return repo.refs[candidate]
    if ref in repo.commits:
        return ref
    raise ApiError(404, f"No commit found for the ref {ref}")


@operation("repos/get-content")
def get_content(call: Call) -> Reply:
    repo = call.repo
    commit = _resolve_ref(repo, call.query.get("ref"))
    path = call.params["path"].strip("/")
    blob = repo.trees[repo.commits[commit].tree].get(path)
    if blob is None:
        raise ApiError(404, "Not Found")
    return Reply(200, call.server.bodies.content_file(repo, path, blob, call.query.get("ref", repo.default_branch)))


@operation("repos/create-or-update-file-contents")
def put_content(call: Call) -> Reply:
    repo = call.repo
    path = call.params["path"].strip("/")
    branch = call.body.get("branch") or repo.default_branch
    parent = repo.branch_sha(branch)
    if parent is None:
        raise ApiError(404, f"Branch {branch} not found")
    tree = dict(repo.trees[repo.commits[parent].tree])
    existing = tree.get(path)
    if existing is not None and call.body.get("sha") != existing:
        raise ApiError(409, f"{path} does not match {call.body.get('sha')}")
    if existing is None and call.body.get("sha"):
        raise ApiError(422, f"{path} does not exist, so no sha may be given")
    blob = repo.store_blob(base64.b64decode(call.body["content"]))
    tree[path] = blob
    author = {"name": call.actor, "email": f"{call.actor}@users.noreply.github.com", "date": now()}
    sha = repo.store_commit(repo.store_tree(tree), (parent,), call.body["message"], author)
    repo.refs[f"refs/heads/{branch}"] = sha
    body = call.server.bodies.file_commit(repo, path, blob, branch, repo.commits[sha])
    return Reply(200 if existing else 201, body)


@operation("repos/get-commit")
def get_repo_commit(call: Call) -> Reply:
    repo = call.repo
    try:
        sha = _resolve_ref(repo, call.params["ref"])
    except ApiError:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}") from None
    return Reply(200, call.server.bodies.commit(repo, repo.commits[sha]))


@operation("repos/list-pull-requests-associated-with-commit")
def commit_pulls(call: Call) -> Reply:
    repo = call.repo
    sha = call.params["commit_sha"]
    found = [p for p in repo.pulls.values() if sha in (p.head_sha, p.merged_sha)]
    page, headers = paginate(call, found)
    return Reply(200, [call.server.bodies.pull_simple(repo, p) for p in page], headers)


# -- actions ---------------------------------------------------------------------------------------------------------


def _workflow(call: Call) -> Any:
    repo = call.repo
    key = call.params["workflow_id"]
    for workflow in repo.workflows.values():
        if key in (workflow.file_name, str(workflow.id)):
            return workflow
    raise ApiError(404, "Not Found")


@operation("actions/get-workflow")
def get_workflow(call: Call) -> Reply:
    return Reply(200, call.server.bodies.workflow(call.repo, _workflow(call)))


def _run_name(template: str | None, default: str, inputs: dict[str, Any]) -> str:
    if template is None:
        return default
    return re.sub(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", lambda m: str(inputs.get(m.group(1), "")), template)


@operation("actions/create-workflow-dispatch")
def create_dispatch(call: Call) -> Reply:
    repo = call.repo
    workflow = _workflow(call)
    ref = call.body["ref"]
    head_sha = repo.refs.get(f"refs/heads/{ref.removeprefix('refs/heads/')}") or repo.refs.get(
        f"refs/tags/{ref.removeprefix('refs/tags/')}"
    )
    if head_sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    inputs = call.body.get("inputs") or {}
    if workflow.inputs is not None and set(inputs) - workflow.inputs:
        raise ApiError(422, f"Unexpected inputs provided: {sorted(set(inputs) - workflow.inputs)}")
    if sum(len(str(k)) + len(str(v)) for k, v in inputs.items()) > MAX_INPUTS_CHARACTERS:
        raise ApiError(422, f"inputs are too large: at most {MAX_INPUTS_CHARACTERS} characters")
    # Under API version 2026-03-10 github.com always answers with the run's details; before, only when asked.
    details = bool(call.body.get("return_run_details")) or call.api_version >= "2026-03-10"
    dispatch = Dispatch(repo.full_name, workflow.file_name, ref, dict(inputs), details, call.actor)
    script = call.server.on_dispatch(dispatch) if call.server.on_dispatch else RunScript()
    run = Run(
        id=call.server.ids(),
        run_number=len(repo.runs) + 1,
        workflow=workflow,
        dispatch=dispatch,
        script=script,
        head_sha=head_sha,
        display_title=_run_name(workflow.run_name, workflow.name, inputs),
        clock=call.server.clock,
        started=call.server.clock() if call.server.clock else 0.0,
    )
    repo.runs.append(run)
    call.server.dispatches.append(dispatch)
    if details and call.server.dispatch_answer == 200:
        run_url = f"{call.server.bodies.repo_url(repo)}/actions/runs/{run.id}"
        html_url = f"https://github.com/{repo.full_name}/actions/runs/{run.id}"
        return Reply(200, {"workflow_run_id": run.id, "run_url": run_url, "html_url": html_url})
    return Reply(204)


def _read(run: Run, ids: Callable[[], int]) -> Run:
    """Every read of a run moves it along its script (queued -> in_progress -> completed after `polls` reads)."""
    run.reads += 1
    script = run.script
    if run.completed and not run.artifacts and (script.files or script.artifacts):
        if script.files:
            run.artifacts.append(Artifact(ids(), script.artifact_name, dict(script.files), archive=script.archive))
        run.artifacts += [Artifact(ids(), name, dict(files)) for name, files in script.artifacts.items()]
    return run


def _visible_runs(repo: Repo) -> list[Run]:
    return [run for run in reversed(repo.runs) if run.script.appears]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00") if "T" in text else f"{text}T00:00:00+00:00")


_COMPARISONS: tuple[tuple[str, Callable[[datetime, datetime], bool]], ...] = (
    (">=", operator.ge),
    ("<=", operator.le),
    (">", operator.gt),
    ("<", operator.lt),
)


def _created_filter(expression: str) -> Callable[[str], bool]:
    """GitHub's date search syntax: `>=D`, `<=D`, `>D`, `<D`, `D..D` (`*` open-ended), or a date/time prefix."""
    if ".." in expression:
        low, high = expression.split("..", 1)

        def within(created: str) -> bool:
            moment = _moment(created)
            return (low in ("*", "") or moment >= _moment(low)) and (high in ("*", "") or moment <= _moment(high))

        return within
    for prefix, compare in _COMPARISONS:
        if expression.startswith(prefix):
            bound = _moment(expression[len(prefix) :])
            return lambda created: compare(_moment(created), bound)
    return lambda created: created.startswith(expression)


def _list_runs(call: Call, runs: list[Run]) -> Reply:
    q = call.query
    if "event" in q:
        runs = [r for r in runs if q["event"] == "workflow_dispatch"]
    if "branch" in q:
        runs = [r for r in runs if r.dispatch.ref == q["branch"]]
    if "head_sha" in q:
        runs = [r for r in runs if r.head_sha == q["head_sha"]]
    if "actor" in q:
        runs = [r for r in runs if r.dispatch.actor == q["actor"]]
    if "created" in q:
        keep = _created_filter(q["created"])
        runs = [r for r in runs if keep(r.created_at)]
    if "status" in q:
        runs = [r for r in runs if q["status"] in (r.status, r.conclusion)]
    page, headers = paginate(call, runs)
    body = {
        "total_count": len(runs),
        "workflow_runs": [call.server.bodies.run(call.repo, _read(r, call.server.ids)) for r in page],
    }
    return Reply(200, body, headers)


@operation("actions/list-workflow-runs-for-repo")
def list_repo_runs(call: Call) -> Reply:
    return _list_runs(call, _visible_runs(call.repo))


@operation("actions/list-workflow-runs")
def list_workflow_runs(call: Call) -> Reply:
    workflow = _workflow(call)
    return _list_runs(call, [r for r in _visible_runs(call.repo) if r.workflow is workflow])


def _run(call: Call) -> Run:
    run_id = _int(call, "run_id")
    for run in call.repo.runs:
        if run.id == run_id and run.script.appears:
            return run
    raise ApiError(404, "Not Found")


@operation("actions/get-workflow-run")
def get_run(call: Call) -> Reply:
    return Reply(200, call.server.bodies.run(call.repo, _read(_run(call), call.server.ids)))


@operation("actions/list-jobs-for-workflow-run")
def list_jobs(call: Call) -> Reply:
    jobs = call.server.bodies.jobs(call.repo, _run(call))
    page, headers = paginate(call, jobs)
    return Reply(200, {"total_count": len(jobs), "jobs": page}, headers)


@operation("actions/list-workflow-run-artifacts")
def list_artifacts(call: Call) -> Reply:
    run = _run(call)
    artifacts = [a for a in run.artifacts if a.name == call.query["name"]] if "name" in call.query else run.artifacts
    page, headers = paginate(call, artifacts)
    body = {"total_count": len(artifacts), "artifacts": [call.server.bodies.artifact(call.repo, run, a) for a in page]}
    return Reply(200, body, headers)


def _artifact(call: Call) -> tuple[Run, Artifact]:
    artifact_id = _int(call, "artifact_id")
    for run in call.repo.runs:
        for artifact in run.artifacts:
            if artifact.id == artifact_id:
                return run, artifact
    raise ApiError(404, "Not Found")


@operation("actions/get-artifact")
def get_artifact(call: Call) -> Reply:
    run, artifact = _artifact(call)
    return Reply(200, call.server.bodies.artifact(call.repo, run, artifact))


@operation("actions/download-artifact")
def download_artifact(call: Call) -> Reply:
    if call.params["archive_format"] != "zip":
        raise ApiError(404, "Not Found")
    _, artifact = _artifact(call)
    # GitHub answers with a redirect to short-lived blob storage; ours lives on the same server, outside the API.
    token = call.server.blob_token(artifact.archive if artifact.archive is not None else zip_bytes(artifact.files))
    return Reply(302, None, {"Location": f"{call.server.url}/_blobs/{token}/{artifact.name}.zip"})


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


# -- issues and comments ---------------------------------------------------------------------------------------------


def _issue(call: Call) -> Issue:
    issue = call.repo.issues.get(_int(call, "issue_number"))
    if issue is None:
        raise ApiError(404, "Not Found")
    return issue


@operation("issues/list-comments")
def list_comments(call: Call) -> Reply:
    issue = _issue(call)
    comments = [c for c in call.repo.comments if c.issue_number == issue.number]
    if "since" in call.query:
        comments = [c for c in comments if c.updated_at >= call.query["since"]]
    page, headers = paginate(call, comments)
    return Reply(200, [call.server.bodies.comment(call.repo, c) for c in page], headers)


@operation("issues/create-comment")
def create_comment(call: Call) -> Reply:
    issue = _issue(call)
    body = _checked_body(call.body["body"], "IssueComment")
    comment = Comment(id=call.server.ids(), issue_number=issue.number, body=body, user=call.actor)
    call.repo.comments.append(comment)
    return Reply(201, call.server.bodies.comment(call.repo, comment))


def _comment(call: Call) -> Comment:
    comment_id = _int(call, "comment_id")
    for comment in call.repo.comments:
        if comment.id == comment_id:
            return comment
    raise ApiError(404, "Not Found")


@operation("issues/get-comment")
def get_comment(call: Call) -> Reply:
    return Reply(200, call.server.bodies.comment(call.repo, _comment(call)))


@operation("issues/update-comment")
def update_comment(call: Call) -> Reply:
    comment = _comment(call)
    comment.body = _checked_body(call.body["body"], "IssueComment")
    comment.updated_at = now()
    return Reply(200, call.server.bodies.comment(call.repo, comment))


def _label_names(labels: list[Any]) -> list[str]:
    return [label if isinstance(label, str) else label["name"] for label in labels]


@operation("issues/list-for-repo")
def list_issues(call: Call) -> Reply:
    q = call.query
    # Like GitHub, the list holds pull requests too (they carry a `pull_request` key).
    issues = sorted(call.repo.issues.values(), key=lambda i: i.number, reverse=q.get("direction", "desc") == "desc")
    state = q.get("state", "open")
    if state != "all":
        issues = [i for i in issues if i.state == state]
    if "labels" in q:
        wanted = {name.strip() for name in q["labels"].split(",") if name.strip()}
        issues = [i for i in issues if wanted <= set(i.labels)]
    if "creator" in q:
        issues = [i for i in issues if i.user == q["creator"]]
    if "since" in q:
        issues = [i for i in issues if i.updated_at >= q["since"]]
    page, headers = paginate(call, issues)
    return Reply(200, [call.server.bodies.issue(call.repo, i) for i in page], headers)


@operation("issues/create")
def create_issue(call: Call) -> Reply:
    repo = call.repo
    issue = Issue(
        number=repo.next_number(),
        id=call.server.ids(),
        title=_checked_title(call.body["title"], "Issue"),
        body=_checked_body(call.body.get("body"), "Issue"),
        user=call.actor,
        labels=_label_names(call.body.get("labels") or []),
        assignees=list(call.body.get("assignees") or []),
    )
    repo.issues[issue.number] = issue
    return Reply(201, call.server.bodies.issue(repo, issue))


@operation("issues/get")
def get_issue(call: Call) -> Reply:
    return Reply(200, call.server.bodies.issue(call.repo, _issue(call)))


@operation("issues/update")
def update_issue(call: Call) -> Reply:
    issue = _issue(call)
    body = call.body
    if "title" in body:
        issue.title = _checked_title(body["title"], "Issue")
    if "body" in body:
        issue.body = _checked_body(body["body"], "Issue")
    if "labels" in body:
        issue.labels = _label_names(body["labels"] or [])
    if "assignees" in body:
        issue.assignees = list(body["assignees"] or [])
    if "state" in body and body["state"] != issue.state:
        issue.state = body["state"]
        issue.closed_at = now() if issue.state == "closed" else None
        issue.state_reason = body.get("state_reason") or ("completed" if issue.state == "closed" else "reopened")
    issue.updated_at = now()
    return Reply(200, call.server.bodies.issue(call.repo, issue))


# -- pull requests ---------------------------------------------------------------------------------------------------


@operation("pulls/list")
def list_pulls(call: Call) -> Reply:
    q = call.query
    pulls = sorted(call.repo.pulls.values(), key=lambda p: p.number, reverse=True)
    state = q.get("state", "open")
    if state != "all":
        pulls = [p for p in pulls if p.state == state]
    if "head" in q:
        owner, _, branch = q["head"].rpartition(":")
        pulls = [p for p in pulls if p.head_ref == branch and owner in ("", call.repo.owner)]
    if "base" in q:
        pulls = [p for p in pulls if p.base_ref == q["base"]]
    page, headers = paginate(call, pulls)
    return Reply(200, [call.server.bodies.pull_simple(call.repo, p) for p in page], headers)


@operation("pulls/get")
def get_pull(call: Call) -> Reply:
    pull = call.repo.pulls.get(_int(call, "pull_number"))
    if pull is None:
        raise ApiError(404, "Not Found")
    return Reply(200, call.server.bodies.pull(call.repo, pull))


@operation("pulls/create")
def create_pull(call: Call) -> Reply:
    repo = call.repo
    head, base = call.body["head"].rpartition(":")[2], call.body["base"]
    head_sha, base_sha = repo.branch_sha(head), repo.branch_sha(base)
    if head_sha is None or base_sha is None:
        missing = "head" if head_sha is None else "base"
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": missing, "code": "invalid"}])
    if any(p.head_ref == head and p.base_ref == base and p.state == "open" for p in repo.pulls.values()):
        message = f"A pull request already exists for {repo.owner}:{head}."
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom", "message": message}])
    number = repo.next_number()
    title = _checked_title(call.body.get("title") or head, "PullRequest")
    body = _checked_body(call.body.get("body"), "PullRequest")
    pull = Pull(number, call.server.ids(), title, body, call.actor, head, head_sha, base, base_sha)
    repo.pulls[number] = pull
    repo.issues[number] = Issue(number, call.server.ids(), title, pull.body, call.actor, is_pull=True)
    return Reply(201, call.server.bodies.pull(repo, pull))


# -- git data --------------------------------------------------------------------------------------------------------


@operation("git/get-ref")
def get_ref(call: Call) -> Reply:
    name = f"refs/{call.params['ref']}"
    sha = call.repo.refs.get(name)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Reply(200, call.server.bodies.ref(call.repo, name, sha))


@operation("git/create-ref")
def create_ref(call: Call) -> Reply:
    repo = call.repo
    name, sha = call.body["ref"], call.body["sha"]
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if name in repo.refs:
        raise ApiError(422, "Reference already exists")
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    repo.refs[name] = sha
    return Reply(201, call.server.bodies.ref(repo, name, sha))


@operation("git/update-ref")
def update_ref(call: Call) -> Reply:
    repo = call.repo
    name, sha = f"refs/{call.params['ref']}", call.body["sha"]
    if name not in repo.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if not call.body.get("force") and not _descends(repo, sha, repo.refs[name]):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[name] = sha
    return Reply(200, call.server.bodies.ref(repo, name, sha))


def _descends(repo: Repo, sha: str, ancestor: str) -> bool:
    pending = [sha]
    while pending:
        current = pending.pop()
        if current == ancestor:
            return True
        pending.extend(repo.commits[current].parents if current in repo.commits else ())
    return False


@operation("git/create-blob")
def create_blob(call: Call) -> Reply:
    repo = call.repo
    raw = call.body["content"]
    content = base64.b64decode(raw) if call.body.get("encoding") == "base64" else raw.encode()
    sha = repo.store_blob(content)
    return Reply(201, {"url": f"{call.server.bodies.repo_url(repo)}/git/blobs/{sha}", "sha": sha})


@operation("git/get-blob")
def get_blob(call: Call) -> Reply:
    repo = call.repo
    sha = call.params["file_sha"]
    if sha not in repo.blobs:
        raise ApiError(404, "Not Found")
    content = repo.blobs[sha]
    body = {
        "content": base64.b64encode(content).decode(),
        "encoding": "base64",
        "url": f"{call.server.bodies.repo_url(repo)}/git/blobs/{sha}",
        "sha": sha,
        "size": len(content),
        "node_id": base64.b64encode(f"blob:{sha}".encode()).decode(),
    }
    return Reply(200, body)


@operation("git/create-tree")
def create_tree(call: Call) -> Reply:
    repo = call.repo
    base = call.body.get("base_tree")
    if base is not None and base not in repo.trees:
        raise ApiError(422, "base_tree is not a valid tree oid")
    entries = dict(repo.trees[base]) if base else {}
    for entry in call.body["tree"]:
        path = entry["path"].strip("/")
        if entry.get("type", "blob") != "blob":
            raise ApiError(422, f"only blob entries are supported by this test server, not {entry.get('type')}")
        if "sha" in entry and entry["sha"] is None:
            entries.pop(path, None)
        elif "content" in entry:
            entries[path] = repo.store_blob(entry["content"].encode())
        elif entry.get("sha") in repo.blobs:
            entries[path] = entry["sha"]
        else:
            raise ApiError(422, f"tree.sha {entry.get('sha')} is not a valid blob")
    sha = repo.store_tree(entries)
    return Reply(201, call.server.bodies.tree(repo, sha, recursive=False))


@operation("git/get-tree")
def get_tree(call: Call) -> Reply:
    repo = call.repo
    sha = call.params["tree_sha"]
    if sha not in repo.trees:
        sha = repo.commits[_resolve_ref(repo, sha)].tree
    return Reply(200, call.server.bodies.tree(repo, sha, recursive=call.query.get("recursive") not in (None, "", "0")))


@operation("git/create-commit")
def create_commit(call: Call) -> Reply:
    repo = call.repo
    tree, parents = call.body["tree"], tuple(call.body.get("parents") or ())
    if tree not in repo.trees:
        raise ApiError(422, "Tree SHA does not exist")
    for parent in parents:
        if parent not in repo.commits:
            raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = dict(call.body.get("author") or {"name": call.actor, "email": f"{call.actor}@users.noreply.github.com"})
    author.setdefault("date", now())
    sha = repo.store_commit(tree, parents, call.body["message"], author)
    return Reply(201, call.server.bodies.git_commit(repo, repo.commits[sha]))


@operation("git/get-commit")
def get_commit(call: Call) -> Reply:
    commit = call.repo.commits.get(call.params["commit_sha"])
    if commit is None:
        raise ApiError(404, "Not Found")
    return Reply(200, call.server.bodies.git_commit(call.repo, commit))
