"""AWS credentials for one job: which role (plan or apply) in which account, the STS session name, the call to
`AssumeRoleWithWebIdentity` with the GitHub OIDC token, and masking the result in logs.

The roles come only from the pipelines repo's `pipelines.yml` (`authentication`): nothing in the live repo can choose
them. Credentials reach an extension only through the environment this module returns.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from gwpipelines.config import AuthenticationConfig
from gwpipelines.errors import CredentialsError as CredentialsError
from gwpipelines.errors import UserError
from gwpipelines.github import oidc
from gwpipelines.github.actions import Runner, add_mask
from gwpipelines.models import MUTATING_ACTIONS, Action

# Plans must never hold the apply role: a pull request's code runs under the plan role only.


def role_arn_for(*, action: str, account: str, auth: AuthenticationConfig) -> str:
    """The role a job with this action assumes in this account."""
    roles = auth.accounts.get(account)
    if roles is None:
        known = ", ".join(sorted(auth.accounts)) or "none"
        raise UserError(
            f"pipelines.yml: authentication.accounts has no account {account!r} (configured: {known}); "
            f"add authentication.accounts.{account} with account_id, plan_role and apply_role"
        )
    try:
        act = Action(action)
    except ValueError:
        raise UserError(f"unknown action {action!r}; expected one of {', '.join(a.value for a in Action)}") from None
    # Every other action only reads: plan, plan-destroy, account-plan.
    return roles.role_arn(roles.apply_role if act in MUTATING_ACTIONS else roles.plan_role)


# STS RoleSessionName: 2..64 characters of [\w+=,.@-] (ASCII word characters).
_SESSION_BAD = re.compile(r"[^A-Za-z0-9_+=,.@]+")
SESSION_NAME_MAX = 64


def _clean(text: str) -> str:
    # `-` counts as bad too, so runs of dashes and hostile characters collapse into one separator.
    return _SESSION_BAD.sub("-", text).strip("-")


def session_name(*, actor: str, ref: str, pr: int | None, job_id: str) -> str:
    """`gw-ACTOR-pr123-DIGEST` or `gw-ACTOR-BRANCH-DIGEST`: who and where show up in CloudTrail; the digest of the
    job id keeps parallel jobs' sessions apart. Hostile characters become `-`; long parts are cut, never the digest."""
    actor_part = _clean(actor)[:32] or "unknown"
    where = f"pr{pr}" if pr is not None else _clean(ref.removeprefix("refs/heads/").removeprefix("refs/tags/"))
    digest = hashlib.sha256(job_id.encode()).hexdigest()[:8]
    head = f"gw-{actor_part}"
    room = SESSION_NAME_MAX - len(head) - len(digest) - 2
    where = where[:room].strip("-") or "ref"
    return f"{head}-{where}-{digest}"


def assume_role_env(
    *, action: str, account: str, auth: AuthenticationConfig, session_name: str, environ: Mapping[str, str]
) -> dict[str, str]:
    """GitHub OIDC token -> STS AssumeRoleWithWebIdentity -> the environment an extension runs with.

    Inside Actions, the token and the credentials are registered with `::add-mask::` (on stderr) before anything
    else can print them; callers still pass logs through `mask(text, secrets_of(env))` for files and comments."""
    role_arn = role_arn_for(action=action, account=account, auth=auth)
    token = oidc.request_token(environ, audience=auth.audience)
    add_masks([token], environ=environ)
    creds = _assume(
        role_arn=role_arn,
        token=token,
        session=session_name,
        auth=auth,
        endpoint=environ.get("AWS_ENDPOINT_URL_STS") or None,
    )
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
        "AWS_REGION": auth.region,
        "AWS_DEFAULT_REGION": auth.region,
    }
    add_masks(secrets_of(env), environ=environ)
    return env


def _assume(*, role_arn: str, token: str, session: str, auth: AuthenticationConfig, endpoint: str | None) -> Any:
    # Imported here: boto3 costs ~0.3 s and only jobs that run need it.
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    # Unsigned: the web identity token is the only credential; ambient AWS keys must play no part.
    # botocore's standard retry mode retries throttling, 5xx and STS's IDPCommunicationError, a bounded 4 times.
    config = Config(
        signature_version=UNSIGNED,
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
    )
    client = boto3.client("sts", region_name=auth.region, endpoint_url=endpoint, config=config)
    try:
        answer = client.assume_role_with_web_identity(
            RoleArn=role_arn,
            RoleSessionName=session,
            WebIdentityToken=token,
            DurationSeconds=auth.session_duration_seconds,
        )
    except ClientError as e:
        err = e.response.get("Error", {})
        code, message = str(err.get("Code")), str(err.get("Message"))
        raise CredentialsError(
            f"AWS STS refused AssumeRoleWithWebIdentity into {role_arn}: {code}: {message}; "
            f"{_hint(code, message)} ({oidc.describe_token(token)})"
        ) from None
    except BotoCoreError as e:
        raise CredentialsError(f"could not reach AWS STS to assume {role_arn}: {e}") from None
    return answer["Credentials"]


def _hint(code: str, message: str) -> str:
    """What to do about STS's answer, in the words of our config and templates."""
    if code == "ValidationError" and "MaxSessionDuration" in message:
        return "lower authentication.session_duration_seconds or raise the role's MaxSessionDuration"
    if code == "InvalidIdentityToken":
        return (
            "check that the account has the IAM OIDC provider token.actions.githubusercontent.com "
            "with authentication.audience among its client ids"
        )
    if code == "ExpiredTokenException":
        return "the GitHub OIDC token expired before STS saw it; re-run the job"
    return "check that the role's trust policy (gwpipelines trust-policy) allows this token"


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`; longest first, so a secret containing another is fully hidden."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def secrets_of(env: Mapping[str, str]) -> list[str]:
    """The values in a credentials environment that must never be printed."""
    return [env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)]


def add_masks(secrets: Iterable[str], *, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
    """Inside GitHub Actions, tell the runner to mask each secret in every later log line (`::add-mask::`).
    Outside Actions this does nothing: the command would only echo the secret. The runner reads workflow commands
    from stderr as well as stdout; stderr keeps stdout clean for the JSON contract."""
    if Runner.from_mapping(environ).in_actions:
        add_mask(secrets, stream=stream or sys.stderr)
