"""`gwpipelines init live|pipelines DIR`: write the GitHub workflows, configuration and setup README of one of the
two repositories, with the user's organisation, repository and account names.

- `init live --accounts NAME=ID=EMAIL,...` also writes `accounts.yml`; with `--bootstrap`, each account's one-time
  bootstrap units under `<account>/_global/` (the OIDC provider, the plan and apply roles and their state policies),
  rendered from the same account baseline the account factory uses for new accounts.
- `init pipelines` also writes `account-baseline/`, the account factory's template (copied, not rendered: the factory
  renders it per account)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jinja2
from pydantic import ValidationError

from gwpipelines import accounts, release, unit_globs
from gwpipelines.accounts import ACCOUNT_NAME
from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.config import AccountRoles, AuthenticationConfig
from gwpipelines.errors import UserError
from gwpipelines.extensions.account_factory import baseline
from gwpipelines.trust_policy import APPLY_ENVIRONMENT

DEFAULT_GWPIPELINES_REPO = "gwpipelines/gwpipelines"

# Output path -> template (under gwpipelines/templates/init/). Hidden paths are named here, not in the package
# data, because package-data globs skip dot-directories.
FILES: dict[str, dict[str, str]] = {
    "live": {
        ".github/workflows/gwpipelines.yml": "live/gwpipelines.yml",
        ".github/workflows/gwpipelines-drift.yml": "live/drift.yml",
        ".github/workflows/README.md": "live/README.md",
        ".github/zizmor.yml": "zizmor.yml",
        ".github/dependabot.yml": "dependabot.yml",
    },
    "pipelines": {
        "pipelines.yml": "pipelines/pipelines.yml",
        "mise.toml": "pipelines/mise.toml",
        ".github/workflows/pipelines.yml": "pipelines/workflow.yml",
        ".github/zizmor.yml": "zizmor.yml",
        ".github/dependabot.yml": "dependabot.yml",
        "README.md": "pipelines/README.md",
    },
}

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_ACCOUNT = re.compile(r"^(?P<name>[A-Za-z0-9._-]{1,64})=(?P<id>\d{12})(?:=(?P<email>[^=,\s]+))?$")
# The account baseline's files a bootstrap of an existing account writes: the account-wide IAM settings
# (iam-account: alias, password policy) are left out, an existing account has its own.
_BOOTSTRAP_SKIP = ("_global/iam-account/",)
BASELINE_DIR = "account-baseline"
_REF = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")


@dataclass(frozen=True)
class Account:
    name: str
    id: str
    email: str = ""


def full_repo(org: str | None, name: str, flag: str) -> str:
    """`NAME` (in `--org`) or `OWNER/NAME` -> `OWNER/NAME`."""
    owner, _, repo = name.rpartition("/")
    owner = owner or (org or "")
    if not owner:
        raise UserError(f"{flag} {name!r} has no owner: pass --org ORG or {flag} OWNER/NAME")
    if not (_NAME.match(owner) and _NAME.match(repo)):
        raise UserError(f"{flag} {name!r} is not a GitHub OWNER/NAME (letters, digits, '.', '_', '-')")
    return f"{owner}/{repo}"


def parse_accounts(values: tuple[str, ...]) -> list[Account]:
    """`--accounts non-prod=111122223333,prod=444455556666` (repeatable)."""
    accounts: dict[str, Account] = {}
    for item in (part.strip() for value in values for part in value.split(",")):
        if not item:
            continue
        m = _ACCOUNT.match(item)
        if not m:
            raise UserError(
                f"--accounts {item!r}: write NAME=ID (or NAME=ID=EMAIL), the account's name, its 12-digit AWS "
                "account id and its root email"
            )
        if not ACCOUNT_NAME.match(m["name"]):
            raise UserError(f"--accounts {item!r}: the name must be lowercase letters, digits and dashes (at most 50), "
                            "as in accounts.yml, where it also names the account's folder")  # fmt: skip
        if m["name"] in accounts:
            raise UserError(f"--accounts: account {m['name']!r} is given twice")
        accounts[m["name"]] = Account(m["name"], m["id"], m["email"] or "")
    return list(accounts.values())


def accounts_yml(parsed: list[Account], values: dict[str, Any]) -> str:
    """The live repo's accounts.yml for existing accounts, checked by the parser the orchestrator uses."""
    missing = [a.name for a in parsed if not a.email]
    if missing:
        raise UserError(
            f"--accounts {missing[0]!r}: init live writes accounts.yml, which records each account's root email: "
            "write NAME=ID=EMAIL"
        )
    text = _environment().get_template("live/accounts.yml").render(**{**values, "accounts": parsed})
    try:
        accounts.parse(text)
    except UserError as e:
        raise UserError(f"--accounts: {e}") from None
    return text


def baseline_files() -> dict[str, str]:
    """`account-baseline/<path>` -> text: the factory's template as the package ships it."""
    root = resources.files("gwpipelines").joinpath("templates", BASELINE_DIR)
    files: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                files[f"{BASELINE_DIR}/{prefix}{child.name}"] = child.read_text(encoding="utf-8")

    walk(root, "")
    return files


def bootstrap_files(parsed: list[Account], values: dict[str, Any]) -> dict[str, str]:
    """Each existing account's one-time bootstrap: the baseline's `_global/` units and its account.hcl, rendered as
    the factory renders them for a new account."""
    with resources.as_file(resources.files("gwpipelines").joinpath("templates", BASELINE_DIR)) as template:
        files: dict[str, str] = {}
        for account in parsed:
            rendered = baseline.render(
                template,
                baseline.BaselineValues(
                    account_name=account.name,
                    account_id=account.id,
                    region=values["region"],
                    pipelines_repo=values["pipelines_repo"],
                    plan_role=values["plan_role"],
                    apply_role=values["apply_role"],
                    email=account.email,
                    account_factory=account.name == values["management_account"],
                ),
            )
            for path, text in rendered.items():
                rel = path.removeprefix(f"{account.name}/")
                if rel == "account.hcl" or (rel.startswith("_global/") and not rel.startswith(_BOOTSTRAP_SKIP)):
                    files[path] = text
        return files


def _check_authentication(*, region: str, plan_role: str, apply_role: str) -> None:
    """What init writes into pipelines.yml's `authentication` passes the checks `config validate` makes there."""
    try:
        AuthenticationConfig(region=region)
        AccountRoles(account_id="0" * 12, plan_role=plan_role, apply_role=apply_role)
    except ValidationError as e:
        err = e.errors()[0]
        flag = "--" + str(err["loc"][0]).replace("_", "-")
        raise UserError(f"{flag} {err['input']!r}: {err['msg'].removeprefix('Value error, ')}") from None


def _environment() -> jinja2.Environment:
    # Delimiters that cannot clash with GitHub's `${{ }}` expressions or shell syntax in the templates.
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def _template_source(name: str) -> str:
    return resources.files("gwpipelines").joinpath("templates", "init", *name.split("/")).read_text(encoding="utf-8")


def render(kind: str, values: dict[str, Any]) -> dict[str, str]:
    """Output path -> text, for `kind` ('live' or 'pipelines'). Pure: writes nothing."""
    env = _environment()
    files = {path: env.get_template(template).render(**values) for path, template in FILES[kind].items()}
    if kind == "pipelines":
        files |= baseline_files()
    return files


def write(directory: Path, files: dict[str, str], *, force: bool) -> list[str]:
    """Writes every file, or none: an existing file stops everything unless `force`."""
    if not force:
        existing = [path for path in files if (directory / path).exists()]
        if existing:
            raise UserError(f"{directory / existing[0]} already exists; pass --force to overwrite it")
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(files)


@click.command("init")
@click.argument("kind", type=click.Choice(["live", "pipelines"]))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@repo_option
@click.option("--org", help="The GitHub organisation (owner) of both repositories.")
@click.option("--live-repo", default="infrastructure-live", show_default=True, help="NAME or OWNER/NAME.")
@click.option("--pipelines-repo", default="infrastructure-pipelines", show_default=True, help="NAME or OWNER/NAME.")
@click.option(
    "--accounts",
    multiple=True,
    help="NAME=ID[=EMAIL][,...], the AWS accounts to deploy to. pipelines: their roles; live: accounts.yml (EMAIL "
    "required there).",
)
@click.option(
    "--bootstrap",
    is_flag=True,
    help="live: also write each --accounts account's one-time bootstrap units under <account>/_global/ (OIDC "
    "provider, plan and apply roles); see the README written next to the workflow.",
)
@click.option(
    "--management-account",
    help="pipelines: the --accounts entry of the organization's management account; enables the account factory.",
)
@click.option("--region", default="us-east-1", show_default=True, help="pipelines: the AWS region for STS.")
@click.option("--plan-role", default="gwpipelines-plan", show_default=True, help="pipelines: the plan role's name.")
@click.option("--apply-role", default="gwpipelines-apply", show_default=True, help="pipelines: the apply role's name.")
@click.option("--terragrunt-version", default="1.1.3", show_default=True, help="pipelines: pinned in mise.toml.")
@click.option("--opentofu-version", default="1.12.6", show_default=True, help="pipelines: pinned in mise.toml.")
@click.option("--default-branch", default="main", show_default=True, help="The live repository's default branch.")
@click.option(
    "--gwpipelines-ref",
    default=release.WORKFLOWS_REF,
    show_default=True,
    help="The gwpipelines release (tag or commit SHA) the workflows call.",
)
@click.option("--gwpipelines-repo", default=DEFAULT_GWPIPELINES_REPO, show_default=True, help="Where gwpipelines is.")
@click.option(
    "--drift-schedule",
    default="17 6 * * 1-5",
    show_default=True,
    help="live: the drift workflow's cron (UTC); keep it in step with pipelines.yml's drift.schedule.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@format_option("text", "json")
def command(
    kind: str,
    directory: Path | None,
    repo: str,
    org: str | None,
    live_repo: str,
    pipelines_repo: str,
    accounts: tuple[str, ...],
    bootstrap: bool,
    management_account: str | None,
    region: str,
    plan_role: str,
    apply_role: str,
    terragrunt_version: str,
    opentofu_version: str,
    default_branch: str,
    gwpipelines_ref: str,
    gwpipelines_repo: str,
    drift_schedule: str,
    force: bool,
    fmt: str,
) -> None:
    """Write the gwpipelines files of the live or the pipelines repository into DIR (default: --repo)."""
    directory = directory if directory is not None else Path(repo)
    parsed = parse_accounts(accounts)
    if kind == "pipelines" and not parsed:
        raise UserError("init pipelines needs --accounts NAME=ID[,NAME=ID...]: the AWS accounts the roles are in")
    for flag, value in (("--gwpipelines-ref", gwpipelines_ref), ("--default-branch", default_branch)):
        if not _REF.match(value) or ".." in value:
            raise UserError(f"{flag} {value!r} is not a valid git ref")
    if management_account and management_account not in {a.name for a in parsed}:
        raise UserError(f"--management-account {management_account!r} is not one of the --accounts names")
    for flag, value in (("--terragrunt-version", terragrunt_version), ("--opentofu-version", opentofu_version)):
        if not re.match(r"^\d+\.\d+\.\d+$", value):
            raise UserError(f"{flag} {value!r} is not a version like 1.2.3")
    _check_authentication(region=region, plan_role=plan_role, apply_role=apply_role)
    try:
        drift_schedule = unit_globs.check_cron(drift_schedule)
    except ValueError as e:
        raise UserError(f"--drift-schedule: {e}") from None
    values = {
        "live_repo": full_repo(org, live_repo, "--live-repo"),
        "pipelines_repo": full_repo(org, pipelines_repo, "--pipelines-repo"),
        "gwpipelines_repo": full_repo(None, gwpipelines_repo, "--gwpipelines-repo"),
        "gwpipelines_ref": gwpipelines_ref,
        "gwpipelines_ref_comment": release.ref_comment(gwpipelines_ref),
        "default_branch": default_branch,
        "accounts": parsed,
        "management_account": management_account or "",
        "region": region,
        "plan_role": plan_role,
        "apply_role": apply_role,
        "apply_environment": APPLY_ENVIRONMENT,
        "terragrunt_version": terragrunt_version,
        "opentofu_version": opentofu_version,
        "drift_schedule": drift_schedule,
    }
    files = render(kind, values)
    if kind == "live" and parsed:
        files["accounts.yml"] = accounts_yml(parsed, values)
    if bootstrap:
        if kind != "live" or not parsed:
            raise UserError("--bootstrap: use it with init live --accounts NAME=ID=EMAIL[,...]")
        files |= bootstrap_files(parsed, values)
    written = write(directory, files, force=force)
    if fmt == "json":
        emit_json({"kind": kind, "directory": str(directory), "files": written})
    else:
        for path in written:
            click.echo(f"wrote {directory / path}")
