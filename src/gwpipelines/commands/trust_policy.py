"""`gwpipelines trust-policy plan|apply|subject`: the IAM trust policy for an account's plan or apply role, or the
pipelines repo's OIDC subject customization that `--job-workflow-ref` relies on. JSON on stdout, ready for IAM or
Terraform."""

from __future__ import annotations

import click

from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.errors import UserError
from gwpipelines.trust_policy import APPLY_ENVIRONMENT, TrustSettings, policy, subject_customization

# Flags of the branch-based apply trust, which a plan job could satisfy: they fail, saying what replaced them.
_REMOVED = {
    "branch": "--branch was removed: the apply role trusts the --environment (default gwpipelines-apply); "
    "restrict that environment's deployment branches to the default branch instead",
    "workflow": "--workflow was removed: pin the workflow with "
    "--job-workflow-ref OWNER/REPO/.github/workflows/FILE@REF",
    "pin_workflow": "--pin-workflow/--no-pin-workflow were removed: the default subject is trusted unless "
    "--job-workflow-ref OWNER/REPO/.github/workflows/FILE@REF is given",
}


@click.command("trust-policy")
@click.argument("kind", type=click.Choice(["plan", "apply", "subject"]))
@click.option("--account-id", help="The AWS account that holds the role (12 digits); required for plan and apply.")
@click.option("--pipelines-repo", help="OWNER/NAME of the pipelines repo; required for plan and apply.")
@click.option(
    "--account",
    "account_name",
    help="plan: the account's name (as in pipelines.yml); its plan role trusts only the pipelines repo's "
    "environment gwpipelines-plan-<NAME>. Required for plan.",
)
@click.option(
    "--environment",
    default=APPLY_ENVIRONMENT,
    show_default=True,
    help="The pipelines repo's GitHub environment that apply jobs run in; the only one the apply role trusts.",
)
@click.option(
    "--account-factory",
    is_flag=True,
    help="plan: this is the account factory's management account: its plan role also trusts the factory's "
    "environment gwpipelines-account-factory (where account-plan jobs run).",
)
@click.option("--audience", default="sts.amazonaws.com", show_default=True)
@click.option(
    "--job-workflow-ref",
    help="Also pin the apply role to this workflow (OWNER/REPO/.github/workflows/FILE@REF, the gwpipelines reusable "
    "workflow the pipelines repo calls) through the customized `sub` (see `trust-policy subject`).",
)
@click.option("--branch", hidden=True)
@click.option("--workflow", hidden=True)
@click.option("--pin-workflow/--no-pin-workflow", hidden=True, default=None)
@format_option("json", "text", default="json")
# Accepted as by every command; a trust policy depends on the options only.
@repo_option
def command(
    repo: str,
    kind: str,
    account_id: str | None,
    pipelines_repo: str | None,
    account_name: str | None,
    account_factory: bool,
    environment: str,
    audience: str,
    job_workflow_ref: str | None,
    branch: str | None,
    workflow: str | None,
    pin_workflow: bool | None,
    fmt: str,
) -> None:
    """Print an IAM role trust policy for GitHub OIDC (plan or apply role), or the OIDC subject customization."""
    for name, value in (("branch", branch), ("workflow", workflow), ("pin_workflow", pin_workflow)):
        if value is not None:
            raise UserError(f"trust-policy: {_REMOVED[name]}")
    if kind == "subject":
        emit_json(subject_customization())
        if fmt == "text":
            click.echo(f"PUT it to /repos/{pipelines_repo or 'OWNER/NAME'}/actions/oidc/customization/sub", err=True)
        return
    if not account_id or not pipelines_repo:
        raise UserError(f"trust-policy {kind}: --account-id and --pipelines-repo are required")
    if kind == "plan" and not account_name:
        raise UserError(
            "trust-policy plan: --account NAME is required: each account's plan role trusts only that account's "
            "plan environment (gwpipelines-plan-NAME), so one account's plan cannot assume another's role"
        )
    settings = TrustSettings(
        account_id=account_id,
        pipelines_repo=pipelines_repo,
        apply_environment=environment,
        audience=audience,
        job_workflow_ref=job_workflow_ref,
        account_name=account_name,
        account_factory=account_factory,
    )
    emit_json(policy("plan" if kind == "plan" else "apply", settings))
    if fmt == "text" and kind == "plan":
        click.echo(
            f"plan jobs for this account must run in the GitHub environment {settings.plan_environment!r} of "
            f"{pipelines_repo} (the pipelines workflow enters it per account)",
            err=True,
        )
    if fmt == "text" and kind == "apply":
        click.echo(
            f"apply jobs must run in the GitHub environment {environment!r} of {pipelines_repo} "
            "(deployment branches: the default branch only)",
            err=True,
        )
        if job_workflow_ref:
            click.echo("this policy needs the subject customization: gwpipelines trust-policy subject", err=True)
