"""The new account's baseline: the pipelines repo's `account-baseline/` template rendered into the live repo's
`<account name>/` folder (`account.hcl`, `region.hcl`, the `_global` OIDC provider and pipeline roles, ...).
Pure: a template directory and values in, `{path: text}` out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import jinja2

from gwpipelines import state_policy, trust_policy
from gwpipelines.errors import UserError
from gwpipelines.trust_policy import TrustSettings

TEMPLATE_SUFFIX = ".j2"
# The state backend's names as Terragrunt interpolations of root.hcl's locals (the policy units include root.hcl
# with `expose = true`): the bucket and lock table are named in one place, the live repo's root.hcl.
STATE_BUCKET_PREFIX = "${include.root.locals.state_bucket_prefix}"
STATE_LOCK_TABLE = "${include.root.locals.state_lock_table}"
_NOT_RENDERED = {"README.md"}  # the template's own documentation, at its top level


@dataclass(frozen=True)
class BaselineValues:
    account_name: str
    account_id: str
    region: str
    pipelines_repo: str
    plan_role: str
    apply_role: str
    email: str = ""
    organizational_unit: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    account_alias: str = ""
    # The pipelines repo's environment the apply role trusts, and the workflow optionally pinned through the subject.
    apply_environment: str = trust_policy.APPLY_ENVIRONMENT
    job_workflow_ref: str | None = None
    # The account factory's management account (a bootstrap of existing accounts): its plan role also trusts the
    # factory's plan environment. Never set for the accounts the factory creates.
    account_factory: bool = False


def render(template_dir: Path, values: BaselineValues) -> dict[str, str]:
    """Every file of the template as `<account name>/<path>` -> its text, paths and `.j2` files rendered."""
    if not template_dir.is_dir():
        raise UserError(f"{template_dir}: the account baseline template is missing (set account_factory's template)")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    context = asdict(values)
    context["account_alias"] = values.account_alias or values.account_name
    context["job_workflow_ref"] = values.job_workflow_ref or ""  # as the template README documents it
    trust = TrustSettings(
        account_id=values.account_id,
        pipelines_repo=values.pipelines_repo,
        apply_environment=values.apply_environment,
        job_workflow_ref=values.job_workflow_ref,
        account_name=values.account_name,
        account_factory=values.account_factory,
    )
    # The roles trust exactly what `gwpipelines trust-policy` prints for any other account.
    context["plan_trust_policy"] = trust_policy.render("plan", trust)
    context["apply_trust_policy"] = trust_policy.render("apply", trust)
    context["plan_environment"] = trust.plan_environment
    for kind in ("plan", "apply"):
        context[f"{kind}_state_policy"] = state_policy.render(
            kind, account_id=values.account_id, bucket_prefix=STATE_BUCKET_PREFIX, lock_table=STATE_LOCK_TABLE
        )
    files: dict[str, str] = {}
    for path in sorted(p for p in template_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(template_dir).as_posix()
        if rel in _NOT_RENDERED:
            continue
        try:
            target = env.from_string(rel).render(context)
            text = path.read_text()
            if rel.endswith(TEMPLATE_SUFFIX):
                target = target.removesuffix(TEMPLATE_SUFFIX)
                text = env.from_string(text).render(context)
        except jinja2.TemplateError as e:
            line = getattr(e, "lineno", None)
            raise UserError(f"{path}{f':{line}' if line else ''}: account baseline template: {e}") from None
        files[f"{values.account_name}/{target}"] = text
    return files
