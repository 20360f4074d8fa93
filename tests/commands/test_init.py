"""`gwpipelines init live|pipelines DIR`: the files, the user's names in them, no overwrite without --force, and
the repository templates in this repo are exactly what init writes for Acme."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gwpipelines.commands.init import FILES
from testing.actions.workflows import LIVE_TEMPLATE, PIPELINES_TEMPLATE, load
from testing.cli import run

ACME = ["--org", "acme"]
ACME_ACCOUNTS = [
    "--accounts",
    "management=999988887777,non-prod=111122223333,prod=444455556666",
    "--management-account",
    "management",
]


def test_init_live_writes_a_workflow_calling_gwpipelines_with_the_users_names(tmp_path: Path) -> None:
    out = tmp_path / "live"
    result = run("init", "live", str(out), "--org", "example", "--pipelines-repo", "deploy", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["files"] == list(FILES["live"])
    workflow = load(out / ".github/workflows/gwpipelines.yml")
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["gwpipelines"]
    assert job["uses"] == "gwpipelines/gwpipelines/.github/workflows/live.yml@v0.1.0"
    assert job["with"] == {"pipelines-repo": "example/deploy"}
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "issues": "write"}
    assert "id-token" not in job["permissions"]
    readme = (out / ".github/workflows/README.md").read_text()
    assert "example/infrastructure-live" in readme and "example/deploy" in readme and "<<" not in readme


EXISTING = "dev=111122223333=aws+dev@example.com,prod=444455556666=aws+prod@example.com"


def test_init_live_writes_accounts_yml_and_the_bootstrap_of_existing_accounts(tmp_path: Path) -> None:
    from gwpipelines import accounts
    from testing.cli import run as cli
    from tests.extensions.account_factory.test_baseline import trust_of

    out = tmp_path / "live"
    names = ["--org", "example", "--pipelines-repo", "deploy", "--management-account", "prod"]
    result = run("init", "live", str(out), *names, "--accounts", EXISTING, "--bootstrap", "--format", "json")
    assert result.code == 0, result.err
    parsed = accounts.parse((out / "accounts.yml").read_text())
    assert {n: (a.id, a.email, a.region) for n, a in parsed.items()} == {
        "dev": ("111122223333", "aws+dev@example.com", "us-east-1"),
        "prod": ("444455556666", "aws+prod@example.com", "us-east-1"),
    }
    for name in ("dev", "prod"):
        assert (out / name / "account.hcl").exists()
        units = sorted(p.parent.name for p in (out / name / "_global").rglob("terragrunt.hcl"))
        assert units == [
            "github-oidc-provider",
            "pipelines-apply-policy",
            "pipelines-apply-role",
            "pipelines-plan-policy",
            "pipelines-plan-role",
        ]
    dev = trust_of((out / "dev/_global/pipelines-plan-role/terragrunt.hcl").read_text())
    sub = dev["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert sub == "repo:example/deploy:environment:gwpipelines-plan-dev"
    prod = trust_of((out / "prod/_global/pipelines-plan-role/terragrunt.hcl").read_text())
    assert prod["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:example/deploy:environment:gwpipelines-plan-prod",
        "repo:example/deploy:environment:gwpipelines-account-factory",  # the management account
    ]
    # What gwpipelines sees in the bootstrapped repo: the units, in the order their dependencies need.
    graph = cli("graph", "--repo", str(out), "--format", "json")
    assert graph.code == 0, graph.err
    deps = {u["path"]: u["dependencies"] for u in graph.json()["units"]}
    assert deps["dev/_global/pipelines-plan-role"] == [
        "dev/_global/github-oidc-provider",
        "dev/_global/pipelines-plan-policy",
    ]


def test_init_live_needs_each_accounts_email_for_accounts_yml(tmp_path: Path) -> None:
    result = run("init", "live", str(tmp_path / "x"), *ACME, "--accounts", "dev=111122223333")
    assert result.code == 2 and "write NAME=ID=EMAIL" in result.err
    bad = run("init", "live", str(tmp_path / "y"), *ACME, "--accounts", "dev=111122223333=not-an-email")
    assert bad.code == 2 and "email" in bad.err and len(bad.err.strip().splitlines()) == 1
    assert (
        run("init", "pipelines", str(tmp_path / "z"), *ACME, "--bootstrap", "--accounts", "dev=111122223333").code == 2
    )
    assert not any((tmp_path / d).exists() for d in ("x", "y", "z"))


def test_init_pipelines_writes_a_config_with_the_accounts(tmp_path: Path) -> None:
    out = tmp_path / "pipelines"
    role = "arn:aws:iam::210987654321:role/deployer"
    args = ["--org", "example", "--live-repo", "other/live", "--accounts", "dev=123456789012", "--accounts",
            "prod=210987654321", "--region", "eu-west-1", "--apply-role", role]  # fmt: skip
    result = run("init", "pipelines", str(out), *args)
    assert result.code == 0, result.err
    config = yaml.safe_load((out / "pipelines.yml").read_text())
    assert config["core"]["live_repo"] == "other/live"
    assert config["authentication"]["region"] == "eu-west-1"
    assert config["authentication"]["accounts"] == {
        "dev": {"account_id": "123456789012", "plan_role": "gwpipelines-plan",
                "apply_role": role},
        "prod": {"account_id": "210987654321", "plan_role": "gwpipelines-plan", "apply_role": role},
    }  # fmt: skip
    workflow = load(out / ".github/workflows/pipelines.yml")
    assert workflow["run-name"] == "gwpipelines ${{ inputs.correlation_id }}"
    assert list(workflow["on"]["workflow_dispatch"]["inputs"]) == ["correlation_id", "jobs", "live_repo", "pr"]
    assert "example/infrastructure-pipelines" in (out / "README.md").read_text()


def test_the_pipelines_config_is_valid_for_the_executor(tmp_path: Path) -> None:
    """The template (with the account factory) and a plain init (without) both pass `gwpipelines config validate`."""
    result = run("config", "validate", str(PIPELINES_TEMPLATE / "pipelines.yml"))
    assert result.code == 0, result.err + result.out
    config = yaml.safe_load((PIPELINES_TEMPLATE / "pipelines.yml").read_text())
    assert config["account_factory"][0]["template"] == "pipelines/account-baseline"
    assert (PIPELINES_TEMPLATE / "account-baseline").is_dir()
    assert run("init", "pipelines", str(tmp_path), *ACME, "--accounts", "dev=123456789012").code == 0
    plain = run("config", "validate", str(tmp_path / "pipelines.yml"))
    assert plain.code == 0, plain.err
    assert "account_factory" not in yaml.safe_load((tmp_path / "pipelines.yml").read_text())


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "live"
    (out / ".github").mkdir(parents=True)
    (out / ".github/zizmor.yml").write_text("mine\n")
    result = run("init", "live", str(out), *ACME)
    assert result.code == 2
    assert result.err.strip() == (
        f"gwpipelines: error: {out}/.github/zizmor.yml already exists; pass --force to overwrite it"
    )
    assert (out / ".github/zizmor.yml").read_text() == "mine\n"
    assert not (out / ".github/workflows").exists()
    assert run("init", "live", str(out), *ACME, "--force").code == 0
    assert "unpinned-uses" in (out / ".github/zizmor.yml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pipelines", "--org", "acme"], "init pipelines needs --accounts NAME=ID"),
        (["pipelines", "--org", "acme", "--accounts", "dev=1234"], "--accounts 'dev=1234': write NAME=ID"),
        (["pipelines", "--org", "acme", "--accounts", "a=123456789012,a=123456789013"], "'a' is given twice"),
        (["pipelines", "--org", "acme", "--accounts", "Prod_1=123456789012"], "lowercase letters, digits and dashes"),
        (["live"], "--live-repo 'infrastructure-live' has no owner: pass --org ORG"),
        (["live", "--org", "ac me"], "is not a GitHub OWNER/NAME"),
        (["live", "--org", "acme", "--gwpipelines-ref", "v1..2"], "--gwpipelines-ref 'v1..2' is not a valid git ref"),
        (
            ["pipelines", "--org", "acme", "--accounts", "dev=123456789012", "--management-account", "mgmt"],
            "--management-account 'mgmt' is not one of the --accounts names",
        ),
    ],
)
def test_bad_options_are_exit_2_naming_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("init", args[0], str(tmp_path / "out"), *args[1:])
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("kind", "template", "extra"),
    [("live", LIVE_TEMPLATE, []), ("pipelines", PIPELINES_TEMPLATE, ACME_ACCOUNTS)],
    ids=["live", "pipelines"],
)
def test_the_repository_templates_are_what_init_writes(
    tmp_path: Path, kind: str, template: Path, extra: list[str]
) -> None:
    """The templates in this repository are init's output for Acme: edit the package templates, then re-run
    `gwpipelines init live infrastructure-live-template --org acme --force` (and the same for pipelines)."""
    result = run("init", kind, str(tmp_path), *ACME, *extra, "--format", "json")
    assert result.code == 0, result.err
    written = result.json()["files"]
    assert set(FILES[kind]) <= set(written)
    for path in written:
        assert (template / path).read_text() == (tmp_path / path).read_text(), path
    if kind == "pipelines":  # the factory's template, whole: nothing in the repository template that init lacks
        shipped = {
            p.relative_to(template).as_posix() for p in (template / "account-baseline").rglob("*") if p.is_file()
        }
        assert shipped == {p for p in written if p.startswith("account-baseline/")}


def test_the_pipelines_tool_versions_default_to_the_live_templates(tmp_path: Path) -> None:
    """The executor installs what the pipelines repo pins; by default, what the live template's developers use."""
    import tomllib

    from testing.actions.workflows import LIVE_TEMPLATE

    assert run("init", "pipelines", str(tmp_path), *ACME, *ACME_ACCOUNTS).code == 0
    pinned = tomllib.loads((tmp_path / "mise.toml").read_text())["tools"]
    assert pinned == tomllib.loads((LIVE_TEMPLATE / ".mise.toml").read_text())["tools"]
    result = run("init", "pipelines", str(tmp_path / "x"), *ACME, *ACME_ACCOUNTS, "--terragrunt-version", "latest")
    assert result.code == 2 and "--terragrunt-version 'latest' is not a version like 1.2.3" in result.err
