"""The GitHub Actions OIDC token, requested the way GitHub documents it: GET `$ACTIONS_ID_TOKEN_REQUEST_URL`
with `&audience=...` appended and `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is JSON
`{"value": "<jwt>"}`. The runner sets both variables only for jobs with `permissions: id-token: write`.

Network errors and 5xx answers are retried a bounded number of times within a deadline; 4xx answers are not.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from gwpipelines import __version__
from gwpipelines.errors import OidcError as OidcError
from gwpipelines.errors import OidcNotConfigured as OidcNotConfigured
from gwpipelines.github.actions import OIDC_TOKEN_VAR, OIDC_URL_VAR

URL_VAR = OIDC_URL_VAR
TOKEN_VAR = OIDC_TOKEN_VAR
MAX_ATTEMPTS = 4
DEADLINE_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 10.0


def token_url(base: str, audience: str) -> str:
    """The runner's URL already carries a query (`?api-version=2.0`): the audience is one more parameter."""
    sep = "&" if urllib.parse.urlsplit(base).query else "?"
    return f"{base}{sep}audience={urllib.parse.quote(audience, safe='')}"


def request_token(
    environ: Mapping[str, str],
    *,
    audience: str = "sts.amazonaws.com",
    sleep: Callable[[float], None] = time.sleep,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> str:
    """The signed JWT for `audience`. Raises OidcNotConfigured when the job has no `id-token: write`, OidcError when
    the endpoint keeps failing or answers something that is not a token."""
    base, bearer = environ.get(URL_VAR), environ.get(TOKEN_VAR)
    if not base or not bearer:
        missing = " and ".join(v for v, val in ((URL_VAR, base), (TOKEN_VAR, bearer)) if not val)
        raise OidcNotConfigured(
            f"{missing} not set: the workflow job that runs gwpipelines needs `permissions: id-token: write` "
            "to get AWS credentials through GitHub OIDC"
        )
    request = urllib.request.Request(
        token_url(base, audience),
        headers={
            "Authorization": f"bearer {bearer}",
            "Accept": "application/json; api-version=2.0",
            "User-Agent": f"gwpipelines/{__version__}",
        },
    )
    give_up_at = time.monotonic() + deadline_seconds
    problem = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return _token_from(response.read())
        except urllib.error.HTTPError as e:
            problem = f"HTTP {e.code} {e.reason}"
            if e.code < 500:
                raise OidcError(
                    f"GitHub's OIDC token endpoint refused the request ({problem}); "
                    "check the job's `permissions: id-token: write`"
                ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            problem = str(getattr(e, "reason", e))
        pause = min(2.0 ** (attempt - 1), 8.0)
        if attempt == MAX_ATTEMPTS or time.monotonic() + pause > give_up_at:
            break
        sleep(pause)
    raise OidcError(f"no OIDC token from GitHub after {attempt} attempts: {problem}")


def _token_from(body: bytes) -> str:
    try:
        value = json.loads(body)["value"]
    except (ValueError, KeyError, TypeError):
        raise OidcError("GitHub's OIDC token endpoint answered without a token (no JSON `value`)") from None
    if not isinstance(value, str) or value.count(".") != 2:
        raise OidcError("GitHub's OIDC token endpoint answered with a `value` that is not a JWT")
    return value


def unverified_claims(token: str) -> dict[str, Any]:
    """The token's claims, NOT verified (AWS verifies the signature): only for explaining a refusal."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def describe_token(token: str) -> str:
    """`sub=..., aud=...`: what a trust policy is matched against."""
    claims = unverified_claims(token)
    shown = [f"{k}={claims[k]}" for k in ("sub", "aud", "job_workflow_ref") if k in claims]
    return ", ".join(shown) or "unreadable token"
