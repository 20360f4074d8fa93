"""A local stand-in for GitHub Actions' OIDC token service, for tests.

It plays both parts GitHub plays in production:
- the runner's token request endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`, bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
  answer `{"value": jwt}`), which it checks exactly as GitHub does (bearer token, `audience` parameter);
- the issuer's discovery document and JWKS, so a test can verify the token's RS256 signature like AWS does.

Tokens carry GitHub's claim set for the job described by `server.context`; tests change the context to act as a
pull-request run, a fork, another repository or another workflow. `server.fail_next(n, status)` makes the token
endpoint fail n times (retries), `server.requests` records what was asked.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from testing.servers.loopback import LoopbackService, send

ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_PATH_PREFIX = "/_apis/distributedtask/hubs/Build/plans/"


@dataclass
class GithubContext:
    """The workflow job a token is issued to. Defaults: the pipelines workflow dispatched on main."""

    repository: str = "acme/infrastructure-pipelines"
    ref: str = "refs/heads/main"
    event_name: str = "workflow_dispatch"
    actor: str = "octocat"
    workflow_path: str = ".github/workflows/pipelines.yml"
    workflow_ref_override: str | None = None  # a reusable workflow called from another repo: its own ref
    sha: str = "9f1c3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
    environment: str | None = None
    run_id: int = 6800000001
    run_number: int = 42
    run_attempt: int = 1
    repository_id: int = 700000001
    repository_owner_id: int = 9000001
    actor_id: int = 583231
    # The repository's OIDC subject customization (GitHub's `include_claim_keys`); None = GitHub's default sub.
    sub_claim_keys: list[str] | None = None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def workflow_ref(self) -> str:
        return f"{self.repository}/{self.workflow_path}@{self.ref}"

    @property
    def job_workflow_ref(self) -> str:
        return self.workflow_ref_override or self.workflow_ref

    @property
    def context(self) -> str:
        """GitHub's default subject suffix: environment, else pull_request, else the ref."""
        if self.environment:
            return f"environment:{self.environment}"
        if self.event_name in ("pull_request", "pull_request_target"):
            return "pull_request"
        return f"ref:{self.ref}"


def github_claims(ctx: GithubContext, *, audience: str, now: int, lifetime: int = 300) -> dict[str, Any]:
    """The claims GitHub puts in an Actions ID token (docs: "About security hardening with OpenID Connect")."""
    ref_type = "tag" if ctx.ref.startswith("refs/tags/") else "branch"
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "sub": "",
        "aud": audience,
        "ref": ctx.ref,
        "sha": ctx.sha,
        "repository": ctx.repository,
        "repository_owner": ctx.owner,
        "repository_owner_id": str(ctx.repository_owner_id),
        "repository_id": str(ctx.repository_id),
        "repository_visibility": "private",
        "run_id": str(ctx.run_id),
        "run_number": str(ctx.run_number),
        "run_attempt": str(ctx.run_attempt),
        "actor": ctx.actor,
        "actor_id": str(ctx.actor_id),
        "workflow": "gwpipelines",
        "workflow_ref": ctx.workflow_ref,
        "workflow_sha": ctx.sha,
        "job_workflow_ref": ctx.job_workflow_ref,
        "job_workflow_sha": ctx.sha,
        "event_name": ctx.event_name,
        "ref_type": ref_type,
        "ref_protected": str(ctx.ref == "refs/heads/main").lower(),
        "head_ref": "",
        "base_ref": "",
        "runner_environment": "github-hosted",
        "iss": ISSUER,
        "nbf": now - 5,
        "iat": now,
        "exp": now + lifetime,
    }
    if ctx.environment:
        claims["environment"] = ctx.environment
    claims["sub"] = subject(ctx, claims)
    return claims


def subject(ctx: GithubContext, claims: dict[str, Any]) -> str:
    """GitHub's `sub`: `repo:OWNER/NAME:<context>` by default; with a customization, `key:value` pairs of the
    included claims in order (`repo` and `context` expand as in the default)."""
    if ctx.sub_claim_keys is None:
        return f"repo:{ctx.repository}:{ctx.context}"
    parts: list[str] = []
    for key in ctx.sub_claim_keys:
        if key == "repo":
            parts.append(f"repo:{ctx.repository}")
        elif key == "context":
            parts.append(ctx.context)
        else:
            parts.append(f"{key}:{claims[key]}")
    return ":".join(parts)


def _b64uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class OidcServer(LoopbackService):
    """Start with `.start()`, stop with `.stop()`; `.env()` gives the runner's two variables."""

    _thread_name = "oidc-server"
    context: GithubContext = field(default_factory=GithubContext)
    request_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    requests: list[dict[str, Any]] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self._plan_id, self._job_id = uuid.uuid4(), uuid.uuid4()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the default job context, no recorded requests, no pending failures."""
        with self._lock:
            self.context = GithubContext()
            self.requests.clear()
            self._failures.clear()

    # -- addresses ---------------------------------------------------------------------------------------------
    @property
    def request_url(self) -> str:
        """Shaped like the runner's: it already has a query string, so clients append `&audience=`."""
        return f"{self.url}{TOKEN_PATH_PREFIX}{self._plan_id}/jobs/{self._job_id}/idtoken?api-version=2.0"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks"

    def env(self) -> dict[str, str]:
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": self.request_url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}

    # -- behaviour ---------------------------------------------------------------------------------------------
    def fail_next(self, times: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def issue(self, audience: str = "sts.amazonaws.com", **claim_overrides: Any) -> str:
        """A token as the endpoint would issue it now (tests may override claims to forge bad ones)."""
        claims = github_claims(self.context, audience=audience, now=int(time.time()))
        claims.update(claim_overrides)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": _b64uint(numbers.n)}
        key["e"] = _b64uint(numbers.e)
        return {"keys": [key]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "jwks_uri": self.jwks_url,
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": sorted(github_claims(self.context, audience="x", now=0)),
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
        }

    # -- HTTP --------------------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        if parts.path == "/.well-known/openid-configuration":
            return _send(h, 200, self.openid_configuration())
        if parts.path == "/.well-known/jwks":
            return _send(h, 200, self.jwks())
        if parts.path != f"{TOKEN_PATH_PREFIX}{self._plan_id}/jobs/{self._job_id}/idtoken":
            return _send(h, 404, {"message": "Not Found"})
        with self._lock:
            self.requests.append({"path": h.path, "authorization": h.headers.get("Authorization"), "query": query})
            status = self._failures.pop(0) if self._failures else None
        if status is not None:
            return _send(h, status, {"message": "injected failure"})
        auth = h.headers.get("Authorization", "")
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(credential, self.request_token):
            return _send(h, 401, {"message": "Unauthorized"})
        if query.get("api-version") != ["2.0"]:
            return _send(h, 400, {"message": "api-version=2.0 is required"})
        audience = query.get("audience", [None])[-1]
        # Without an audience GitHub issues the token for the repository owner's URL.
        return _send(h, 200, {"value": self.issue(audience or f"https://github.com/{self.context.owner}")})


def _send(h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    send(h, status, json.dumps(body).encode(), "application/json; charset=utf-8")
