"""IAM trust policies for the plan and apply roles, rendered from the templates in `templates/iam/`.

- The plan role trusts GitHub's OIDC provider for any run of the pipelines repo (`sub` like `repo:ORG/PIPELINES:*`).
- The apply role trusts only the pipelines workflow file on the default branch of the pipelines repo.

AWS offers only the token's `aud` and `sub` as condition keys (GitHub: "Support for custom claims for OIDC is
unavailable in AWS"), so `job_workflow_ref` cannot be a condition of its own. It is pinned through `sub` instead:
the pipelines repo customizes its subject claim to `repo`, `context`, `job_workflow_ref` (the body of
`PUT /repos/ORG/PIPELINES/actions/oidc/customization/sub` is `subject_customization()`), which makes `sub`
`repo:ORG/PIPELINES:ref:refs/heads/main:job_workflow_ref:ORG/PIPELINES/.github/workflows/pipelines.yml@refs/heads/main`.
Without that customization (`pin_job_workflow_ref=False`) the apply role still requires the default branch.
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
RoleKind = Literal["plan", "apply"]

_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]{1,200}")
_WORKFLOW = re.compile(r"\.github/workflows/[A-Za-z0-9._-]+\.ya?ml")


@dataclass(frozen=True)
class TrustSettings:
    """Where the pipelines run: the org, the pipelines repo, its default branch and workflow, the AWS account."""

    account_id: str
    pipelines_repo: str  # OWNER/NAME
    default_branch: str = "main"
    workflow_path: str = ".github/workflows/pipelines.yml"
    audience: str = "sts.amazonaws.com"
    pin_job_workflow_ref: bool = True

    def __post_init__(self) -> None:
        owner, _, name = self.pipelines_repo.partition("/")
        checks = [
            ("account_id", self.account_id, re.compile(r"\d{12}"), "a 12-digit AWS account id"),
            ("pipelines_repo owner", owner, _OWNER, "a GitHub owner name"),
            ("pipelines_repo name", name, _REPO, "a GitHub repository name (OWNER/NAME)"),
            ("default_branch", self.default_branch, _BRANCH, "a branch name"),
            ("workflow_path", self.workflow_path, _WORKFLOW, "a path like .github/workflows/pipelines.yml"),
        ]
        for what, value, pattern, expected in checks:
            if not pattern.fullmatch(value) or ".." in value:
                raise UserError(f"trust policy: {what} {value!r} is not {expected}")

    @property
    def provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{PROVIDER_HOST}"

    @property
    def apply_subject(self) -> str:
        ref = f"refs/heads/{self.default_branch}"
        subject = f"repo:{self.pipelines_repo}:ref:{ref}"
        if self.pin_job_workflow_ref:
            subject += f":job_workflow_ref:{self.pipelines_repo}/{self.workflow_path}@{ref}"
        return subject


_env = Environment(
    loader=PackageLoader("gwpipelines", "templates/iam"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


def render(kind: RoleKind, settings: TrustSettings) -> str:
    """The trust policy document (JSON text) for the plan or apply role."""
    text = _env.get_template(f"{kind}-role-trust.json.j2").render(
        provider_arn=settings.provider_arn,
        audience=settings.audience,
        repository=settings.pipelines_repo,
        apply_subject=settings.apply_subject,
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
