"""A local GitHub REST API: a real threaded HTTP server on 127.0.0.1 over in-memory state.

Every request it receives and every response it sends is validated against GitHub's OpenAPI description; a
mismatch is recorded in `violations` (the `github_server` fixture fails the test with it) and the client gets an error
answer at once so the bug also surfaces where it happened. Faults are injected per method + path (`faults`), every
non-GET request is recorded (`posts`) so tests can count side effects.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from testing.github_server import openapi
from testing.github_server.bodies import Bodies
from testing.github_server.faults import Faults
from testing.github_server.handlers import HANDLERS, ApiError, Call, Reply
from testing.github_server.model import (
    BOT_LOGIN,
    Comment,
    Dispatch,
    Ids,
    Issue,
    OnDispatch,
    Pull,
    Repo,
    Workflow,
    now,
)

DOCS = "https://docs.github.com/rest"
INITIAL_AUTHOR = {"name": "Test Server", "email": "server@example.invalid", "date": "2026-01-01T00:00:00Z"}


class _QuietHandler(WSGIRequestHandler):
    """No access log: a failing test shows the server's violations, not every request line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class Received:
    """A non-GET request as the server saw it (for counting side effects)."""

    method: str
    path: str
    operation_id: str | None
    body: Any
    actor: str
    status: int


class GitHubServer:
    def __init__(self) -> None:
        self.ids = Ids()
        self._repos: dict[str, Repo] = {}
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.RLock()
        self.on_dispatch: OnDispatch | None = None
        self.dispatch_answer: int = 200
        self.faults = Faults()
        self.posts: list[Received] = []
        self.dispatches: list[Dispatch] = []
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.operations: list[tuple[str, str, str]] = []  # (method, path, operationId) of every API request routed
        self.tokens: dict[str, str] = {}  # token -> login; empty: any token is accepted as BOT_LOGIN
        # A test's clock: runs with RunScript.seconds complete by it (an injected clock, no real waiting).
        self.clock: Callable[[], float] | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.bodies = Bodies("")

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> GitHubServer:
        openapi.openapi()  # load the description before the first request, not inside a client's timeout
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.bodies = Bodies(self.url)
        server = self._server
        # A short poll interval makes shutdown (once per test) take milliseconds rather than half a second.
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.02), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- set-up API for tests ----------------------------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        default_branch: str = "main",
        private: bool = False,
        *,
        files: dict[str, bytes] | None = None,
    ) -> Repo:
        with self._lock:
            repo = Repo(self.ids(), full_name, default_branch, private)
            tree = {path: repo.store_blob(content) for path, content in (files or {"README.md": b"# test\n"}).items()}
            commit = repo.store_commit(repo.store_tree(tree), (), "Initial commit", INITIAL_AUTHOR)
            repo.refs[f"refs/heads/{default_branch}"] = commit
            self._repos[full_name.lower()] = repo
            return repo

    def add_workflow(
        self,
        full_name: str,
        file_name: str,
        *,
        name: str | None = None,
        run_name: str | None = "gwpipelines ${{ inputs.correlation_id }}",
        inputs: Iterable[str] | None = None,
    ) -> Workflow:
        """`run_name` is the workflow's `run-name:` (`${{ inputs.X }}` is substituted); None: the workflow name.
        `inputs`: the declared inputs (others are refused as GitHub does); None accepts any."""
        with self._lock:
            workflow = Workflow(
                self.ids(),
                file_name,
                name or file_name.rsplit(".", 1)[0],
                run_name,
                None if inputs is None else frozenset(inputs),
            )
            self.repo(full_name).workflows[file_name] = workflow
            return workflow

    def add_pull(
        self,
        full_name: str,
        number: int,
        head_sha: str,
        base_sha: str,
        head_ref: str,
        base_ref: str = "main",
        merged_sha: str | None = None,
        *,
        title: str | None = None,
        user: str = "octocat",
    ) -> Pull:
        with self._lock:
            repo = self.repo(full_name)
            title = title or f"Change {head_ref}"
            state = "closed" if merged_sha else "open"
            pull = Pull(
                number, self.ids(), title, None, user, head_ref, head_sha, base_ref, base_sha, merged_sha, state
            )
            repo.pulls[number] = pull
            repo.issues[number] = Issue(number, self.ids(), title, None, user, state=state, is_pull=True)
            for sha in (head_sha, base_sha, merged_sha):
                if sha is not None:
                    repo.adopt_commit(sha, title)
            return pull

    def client(self, token: str = "test-token", **options: Any) -> Any:
        """A PyGithub client for this server with PyGithub's own throttling and retries off (tests set their own)."""
        from github import Auth, Github

        defaults: dict[str, Any] = {
            "seconds_between_requests": 0,
            "seconds_between_writes": 0,
            "retry": None,
            "timeout": 5,
        }
        return Github(auth=Auth.Token(token), base_url=self.url, **(defaults | options))

    def blob_token(self, content: bytes) -> str:
        token = secrets.token_hex(8)
        self._blobs[token] = content
        return token

    # -- inspection API for tests ------------------------------------------------------------------------------------

    def repo(self, full_name: str) -> Repo:
        repo = self._repos.get(full_name.lower())
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    def comments(self, full_name: str, number: int) -> list[Comment]:
        return [c for c in self.repo(full_name).comments if c.issue_number == number]

    def issues(self, full_name: str) -> list[Issue]:
        return [i for i in self.repo(full_name).issues.values() if not i.is_pull]

    def pulls(self, full_name: str) -> list[Pull]:
        return list(self.repo(full_name).pulls.values())

    def files(self, full_name: str, branch: str) -> dict[str, bytes]:
        repo = self.repo(full_name)
        sha = repo.branch_sha(branch)
        if sha is None:
            raise KeyError(f"{full_name} has no branch {branch}")
        return repo.files_at(sha)

    def runs(self, full_name: str) -> list[Any]:
        return list(self.repo(full_name).runs)

    def posts_to(self, operation_id: str) -> list[Received]:
        return [p for p in self.posts if p.operation_id == operation_id]

    # -- HTTP --------------------------------------------------------------------------------------------------------

    def _actor(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token:
            return None
        if not self.tokens:
            return BOT_LOGIN
        return self.tokens.get(token)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        path, method = request.path, request.method
        self.requests.append((method, path))
        if path.startswith("/_blobs/"):
            content = self._blobs.get(path.split("/")[2])
            if content is None:
                return Response(b"", status=404)
            return Response(content, status=200, content_type="application/zip")
        fault = self.faults.take(method, path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
            fault = None
        if fault is not None and not fault.after:
            return self._fault_response(fault)
        response = self._api(request)
        if fault is not None:
            return self._fault_response(fault)
        return response

    def _fault_response(self, fault: Any) -> Response:
        status, headers, body = fault.answer()
        # Injected infrastructure failures are not described per operation by GitHub: sent as-is, not validated.
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    def _api(self, request: Request) -> Response:
        path, method = request.path, request.method
        found = openapi.find_route(method, path)
        if found is None:
            self._violation(f"{method} {path}: no such operation in GitHub's description (or not implemented here)")
            return self._json(404, {"message": "Not Found", "documentation_url": DOCS})
        route, params = found
        self.operations.append((method, path, route.operation_id))
        query = {key: request.args.get(key, "") for key in request.args}
        headers = {key: value for key, value in request.headers.items()}
        raw = request.get_data()
        errors = openapi.request_errors(route, path, params, query, headers, raw)
        if errors:
            self._violation(f"{method} {path} ({route.operation_id}) request: {errors[0]}")
            return self._json(
                422, {"message": f"request does not match GitHub's description: {errors[0]}", "documentation_url": DOCS}
            )
        actor = self._actor(request)
        if actor is None and request.headers.get("Authorization"):
            return self._json(401, {"message": "Bad credentials", "documentation_url": DOCS})
        if actor is None and method != "GET":
            return self._json(401, {"message": "Requires authentication", "documentation_url": DOCS})
        body = json.loads(raw) if raw else {}
        version = request.headers.get("X-GitHub-Api-Version", "2022-11-28")
        reply = self._handle(route, params, query, body, actor or BOT_LOGIN, request.base_url, version)
        if method != "GET":
            self.posts.append(Received(method, path, route.operation_id, body, actor or "", reply.status))
        response_headers = self._headers(reply) | {"X-GitHub-Api-Version-Selected": version}
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        if str(reply.status) in route.declared_statuses:
            errors = openapi.response_errors(
                route, path, params, query, headers, raw, reply.status, response_headers, payload
            )
            if errors:
                self._violation(f"{method} {path} ({route.operation_id}) response {reply.status}: {errors[0]}")
                return self._json(500, {"message": f"test server bug: response does not match: {errors[0]}"})
        elif reply.status < 400 or not isinstance(reply.body, dict) or "message" not in reply.body:
            self._violation(f"{method} {path} ({route.operation_id}): status {reply.status} is not in the description")
        return Response(payload, status=reply.status, headers=response_headers)

    def _handle(
        self,
        route: openapi.Route,
        params: dict[str, str],
        query: dict[str, str],
        body: Any,
        actor: str,
        url: str,
        version: str,
    ) -> Reply:
        handler = HANDLERS.get(route.operation_id)
        if handler is None:
            self._violation(f"{route.operation_id} is in the description subset but has no handler")
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        try:
            with self._lock:
                return handler(Call(self, params, query, body, actor, url, version))
        except ApiError as error:
            answer: dict[str, Any] = {"message": error.message, "documentation_url": DOCS}
            if error.errors:
                answer["errors"] = error.errors
            return Reply(error.status, answer)

    def _headers(self, reply: Reply) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Used": "1",
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-RateLimit-Resource": "core",
            "Date": now(),
        }
        if reply.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        headers.update(reply.headers)
        return headers

    def _json(self, status: int, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")

    def _violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)
