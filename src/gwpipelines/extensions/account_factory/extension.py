"""The `account-factory` extension: runs the `account-plan` and `account-create` jobs of an `AccountAdded` change.

- account-plan (pull request): checks the request in `accounts.yml` against AWS Organizations through the management
  account's plan role and reports what will be created (the result's message, outputs and summary feed the comment).
- account-create (merge): creates the account through the management account's apply role (or picks up the one an
  earlier run created), moves it into its OU, and opens the baseline pull request in the live repo.

The executor assumes the management account's role for these jobs (`management_account`); the extension reads the
request from the checkout of the live repo at the job's commit, and the live repo token from `github_token_env`."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from gwpipelines import accounts, git
from gwpipelines.errors import GwError, UserError
from gwpipelines.extensions.account_factory import baseline
from gwpipelines.extensions.account_factory import factory as af
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step
from gwpipelines.github.actions import Runner
from gwpipelines.models.results import PlanSummary
from gwpipelines.trust_policy import APPLY_ENVIRONMENT

PLAN, CREATE = "account-plan", "account-create"
_REPO = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"


class AccountFactoryConfig(ExtensionConfig):
    management_account: str = Field(
        default="management",
        description="The authentication.accounts entry whose roles call AWS Organizations (plan role for "
        "account-plan, apply role for account-create).",
    )
    live_repo: str | None = Field(
        default=None,
        pattern=_REPO,
        description="OWNER/NAME of the live repo; default: core.live_repo ($GWPIPELINES_LIVE_REPO).",
    )
    pipelines_repo: str | None = Field(
        default=None, pattern=_REPO, description="OWNER/NAME the new roles trust; default: $GITHUB_REPOSITORY."
    )
    apply_environment: str = Field(
        default=APPLY_ENVIRONMENT,
        pattern=r"^[A-Za-z0-9._-]{1,255}$",
        description="The pipelines repo's GitHub environment of apply jobs: the only one the apply role trusts.",
    )
    job_workflow_ref: str | None = Field(
        default=None,
        description="Also pin the apply role to this workflow (OWNER/REPO/.github/workflows/FILE@REF) through the "
        "customized OIDC subject (gwpipelines trust-policy subject); default: GitHub's default subject.",
    )
    template: str = Field(
        default="account-baseline",
        description="The baseline template directory: relative to pipelines.yml's folder, else to $GITHUB_WORKSPACE.",
    )
    default_region: str = Field(default="us-east-1", description="Home region of accounts that set no region.")
    plan_role: str = Field(default="gwpipelines-plan", description="Name of the new account's plan role.")
    apply_role: str = Field(default="gwpipelines-apply", description="Name of the new account's apply role.")
    alias_prefix: str = Field(default="", description="IAM account alias = this prefix + the account name.")
    branch_prefix: str = Field(default="gwpipelines/account-", description="Baseline branch = prefix + account name.")
    github_token_env: str = Field(
        default="GWPIPELINES_ACCOUNT_FACTORY_TOKEN",
        description="Environment variable holding a token with contents: write and pull-requests: write on the "
        "live repo (GITHUB_TOKEN is withheld from extensions).",
    )
    github_throttle: bool = Field(default=True, description="Space GitHub API writes out (secondary rate limits).")
    poll_seconds: float = Field(default=5.0, gt=0, le=300, description="First wait between status polls (doubles).")
    poll_max_seconds: float = Field(default=30.0, gt=0, le=600, description="Longest wait between status polls.")
    creation_deadline_seconds: float = Field(default=1800, gt=0, le=7200, description="Give up waiting after this.")


class AccountFactoryExtension(Extension):
    Config: ClassVar[type[ExtensionConfig]] = AccountFactoryConfig
    actions: ClassVar[frozenset[str]] = frozenset({PLAN, CREATE})

    @classmethod
    def role_account(cls, config: ExtensionConfig, job_account: str | None) -> str | None:
        """Account jobs act through AWS Organizations in the management account: the new account has no roles yet."""
        assert isinstance(config, AccountFactoryConfig)
        return config.management_account

    @classmethod
    def private_env(cls, config: ExtensionConfig) -> frozenset[str]:
        """The live repo token is for the baseline pull request only, never for Terragrunt runs."""
        assert isinstance(config, AccountFactoryConfig)
        return frozenset({config.github_token_env})

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        super().__init__(name, config, unit)
        assert isinstance(config, AccountFactoryConfig)
        self.settings = config
        self._outputs: dict[str, Any] = {}

    def initialize(self, step: Step) -> None:
        if not step.account:
            raise ExtensionError(f"{step.action} needs the job's account (the accounts.yml entry to create)")
        path = step.checkout / accounts.ACCOUNTS_FILE
        if not path.is_file():
            raise ExtensionError(f"{accounts.ACCOUNTS_FILE} is missing at the job's commit")
        try:
            listed = accounts.parse(path.read_text())
        except UserError as e:  # the request itself is malformed: say where, as the orchestrator would
            raise ExtensionError(str(e)) from None
        if step.account not in listed:
            raise ExtensionError(f"{accounts.ACCOUNTS_FILE} has no account '{step.account}' at the job's commit")
        self.account = listed[step.account]
        self.request = af.AccountRequest.of(step.account, self.account)
        if step.action == CREATE:
            # Checked before anything is created: an account without its baseline pull request is half a job.
            self._github = self._github_settings(step.env)
            self._template_dir = self._template(step.env)
            if not self._template_dir.is_dir():
                raise ExtensionError(f"the account baseline template {self._template_dir} is missing")

    def _github_settings(self, env: Mapping[str, str]) -> tuple[str, str, str]:
        live_repo = self.settings.live_repo or env.get("GWPIPELINES_LIVE_REPO")
        pipelines_repo = self.settings.pipelines_repo or Runner.from_mapping(env).repository
        token = env.get(self.settings.github_token_env)
        if not live_repo or not pipelines_repo or not token:
            raise ExtensionError(
                "the baseline pull request needs account_factory.live_repo (or $GWPIPELINES_LIVE_REPO), account_factory"
                f".pipelines_repo (or $GITHUB_REPOSITORY) and a token in ${self.settings.github_token_env}"
            )
        return live_repo, pipelines_repo, token

    def execute(self, step: Step) -> Outcome:
        try:
            org = organizations_client(step.env)
            return self._plan(step, org) if step.action == PLAN else self._create(step, org)
        except (af.AccountRequestInvalid, af.AccountCreationFailed) as e:
            step.log(f"account-factory: {e}")
            return Outcome(ok=False, message=str(e))
        except GwError as e:
            step.log(f"account-factory: {e}")
            return Outcome(ok=False, message=str(e), transient=e.exit_code == 1)
        except (BotoCoreError, ClientError) as e:  # throttling and endpoint errors are worth another attempt
            step.log(f"account-factory: {type(e).__name__}: {e}")
            return Outcome(ok=False, message=f"AWS Organizations: {e}", transient=_is_transient(e))

    def get_output_data(self) -> dict[str, Any]:
        return dict(self._outputs)

    def _plan(self, step: Step, org: Any) -> Outcome:
        # An entry added with its id is an existing account brought under management: checked, never created.
        known = self.account.id
        plan = af.plan_existing(org, self.request, known) if known else af.plan(org, self.request)
        self._outputs = {**plan.to_outputs(), "region": self._region()}
        step.log(plan.details(self._region()))
        creates = plan.ok and plan.existing_id is None and plan.in_progress_request_id is None
        return Outcome(
            ok=plan.ok,
            summary=PlanSummary(add=1 if creates else 0),
            resources=(f"aws_organizations_account.{self.request.name}",),
            message=plan.describe(),
        )

    def _create(self, step: Step, org: Any) -> Outcome:
        # The job's own time limit caps the wait too, so a slow creation ends as a clear failure, not a kill.
        deadline = min(self.settings.creation_deadline_seconds, step.timeout_seconds or math.inf)
        backoff = af.Backoff(self.settings.poll_seconds, 2.0, self.settings.poll_max_seconds, deadline)
        if self.account.id:  # an existing account added to accounts.yml: checked by the plan, never created
            step.log(f"account {self.request.name} already has id {self.account.id} in accounts.yml: nothing to create")
            self._outputs = {"account_name": self.request.name, "account_id": self.account.id, "created": False}
            return Outcome(ok=True, message=f"account {self.request.name} ({self.account.id}) is already recorded")
        made = af.create(org, self.request, backoff=backoff)
        verb = "created" if made.created else "found (created by an earlier run)"
        step.log(f"account {made.name} {verb}: {made.id}, in {made.parent_id}")
        self._outputs = made.to_outputs()
        pull = self._baseline_pull(step, made)
        self._outputs.update(baseline_pr=pull.html_url, baseline_pr_number=pull.number, baseline_branch=pull.branch)
        step.log(f"baseline pull request {'opened' if pull.opened else 'already open'}: {pull.html_url}")
        return Outcome(
            ok=True,
            summary=PlanSummary(add=1 if made.created else 0),
            resources=(f"aws_organizations_account.{made.name}",),
            message=f"account {made.name} {verb}: {made.id}; baseline pull request {pull.html_url}",
        )

    def _baseline_pull(self, step: Step, made: af.CreatedAccount) -> Any:
        from gwpipelines.extensions.account_factory import baseline_pr
        from gwpipelines.github.client import token_auth

        env = step.env
        live_repo, pipelines_repo, token = self._github
        values = baseline.BaselineValues(
            account_name=made.name,
            account_id=made.id,
            region=self._region(),
            pipelines_repo=pipelines_repo,
            plan_role=self.settings.plan_role,
            apply_role=self.settings.apply_role,
            email=made.email,
            organizational_unit=self.request.organizational_unit,
            tags=dict(self.request.tags),
            account_alias=self.settings.alias_prefix + made.name,
            apply_environment=self.settings.apply_environment,
            job_workflow_ref=self.settings.job_workflow_ref,
        )
        files = baseline.render(self._template_dir, values)
        gh = baseline_pr.BaselinePulls(
            token_auth(token),
            api_url=Runner.from_mapping(env).api_url,
            token_env=self.settings.github_token_env,
            throttle=self.settings.github_throttle,
        )
        request_pr = _request_pr(gh, live_repo, step.checkout)
        return baseline_pr.open_baseline_pull(
            gh,
            baseline_pr.BaselineRequest(live_repo, made.name, made.id, files, request_pr, self.settings.branch_prefix),
        )

    def _region(self) -> str:
        return self.account.region or self.settings.default_region

    def _template(self, env: Mapping[str, str]) -> Path:
        path = Path(self.settings.template)
        if path.is_absolute():
            return path
        # Next to pipelines.yml first; then the workflow's workspace (where the pipelines repo may sit in a subfolder).
        bases = [env.get("GWPIPELINES_CONFIG_DIR"), Runner.from_mapping(env).workspace, os.getcwd()]
        candidates = [Path(base) / path for base in bases if base]
        return next((c for c in candidates if c.is_dir()), candidates[0])


def organizations_client(env: Any) -> Any:
    """An Organizations client with the job's (management account) credentials from the step's environment only."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "organizations",
        region_name="us-east-1",  # Organizations' one endpoint
        endpoint_url=env.get("AWS_ENDPOINT_URL_ORGANIZATIONS") or None,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60),
    )


def _request_pr(gh: Any, live_repo: str, checkout: Path) -> int | None:
    """The merged pull request that requested the account (linked from the baseline pull request), if any."""
    head = git.try_rev_parse(checkout, "HEAD")
    if not head:
        return None
    pulls = gh.pulls_for_commit(live_repo, head[0])
    return int(pulls[0].number) if pulls else None


def _is_transient(e: BotoCoreError | ClientError) -> bool:
    if isinstance(e, ClientError):
        code = e.response.get("Error", {}).get("Code", "")
        return code in {"TooManyRequestsException", "ConcurrentModificationException", "ServiceException"}
    return type(e).__name__ in {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}
