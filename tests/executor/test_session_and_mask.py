"""Session names (STS rules, hostile input), role choice and config validation, masking secrets in logs."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gwpipelines.errors import UserError
from gwpipelines.executor.credentials import (
    AuthenticationConfig,
    add_masks,
    mask,
    role_arn_for,
    secrets_of,
    session_name,
)

# What STS accepts for RoleSessionName (API reference): 2 to 64 characters of [\w+=,.@-].
STS_SESSION_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{2,64}")

hostile_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list(" \t\n/\\:;'\"`$(){}[]<>|&*?!#%~")),
    max_size=300,
)


@given(actor=hostile_text, ref=hostile_text, pr=st.none() | st.integers(0, 10**12), job_id=hostile_text)
def test_session_name_is_always_valid_for_sts(actor: str, ref: str, pr: int | None, job_id: str) -> None:
    name = session_name(actor=actor, ref=ref, pr=pr, job_id=job_id)
    assert STS_SESSION_NAME.fullmatch(name), name


# GitHub logins: alphanumerics and single inner hyphens, at most 39 characters.
github_login = st.from_regex(r"[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,9})?", fullmatch=True)


@given(actor=github_login, pr=st.integers(1, 10**7), job=hostile_text)
def test_session_name_shows_actor_and_pr(actor: str, pr: int, job: str) -> None:
    name = session_name(actor=actor, ref="refs/pull/1/merge", pr=pr, job_id=job)
    assert name.startswith(f"gw-{actor}-pr{pr}-")


@given(job_a=hostile_text, job_b=hostile_text)
def test_parallel_jobs_get_distinct_sessions(job_a: str, job_b: str) -> None:
    a = session_name(actor="octocat", ref="refs/heads/main", pr=None, job_id=job_a)
    b = session_name(actor="octocat", ref="refs/heads/main", pr=None, job_id=job_b)
    assert (a == b) == (job_a == job_b)


def test_session_name_examples() -> None:
    assert session_name(actor="octocat", ref="refs/heads/main", pr=None, job_id="apply:live/vpc").startswith(
        "gw-octocat-main-"
    )
    long = session_name(actor="dependabot[bot]", ref="refs/heads/" + "feature/" * 20, pr=None, job_id="plan:a")
    assert long.startswith("gw-dependabot-bot-feature-feature-")
    assert len(long) == 64
    assert session_name(actor="", ref="", pr=None, job_id="").startswith("gw-unknown-ref-")
    assert session_name(actor="ü$(rm -rf /)", ref="x", pr=12, job_id="j").startswith("gw-rm-rf-pr12-")


AUTH = AuthenticationConfig.model_validate(
    {"accounts": {"prod": {"account_id": 111111111111, "plan_role": "p", "apply_role": "/ops/a"}}}
)


def test_defaults_and_expansion() -> None:
    assert AUTH.region == "us-east-1"
    assert AUTH.session_duration_seconds == 3600
    assert AUTH.audience == "sts.amazonaws.com"
    assert role_arn_for(action="plan", account="prod", auth=AUTH) == "arn:aws:iam::111111111111:role/p"
    assert role_arn_for(action="destroy", account="prod", auth=AUTH) == "arn:aws:iam::111111111111:role/ops/a"


def test_unknown_action_is_refused() -> None:
    with pytest.raises(UserError, match="unknown action 'import'"):
        role_arn_for(action="import", account="prod", auth=AUTH)


def test_unknown_account_lists_the_configured_ones() -> None:
    with pytest.raises(UserError, match=r"no account 'stage' \(configured: prod\)"):
        role_arn_for(action="plan", account="stage", auth=AUTH)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"session_duration_seconds": 899}, "session_duration_seconds"),
        ({"session_duration_seconds": 43201}, "session_duration_seconds"),
        ({"region": "mars"}, "region"),
        ({"regoin": "us-east-1"}, "regoin"),
        ({"accounts": {"a": {"account_id": "12345", "plan_role": "p", "apply_role": "a"}}}, "accounts.a.account_id"),
        # YAML reads `account_id: 011111111111` as an octal integer: refused, not padded into another account's id.
        ({"accounts": {"a": {"account_id": 0o11111111111, "plan_role": "p", "apply_role": "a"}}}, "12-digit"),
        ({"accounts": {"a": {"account_id": "123456789012", "plan_role": "bad role", "apply_role": "a"}}}, "plan_role"),
        (
            {"accounts": {"a": {"account_id": "123456789012", "plan_role": "p", "apply_role": "arn:aws:s3:::b"}}},
            "apply",
        ),
        ({"accounts": {"a": {"account_id": "123456789012", "plan_role": "p"}}}, "accounts.a.apply_role"),
    ],
)
def test_bad_authentication_sections_name_the_field(section: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(field)):
        AuthenticationConfig.model_validate(section)


ENV = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEKEY123456",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr//////////wEaDGV4YW1wbGUtdG9rZW4i",
    "AWS_REGION": "eu-west-1",
}


def test_mask_removes_every_secret_from_a_log() -> None:
    log = "\n".join(
        [
            f"export AWS_ACCESS_KEY_ID={ENV['AWS_ACCESS_KEY_ID']}",
            f"secret={ENV['AWS_SECRET_ACCESS_KEY']} again {ENV['AWS_SECRET_ACCESS_KEY']}",
            f"token:{ENV['AWS_SESSION_TOKEN']}{ENV['AWS_ACCESS_KEY_ID']}",
            "region eu-west-1 stays",
        ]
    )
    masked = mask(log, secrets_of(ENV))
    for secret in secrets_of(ENV):
        assert secret not in masked
    assert "region eu-west-1 stays" in masked
    assert masked.count("***") == 5


def test_mask_hides_a_secret_containing_another() -> None:
    assert mask("abc-abcdef", ["abc", "abcdef", ""]) == "***-***"


# Credentials never contain `*` (base64 / alphanumerics), so the mask cannot rebuild one.
secret_text = st.text(st.characters(exclude_characters="*", codec="utf-8"), min_size=4, max_size=20)


@given(st.text(max_size=200), st.lists(secret_text, max_size=4))
def test_mask_leaves_no_secret(text: str, secrets: list[str]) -> None:
    masked = mask(text + "".join(secrets), secrets)
    assert all(s not in masked for s in secrets)


def test_add_masks_inside_actions_only() -> None:
    out = io.StringIO()
    add_masks(secrets_of(ENV), environ={}, stream=out)
    assert out.getvalue() == ""
    add_masks([*secrets_of(ENV), "two\nlines"], environ={"GITHUB_ACTIONS": "true"}, stream=out)
    assert out.getvalue().splitlines() == [f"::add-mask::{s}" for s in secrets_of(ENV)] + [
        "::add-mask::two",
        "::add-mask::lines",
    ]
