"""The OIDC token request (gwpipelines.oidc) against the local GitHub OIDC endpoint, and that endpoint's tokens
being real: RS256-signed, verifiable against its JWKS, with GitHub's claims."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt
import pytest

from gwpipelines.github import oidc
from testing.servers.oidc import ISSUER, GithubContext, OidcServer


def verify(server: OidcServer, token: str, audience: str = "sts.amazonaws.com") -> dict[str, Any]:
    """As AWS does: find the key by `kid` in the issuer's JWKS, check signature, issuer, audience and expiry."""
    with urllib.request.urlopen(f"{server.url}/.well-known/openid-configuration") as r:
        discovery = json.load(r)
    key = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=audience,
        issuer=discovery["issuer"],
    )
    return claims


def test_token_is_signed_and_carries_githubs_claims(oidc_server: OidcServer) -> None:
    token = oidc.request_token(oidc_server.env())
    claims = verify(oidc_server, token)

    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "sts.amazonaws.com"
    assert claims["sub"] == "repo:acme/infrastructure-pipelines:ref:refs/heads/main"
    assert claims["repository"] == "acme/infrastructure-pipelines"
    assert claims["repository_owner"] == "acme"
    assert claims["job_workflow_ref"] == "acme/infrastructure-pipelines/.github/workflows/pipelines.yml@refs/heads/main"
    assert claims["event_name"] == "workflow_dispatch"
    assert claims["ref"] == "refs/heads/main"
    assert len(claims["sha"]) == 40
    assert {"actor", "run_id", "run_attempt", "workflow_ref", "jti", "iat", "nbf", "exp"} <= set(claims)
    assert 0 < claims["exp"] - claims["iat"] <= 3600


def test_a_tampered_token_fails_verification(oidc_server: OidcServer) -> None:
    header, payload, signature = oidc.request_token(oidc_server.env()).split(".")
    claims = oidc.unverified_claims(f"{header}.{payload}.{signature}")
    claims["sub"] = "repo:evil/fork:ref:refs/heads/main"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(oidc_server, f"{header}.{forged_payload}.{signature}")


def test_wrong_audience_fails_verification(oidc_server: OidcServer) -> None:
    token = oidc.request_token(oidc_server.env(), audience="api://AzureADTokenExchange")
    assert verify(oidc_server, token, audience="api://AzureADTokenExchange")["aud"] == "api://AzureADTokenExchange"
    with pytest.raises(jwt.InvalidAudienceError):
        verify(oidc_server, token)


@pytest.mark.parametrize(
    ("context", "sub"),
    [
        (
            GithubContext(event_name="pull_request", ref="refs/pull/7/merge"),
            "repo:acme/infrastructure-pipelines:pull_request",
        ),
        (GithubContext(environment="production"), "repo:acme/infrastructure-pipelines:environment:production"),
        (
            GithubContext(ref="refs/heads/feature/x", event_name="push"),
            "repo:acme/infrastructure-pipelines:ref:refs/heads/feature/x",
        ),
        (
            GithubContext(sub_claim_keys=["repo", "context", "job_workflow_ref"]),
            "repo:acme/infrastructure-pipelines:ref:refs/heads/main:job_workflow_ref:"
            "acme/infrastructure-pipelines/.github/workflows/pipelines.yml@refs/heads/main",
        ),
    ],
)
def test_subject_follows_githubs_rules(oidc_server: OidcServer, context: GithubContext, sub: str) -> None:
    oidc_server.context = context
    assert verify(oidc_server, oidc.request_token(oidc_server.env()))["sub"] == sub


def test_5xx_is_retried_then_succeeds(oidc_server: OidcServer) -> None:
    oidc_server.fail_next(2, status=503)
    pauses: list[float] = []
    token = oidc.request_token(oidc_server.env(), sleep=pauses.append)
    assert verify(oidc_server, token)
    assert len(oidc_server.requests) == 3
    assert pauses == [1.0, 2.0]


def test_persistent_5xx_gives_up_after_bounded_attempts(oidc_server: OidcServer) -> None:
    oidc_server.fail_next(10, status=502)
    with pytest.raises(oidc.OidcError, match=f"after {oidc.MAX_ATTEMPTS} attempts: HTTP 502"):
        oidc.request_token(oidc_server.env(), sleep=lambda _: None)
    assert len(oidc_server.requests) == oidc.MAX_ATTEMPTS


def test_deadline_stops_retries_early(oidc_server: OidcServer) -> None:
    oidc_server.fail_next(10, status=500)
    with pytest.raises(oidc.OidcError, match="after 2 attempts"):
        oidc.request_token(oidc_server.env(), sleep=lambda _: None, deadline_seconds=1.5)


def test_connection_refused_is_retried_and_reported() -> None:
    env = {oidc.URL_VAR: "http://127.0.0.1:9/idtoken?api-version=2.0", oidc.TOKEN_VAR: "t"}
    pauses: list[float] = []
    with pytest.raises(oidc.OidcError, match="no OIDC token from GitHub after 4 attempts"):
        oidc.request_token(env, sleep=pauses.append)
    assert len(pauses) == oidc.MAX_ATTEMPTS - 1


def test_a_4xx_is_final(oidc_server: OidcServer) -> None:
    oidc_server.fail_next(1, status=403)
    with pytest.raises(oidc.OidcError, match="HTTP 403"):
        oidc.request_token(oidc_server.env(), sleep=lambda _: None)
    assert len(oidc_server.requests) == 1


@pytest.mark.parametrize("missing", [oidc.URL_VAR, oidc.TOKEN_VAR])
def test_missing_variables_name_the_permission(oidc_server: OidcServer, missing: str) -> None:
    env = {k: v for k, v in oidc_server.env().items() if k != missing}
    with pytest.raises(oidc.OidcNotConfigured, match=f"{missing} not set.*permissions: id-token: write"):
        oidc.request_token(env)


def test_audience_is_appended_to_the_runners_query() -> None:
    assert oidc.token_url("https://x/idtoken?api-version=2.0", "sts.amazonaws.com") == (
        "https://x/idtoken?api-version=2.0&audience=sts.amazonaws.com"
    )
    assert oidc.token_url("https://x/idtoken", "api://a b") == "https://x/idtoken?audience=api%3A%2F%2Fa%20b"


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"value": 3}', b'{"value": "abc"}', b"[]"])
def test_an_answer_without_a_token_is_an_error(body: bytes) -> None:
    with pytest.raises(oidc.OidcError, match="OIDC token endpoint answered"):
        oidc._token_from(body)


def test_describe_token_shows_what_a_trust_policy_sees(oidc_server: OidcServer) -> None:
    text = oidc.describe_token(oidc_server.issue())
    assert "sub=repo:acme/infrastructure-pipelines:ref:refs/heads/main" in text
    assert "aud=sts.amazonaws.com" in text
    assert oidc.describe_token("garbage") == "unreadable token"
