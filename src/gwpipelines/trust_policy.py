"""IAM trust policies for the plan and apply roles, rendered from the templates in `templates/iam/`.

- An account's plan role trusts only jobs of the pipelines repo that run in that account's plan environment
  (`gwpipelines-plan-<account>`): `sub` = `repo:ORG/PIPELINES:environment:gwpipelines-plan-<account>`. A plan runs
  pull-request code next to the job's OIDC token request variables; with one environment per account, that code
  can obtain only the plan role of the account it plans, never another account's (the management account's
  included).
- The apply role trusts only jobs of the pipelines repo that run in its apply environment (`gwpipelines-apply`):
  `sub` = `repo:ORG/PIPELINES:environment:gwpipelines-apply`.

Why the environment and not the branch: every pipelines run, plan or apply, is a workflow_dispatch on the pipelines
repo's default branch, so by ref a plan job's token is indistinguishable from an apply job's. A plan runs pull-request
code, which can read the runner's token request variables; only the environment, which the workflow gives apply jobs
alone, separates them. The environment's deployment branch rule (default branch only) keeps other refs out of it.

AWS offers only the token's `aud` and `sub` as condition keys (GitHub: "Support for custom claims for OIDC is
unavailable in AWS"), so `job_workflow_ref` cannot be a condition of its own. Optionally it is pinned through `sub`:
the pipelines repo customizes its subject claim to `repo`, `context`, `job_workflow_ref` (the body of
`PUT /repos/ORG/PIPELINES/actions/oidc/customization/sub` is `subject_customization()`); for an environment job
`context` is `environment:NAME`, so `sub` becomes
`repo:ORG/PIPELINES:environment:gwpipelines-apply:job_workflow_ref:OWNER/REPO/.github/workflows/FILE@REF`, where
`job_workflow_ref` is the workflow that holds the job: the gwpipelines reusable workflow at the release the pipelines
repo calls. Without the customization (`job_workflow_ref=None`, the default) the default subject is trusted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from gwpipelines.errors import UserError

PROVIDER_HOST = "token.actions.githubusercontent.com"
SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")
# The GitHub environment the pipelines workflow runs apply jobs in; the apply role trusts only its tokens.
APPLY_ENVIRONMENT = "gwpipelines-apply"
# Plan jobs for account A run in the environment `gwpipelines-plan-A`; A's plan role trusts only its tokens.
PLAN_ENVIRONMENT_PREFIX = "gwpipelines-plan-"
# The account factory's account-plan jobs use the management account's plan role from an environment of their own
# (the new account has no role yet): the management account's plan role trusts it too (`account_factory=True`).
FACTORY_PLAN_ENVIRONMENT = "gwpipelines-account-factory"
RoleKind = Literal["plan", "apply"]

_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
# Environment names: no `:` (it separates the subject's parts) and no IAM wildcards.
_ENVIRONMENT = re.compile(r"[A-Za-z0-9._-]{1,255}")
_JOB_WORKFLOW_REF = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}/\.github/workflows/[A-Za-z0-9._-]+\.ya?ml"
    r"@(?:refs/(?:heads|tags)/[A-Za-z0-9._/-]{1,200}|[0-9a-f]{40})"
)


@dataclass(frozen=True)
class TrustSettings:
    """Who may assume the roles: the pipelines repo, its apply environment, optionally the pinned workflow."""

    account_id: str
    pipelines_repo: str  # OWNER/NAME
    apply_environment: str = APPLY_ENVIRONMENT
    audience: str = "sts.amazonaws.com"
    # OWNER/REPO/.github/workflows/FILE@REF to pin through the customized subject; None = GitHub's default subject.
    job_workflow_ref: str | None = None
    # The account's name (accounts.yml, pipelines.yml): names its plan environment. Required for a plan policy.
    account_name: str | None = None
    # The management account of the account factory: its plan role also trusts the factory's plan environment.
    account_factory: bool = False

    def __post_init__(self) -> None:
        owner, _, name = self.pipelines_repo.partition("/")
        checks = [
            ("account_id", self.account_id, re.compile(r"\d{12}"), "a 12-digit AWS account id"),
            ("pipelines_repo owner", owner, _OWNER, "a GitHub owner name"),
            ("pipelines_repo name", name, _REPO, "a GitHub repository name (OWNER/NAME)"),
            (
                "apply_environment",
                self.apply_environment,
                _ENVIRONMENT,
                "a GitHub environment name like gwpipelines-apply",
            ),
        ]
        if self.account_name is not None:
            checks.append(("account_name", self.account_name, _ENVIRONMENT, "an account name like non-prod"))
        if self.job_workflow_ref is not None:
            checks.append(
                (
                    "job_workflow_ref",
                    self.job_workflow_ref,
                    _JOB_WORKFLOW_REF,
                    "OWNER/REPO/.github/workflows/FILE.yml@REF (a refs/heads/, refs/tags/ or 40-hex commit ref)",
                )
            )
        for what, value, pattern, expected in checks:
            if not pattern.fullmatch(value) or ".." in value:
                raise UserError(f"trust policy: {what} {value!r} is not {expected}")

    @property
    def provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{PROVIDER_HOST}"

    @property
    def apply_subject(self) -> str:
        return self._subject(self.apply_environment)

    @property
    def plan_environment(self) -> str:
        if self.account_name is None:
            raise UserError("trust policy: a plan role trusts one account's plan environment: give the account name")
        return plan_environment(self.account_name)

    @property
    def plan_subject(self) -> str:
        return self._subject(self.plan_environment)

    @property
    def plan_subjects(self) -> list[str]:
        subjects = [self.plan_subject]
        if self.account_factory:
            subjects.append(self._subject(FACTORY_PLAN_ENVIRONMENT))
        return subjects

    def _subject(self, environment: str) -> str:
        subject = f"repo:{self.pipelines_repo}:environment:{environment}"
        if self.job_workflow_ref is not None:
            subject += f":job_workflow_ref:{self.job_workflow_ref}"
        return subject


def plan_environment(account_name: str) -> str:
    """The GitHub environment of the pipelines repo that plan jobs for `account_name` run in."""
    return f"{PLAN_ENVIRONMENT_PREFIX}{account_name}"


_env = Environment(
    loader=PackageLoader("gwpipelines", "templates/iam"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


def render(kind: RoleKind, settings: TrustSettings) -> str:
    """The trust policy document (JSON text) for the plan or apply role."""
    subjects = settings.plan_subjects if kind == "plan" else [settings.apply_subject]
    # One subject is written as a string (what IAM shows and people read), several as a list (any one matches).
    subject: str | list[str] = subjects[0] if len(subjects) == 1 else subjects
    text = _env.get_template("role-trust.json.j2").render(
        sid="GwpipelinesPlanFromTheAccountsPlanEnvironment"
        if kind == "plan"
        else "GwpipelinesApplyFromTheApplyEnvironment",
        provider_arn=settings.provider_arn,
        audience=settings.audience,
        subject=subject,
    )
    json.loads(text)  # a template mistake must fail here, not in IAM
    return text


def policy(kind: RoleKind, settings: TrustSettings) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(kind, settings))
    return document


def subject_customization() -> dict[str, Any]:
    """The pipelines repo's OIDC subject template that puts `job_workflow_ref` into `sub`."""
    text = _env.get_template("oidc-subject-customization.json.j2").render(include_claim_keys=list(SUBJECT_CLAIM_KEYS))
    body: dict[str, Any] = json.loads(text)
    return body
