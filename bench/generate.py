"""Synthetic Terragrunt live repositories for the benchmark and the equivalence tests.

`generate(dest, n_units, seed)` writes a real git repository with two commits and returns their shas:

* the base commit: `n_units` units laid out as `<account>/<region>/<env>/<component>-<i>/terragrunt.hcl`, a
  `root.hcl` that reads `account.hcl`/`region.hcl`/`env.hcl` and `tags.yml` through `find_in_parent_folders`,
  `_envcommon/<component>.hcl` files included by every unit, a dependency DAG (every unit needs its group's
  `vpc-0`; apps and workers also need an earlier database, cache or queue) with `mock_outputs`, data files read
  with `file()` (shared ones under `data/`, per-unit `settings.json`), local modules (`modules/<m>/*.tf`) used
  through a relative `terraform { source }`, and units of realistic size (inputs maps, comments, heredocs);
* the head commit: the issue's 50-path change: one `env.hcl`, one `_envcommon` file, 41 unit edits, 5 unit
  deletions and one unit folder moved (2 files, so 2 renamed paths). Small repos get proportionally fewer edits.

Everything is drawn from `random.Random(seed)` and commits carry fixed dates, so the same arguments give the same
shas. Command line: `python bench/generate.py DEST --units N [--seed S]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REGIONS = ("us-east-1", "eu-west-1")
ENVS = ("dev", "stage", "prod")
UNITS_PER_ACCOUNT = 500  # about 83 units per environment folder, at every size
# (component, local module or None for a remote one). Index 0 must be the network every other unit needs.
COMPONENTS: tuple[tuple[str, str | None], ...] = (
    ("vpc", None),
    ("mysql", None),
    ("app", "app"),
    ("redis", None),
    ("worker", "worker"),
    ("sqs", None),
    ("bastion", "bastion"),
    ("s3", None),
)
PROVIDERS = ("mysql", "redis", "sqs")  # components other units depend on
LEAVES = ("app", "worker", "bastion", "s3")  # components nothing depends on: safe to delete or move
EDITS, DELETIONS = 41, 5

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass
class Unit:
    path: str  # <account>/<region>/<env>/<component>-<i>
    component: str
    index: int
    needs: list[str] = field(default_factory=list)  # sibling unit names
    settings: bool = False  # has its own settings.json read with file()


def generate(dest: Path, n_units: int, seed: int = 1) -> tuple[str, str]:
    """Write the repository at `dest` (which must not exist or be empty); return (base sha, head sha)."""
    if n_units < len(ENVS) * len(REGIONS):
        raise ValueError(f"n_units must be at least {len(ENVS) * len(REGIONS)}")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    rng = random.Random(seed)
    files: dict[str, str] = {}
    accounts = [f"acct-{a:02d}" for a in range(max(1, n_units // UNITS_PER_ACCOUNT))]
    units = _layout(accounts, n_units, rng)
    files.update(_shared_files(accounts))
    for unit in units:
        files[f"{unit.path}/terragrunt.hcl"] = unit_text(unit, rng)
        if unit.settings:
            files[f"{unit.path}/settings.json"] = _json({"replicas": rng.randint(1, 9), "unit": unit.path})
    _write(dest, files)
    _git(dest, "init", "-q", "-b", "main")
    base = _commit(dest, "base: synthetic live repository", 1_700_000_000)
    _change(dest, units, rng)
    head = _commit(dest, "head: the 50-path change", 1_700_000_600)
    return base, head


# ---------------------------------------------------------------------------------------------------------------
# The base commit.


def _layout(accounts: list[str], n_units: int, rng: random.Random) -> list[Unit]:
    groups = [f"{a}/{r}/{e}" for a in accounts for r in REGIONS for e in ENVS]
    per_group: list[list[Unit]] = [[] for _ in groups]
    for k in range(n_units):
        g, i = k % len(groups), k // len(groups)
        component = COMPONENTS[0][0] if i == 0 else COMPONENTS[1 + (i - 1) % (len(COMPONENTS) - 1)][0]
        unit = Unit(f"{groups[g]}/{component}-{i}", component, i, settings=rng.random() < 0.3)
        if i > 0:
            unit.needs.append("vpc-0")
            providers = [u for u in per_group[g] if u.component in PROVIDERS]
            if component in ("app", "worker") and providers:
                for p in rng.sample(providers, min(len(providers), rng.randint(1, 2))):
                    unit.needs.append(f"{p.component}-{p.index}")
        per_group[g].append(unit)
    return [u for group in per_group for u in group]


def _shared_files(accounts: list[str]) -> dict[str, str]:
    files = {"root.hcl": ROOT_HCL, "tags.yml": "team: platform\nmanaged-by: terragrunt\ncost-center: bench\n"}
    files["accounts.yml"] = "".join(
        f'{a}:\n  id: "{100000000000 + i}"\n  email: aws+{a}@acme.example.com\n'
        f"  organizational_unit: workloads/{a}\n  region: us-east-1\n"
        for i, a in enumerate(accounts)
    )
    for i, a in enumerate(accounts):
        files[f"{a}/account.hcl"] = (
            f'# Account-wide settings.\nlocals {{\n  account_name   = "{a}"\n'
            f'  aws_account_id = "{100000000000 + i}"\n}}\n'
        )
        for r in REGIONS:
            files[f"{a}/{r}/region.hcl"] = f'locals {{\n  aws_region = "{r}"\n}}\n'
            for e in ENVS:
                files[f"{a}/{r}/{e}/env.hcl"] = env_text(e, 1)
    for component, module in COMPONENTS:
        files[f"_envcommon/{component}.hcl"] = envcommon_text(component, module, 1)
        for e in ENVS:
            files[f"data/{component}/{e}.json"] = _json({"component": component, "environment": e})
    for module in sorted({m for _, m in COMPONENTS if m}):
        files[f"modules/{module}/main.tf"] = (
            f'resource "null_resource" "{module}" {{\n  triggers = {{\n    name = var.name\n  }}\n}}\n'
        )
        files[f"modules/{module}/variables.tf"] = 'variable "name" {\n  type = string\n}\n'
        files[f"modules/{module}/outputs.tf"] = f'output "id" {{\n  value = null_resource.{module}.id\n}}\n'
    return files


ROOT_HCL = """\
# Root configuration, included by every unit and evaluated in the unit's directory.
locals {
  account_vars = read_terragrunt_config(find_in_parent_folders("account.hcl"))
  region_vars  = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  env_vars     = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  common_tags  = yamldecode(file(find_in_parent_folders("tags.yml")))

  account_name = local.account_vars.locals.account_name
  aws_region   = local.region_vars.locals.aws_region
}

remote_state {
  backend = "s3"
  config = {
    bucket         = "acme-state-${local.account_name}-${local.aws_region}"
    key            = "${path_relative_to_include()}/tofu.tfstate"
    region         = local.aws_region
    encrypt        = true
    dynamodb_table = "tofu-locks"
  }
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
}

inputs = merge(
  local.account_vars.locals,
  local.region_vars.locals,
  local.env_vars.locals,
  { tags = local.common_tags },
)
"""


def env_text(env: str, revision: int) -> str:
    return (
        f"# Settings of the {env} environment.\nlocals {{\n"
        f'  environment    = "{env}"\n  instance_class = "{"db.r6g.large" if env == "prod" else "db.t4g.small"}"\n'
        f"  revision       = {revision}\n}}\n"
    )


def envcommon_text(component: str, module: str | None, revision: int) -> str:
    source = (
        ""
        if module
        else f'terraform {{\n  source = "git::https://github.com/acme/terraform-aws-{component}.git'
        f'//modules/{component}?ref=v1.{revision}.0"\n}}\n\n'
    )
    return (
        f"# Common configuration of every {component} unit.\n{source}"
        "locals {\n"
        '  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n'
        "  environment = local.env_vars.locals.environment\n"
        f'  defaults    = jsondecode(file("${{dirname(find_in_parent_folders("root.hcl"))}}'
        f'/data/{component}/${{local.environment}}.json"))\n'
        "}\n\n"
        "inputs = {\n"
        f'  name_prefix = "${{local.environment}}-{component}"\n'
        "  defaults    = local.defaults\n"
        f"  revision    = {revision}\n"
        "}\n"
    )


def unit_text(unit: Unit, rng: random.Random, edit: int = 0) -> str:
    """One unit's terragrunt.hcl, 60 to 150 lines: includes, source, dependencies, locals, inputs."""
    module = dict(COMPONENTS)[unit.component]
    out = [
        f"# {unit.component}-{unit.index}: part of the {unit.component} fleet of {unit.path.rsplit('/', 1)[0]}.",
        f"# Owner: team-{rng.choice(['core', 'data', 'edge', 'payments', 'search'])}. Planned on every pull request.",
        "",
        'include "root" {',
        '  path = find_in_parent_folders("root.hcl")',
        "}",
        "",
        'include "envcommon" {',
        f'  path   = "${{dirname(find_in_parent_folders("root.hcl"))}}/_envcommon/{unit.component}.hcl"',
        "  expose = true",
        "}",
        "",
    ]
    if module:
        out += ["terraform {", f'  source = "../../../../modules/{module}"', "}", ""]
    for need in unit.needs:
        name = need.rsplit("-", 1)[0] if need == "vpc-0" else need.replace("-", "_")
        out += [
            f'dependency "{name}" {{',
            f'  config_path = "../{need}"',
            "",
            "  mock_outputs = {",
            f'    id          = "mock-{need}"',
            '    arn         = "arn:aws:iam::000000000000:role/mock"',
            '    subnet_ids  = ["subnet-0000000000000001", "subnet-0000000000000002"]',
            "  }",
            '  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]',
            "}",
            "",
        ]
    out += ["locals {", f'  name = "{unit.component}-{unit.index}"']
    if unit.settings:
        out.append('  settings = jsondecode(file("${get_terragrunt_dir()}/settings.json"))')
    out += ["}", "", "inputs = {", "  name = local.name"]
    for need in unit.needs:
        name = need.rsplit("-", 1)[0] if need == "vpc-0" else need.replace("-", "_")
        out.append(f"  {name}_id = dependency.{name}.outputs.id")
    for k in range(rng.randint(8, 30)):
        out.append(f"  setting_{k:02d} = {_value(rng)}")
    if edit:
        out.append(f"  bench_edit = {edit}")
    out += [
        "",
        "  # Tags on every resource of this unit.",
        "  tags = {",
        *(f'    "tag-{k}" = "{rng.choice(["alpha", "beta", "gamma", "delta"])}-{k}"' for k in range(rng.randint(2, 8))),
        "  }",
    ]
    if rng.random() < 0.2:  # a heredoc, as policies are often written
        out += [
            "",
            "  policy = <<-EOT",
            "    {",
            '      "Version": "2012-10-17",',
            f'      "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{unit.path}/*"}}]',
            "    }",
            "  EOT",
        ]
    out += ["}", ""]
    return "\n".join(out)


def _value(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return str(rng.randint(0, 1000))
    if kind == 1:
        return rng.choice(["true", "false"])
    if kind == 2:
        return f'"{rng.choice(["t3.micro", "m6i.large", "c7g.xlarge", "r6g.2xlarge"])}"'
    if kind == 3:
        return "[" + ", ".join(f'"10.{rng.randint(0, 255)}.{k}.0/24"' for k in range(rng.randint(1, 4))) + "]"
    return "{ enabled = true, retention_days = " + str(rng.choice([7, 14, 30, 90])) + " }"


# ---------------------------------------------------------------------------------------------------------------
# The head commit: the 50-path change.


def _change(dest: Path, units: list[Unit], rng: random.Random) -> None:
    leaves = [u for u in units if u.component in LEAVES]
    scale = min(1.0, len(units) / 1000)  # small repos (tests) get a proportionally smaller change
    n_delete = max(1, round(DELETIONS * scale))
    n_edit = max(1, round(EDITS * scale))
    # The moved unit folder carries two files (terragrunt.hcl, settings.json), so the change counts 50 paths.
    movable = [u for u in leaves if u.settings] or leaves
    moved = movable[rng.randrange(len(movable))]
    deleted = rng.sample([u for u in leaves if u is not moved], min(len(leaves) - 1, n_delete))
    picked = [*deleted, moved]
    others = [u for u in units if u not in picked]
    edited = rng.sample(others, min(len(others), n_edit))
    env_file = f"{units[0].path.rsplit('/', 1)[0]}/env.hcl"
    (dest / env_file).write_text(env_text(env_file.split("/")[2], 2))
    component, module = COMPONENTS[rng.randrange(len(COMPONENTS))]
    (dest / f"_envcommon/{component}.hcl").write_text(envcommon_text(component, module, 2))
    for unit in edited:
        (dest / unit.path / "terragrunt.hcl").write_text(unit_text(unit, random.Random(unit.path), edit=1))
    for unit in deleted:
        _git(dest, "rm", "-r", "-q", unit.path)
    _git(dest, "mv", moved.path, f"{moved.path}-moved")


def _json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _write(dest: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _dated(epoch: int) -> dict[str, str]:
    return {"GIT_AUTHOR_DATE": f"{epoch} +0000", "GIT_COMMITTER_DATE": f"{epoch} +0000"}


def _git(dest: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, **GIT_ENV, **(env or {})}
    out = subprocess.run(["git", *args], cwd=dest, env=full, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _commit(dest: Path, message: str, epoch: int) -> str:
    _git(dest, "add", "-A", ".")
    _git(dest, "commit", "-q", "-m", message, env=_dated(epoch))
    return _git(dest, "rev-parse", "HEAD")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    base, head = generate(args.dest, args.units, args.seed)
    print(f"{base} {head}")


if __name__ == "__main__":
    main()
