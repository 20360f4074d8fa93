"""`gwpipelines trust-policy plan|apply|subject`: the IAM trust policy for an account's plan or apply role, or the
pipelines repo's OIDC subject customization the apply policy relies on. JSON on stdout, ready for IAM or Terraform."""

from __future__ import annotations

import click

from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.errors import UserError
from gwpipelines.trust_policy import TrustSettings, policy, subject_customization


@click.command("trust-policy")
@click.argument("kind", type=click.Choice(["plan", "apply", "subject"]))
@click.option("--account-id", help="The AWS account that holds the role (12 digits); required for plan and apply.")
@click.option("--pipelines-repo", help="OWNER/NAME of the pipelines repo; required for plan and apply.")
@click.option("--branch", default="main", show_default=True, help="The pipelines repo's default branch.")
@click.option(
    "--workflow",
    default=".github/workflows/pipelines.yml",
    show_default=True,
    help="The pipelines workflow file whose runs may apply.",
)
@click.option("--audience", default="sts.amazonaws.com", show_default=True)
@click.option(
    "--pin-workflow/--no-pin-workflow",
    default=True,
    show_default=True,
    help="Pin the apply role to the workflow file through the customized `sub` (see `trust-policy subject`).",
)
@format_option("json", "text", default="json")
# Accepted as by every command; a trust policy depends on the options only.
@repo_option
def command(
    repo: str,
    kind: str,
    account_id: str | None,
    pipelines_repo: str | None,
    branch: str,
    workflow: str,
    audience: str,
    pin_workflow: bool,
    fmt: str,
) -> None:
    """Print an IAM role trust policy for GitHub OIDC (plan or apply role), or the OIDC subject customization."""
    if kind == "subject":
        emit_json(subject_customization())
        if fmt == "text":
            click.echo(f"PUT it to /repos/{pipelines_repo or 'OWNER/NAME'}/actions/oidc/customization/sub", err=True)
        return
    if not account_id or not pipelines_repo:
        raise UserError(f"trust-policy {kind}: --account-id and --pipelines-repo are required")
    settings = TrustSettings(
        account_id=account_id,
        pipelines_repo=pipelines_repo,
        default_branch=branch,
        workflow_path=workflow,
        audience=audience,
        pin_job_workflow_ref=pin_workflow,
    )
    emit_json(policy("plan" if kind == "plan" else "apply", settings))
    if fmt == "text" and kind == "apply" and pin_workflow:
        click.echo("this policy needs the subject customization: gwpipelines trust-policy subject", err=True)
