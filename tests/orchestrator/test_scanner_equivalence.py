"""Issue 7's "same answers": the fast scanner against python-hcl2, file by file, and the whole orchestrate JSON
with the python-hcl2 reference plugged in against the fast path (with and without its cache).

Line numbers are left out of both comparisons: python-hcl2's output has none (see tests/hcl2_reference.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gwpipelines import orchestrator
from gwpipelines.orchestrator import hcl
from testing import LIVE_TEMPLATE, ROOT
from testing import hcl2_reference as reference
from testing.scripts import load_script

generate = load_script("gwpipelines_bench_generate", "bench/generate.py")
demo = load_script("gwpipelines_demo_for_equivalence", "scripts/demo.py")

FIXTURE_FILES = sorted(
    p for folder in (LIVE_TEMPLATE, ROOT / "tests" / "fixtures") if folder.exists() for p in folder.rglob("*.hcl")
)

# Constructs the template does not use, written the ways people write them.
TRICKY = {
    "heredocs-and-nesting.hcl": """\
include "envcommon" {
  path           = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/app.hcl"
  expose         = true
  merge_strategy = "deep"
}

dependencies {
  paths = ["../vpc", local.extra_dep]
}

locals {
  plain     = "plain"
  template  = "${local.plain}"
  bare      = local.plain
  object    = { "quoted key" = 1, bare = [1, 2.5, null, true] }
  heredoc   = <<-EOT
    hello ${local.plain}
  EOT
  choice    = local.prod ? file("prod.json") : file("dev.json")
  escaped   = "a\\nb \\"q\\" $${literal}"
  upper     = [for s in local.names : upper(s) if s != ""]
  traversal = local.m["k"].z[0]
  math      = -1 + 2 * 3
  settings  = jsondecode(file("${get_terragrunt_dir()}/settings.json"))
}

terraform {
  source = "../../modules/x"

  extra_arguments "vars" {
    commands           = ["plan", "apply"]
    required_var_files = [find_in_parent_folders("common.tfvars")]
    optional_var_files = [read_tfvars_file("extra.tfvars")]
    arguments          = ["-var-file=${get_terragrunt_dir()}/x.tfvars", "-var-file=plain.tfvars", "-lock=false",
      "-var-file", "${get_repo_root()}/split.tfvars"]
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite"
  contents  = templatefile("provider.tpl", { region = local.region })
}

inputs = merge(
  read_terragrunt_config(find_in_parent_folders("region.hcl")).locals,
  { secrets = yamldecode(sops_decrypt_file("secrets.enc.yaml")) },
)
""",
    "comments-and-blocks.hcl": """\
/* A block comment
   spanning lines */
# include "commented-out" { path = "nowhere.hcl" }
include "root" {
  path = find_in_parent_folders() // the default root
}

dependency "db" {
  config_path = "${get_repo_root()}/prod/db"
  mock_outputs = {
    endpoint = "localhost"
  }
}

dependency "cache" {
  config_path = "../cache"
}

locals {
  marked = mark_as_read("${get_terragrunt_dir()}/notes.txt")
  files  = fileset(get_terragrunt_dir(), "conf/*.yaml")
}

terraform {
  source = "git::https://example.com/modules.git//vpc?ref=${local.version}"
}
""",
}


def assert_agree(text: str, name: str) -> None:
    fast = reference.comparable(hcl.scan(text, name))
    strict = reference.comparable(hcl.scan_strict(text, name))
    ref = reference.comparable(reference.scan(text, name))
    assert fast == strict, f"{name}: the fast scan and the strict scan disagree"
    for key in ref:
        assert fast[key] == ref[key], f"{name}: {key}\n  python-hcl2: {ref[key]}\n  fast scan:   {fast[key]}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_scanner_agrees_with_python_hcl2_on_fixture_files(path: Path) -> None:
    assert_agree(path.read_text(), str(path.relative_to(ROOT)))


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_scanner_agrees_with_python_hcl2_on_tricky_constructs(name: str) -> None:
    assert_agree(TRICKY[name], name)


def test_tricky_constructs_hold_the_facts_they_were_written_for() -> None:
    """The reference is only worth comparing with if it finds things: check it on the tricky files."""
    facts = reference.comparable(reference.scan(TRICKY["heredocs-and-nesting.hcl"], "t.hcl"))
    assert facts["includes"] == [
        ("envcommon", '"${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/app.hcl"', True, "deep")
    ]
    assert facts["dependency_paths"] == ['"../vpc"', "local.extra_dep"]
    assert facts["source"] == '"../../modules/x"'
    functions = [f for f, _ in facts["reads"]]
    for fn in ("file", "read_tfvars_file", "templatefile", "read_terragrunt_config", "sops_decrypt_file"):
        assert fn in functions
    assert ("file", ('"prod.json"',)) in facts["reads"]
    other = reference.comparable(reference.scan(TRICKY["comments-and-blocks.hcl"], "c.hcl"))
    assert [i[0] for i in other["includes"]] == ["root"]
    assert [d[0] for d in other["dependencies"]] == ["db", "cache"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    repo = tmp_path_factory.mktemp("generated") / "live"
    base, head = generate.generate(repo, 120, seed=7)
    return repo, base, head


def test_scanner_agrees_with_python_hcl2_on_a_generated_repo(generated: tuple[Path, str, str]) -> None:
    repo, _, _ = generated
    files = sorted(repo.rglob("*.hcl"))
    assert len(files) > 120
    for path in files:
        assert_agree(path.read_text(), str(path.relative_to(repo)))


def test_generated_repo_has_the_issue_change_shape(generated: tuple[Path, str, str]) -> None:
    repo, base, head = generated
    out = orchestrator.orchestrate(repo, base, head, "pull_request").to_json()
    kinds = {c["type"] for c in out["changes"]}
    assert {"ModuleChanged", "ModuleDeleted", "ModuleMoved", "EnvCommonChanged"} <= kinds
    assert out["jobs"]


def orchestrations(repo: Path, base: str, head: str, event: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The reference's answer, then the fast path's: without cache, with an empty cache, with a filled one."""
    answers = [
        reference.normalise_lines(orchestrator.orchestrate(repo, base, head, event, scanner=reference.scan).to_json())
    ]
    monkeypatch.setenv("GWPIPELINES_CACHE", "off")
    answers.append(orchestrator.orchestrate(repo, base, head, event).to_json())
    monkeypatch.delenv("GWPIPELINES_CACHE")
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(repo.parent / f"cache-{event}"))
    answers.append(orchestrator.orchestrate(repo, base, head, event).to_json())
    answers.append(orchestrator.orchestrate(repo, base, head, event).to_json())
    return [answers[0], *(reference.normalise_lines(a) for a in answers[1:])]


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_orchestrate_json_is_the_same_with_the_reference_on_a_generated_repo(
    generated: tuple[Path, str, str], event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = generated
    ref, *fast = orchestrations(repo, base, head, event, monkeypatch)
    for answer in fast:
        assert answer == ref


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_orchestrate_json_is_the_same_with_the_reference_on_the_demo_change(
    tmp_path: Path, event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "infrastructure-live"
    base, head = demo.build_demo_repo(repo)
    ref, *fast = orchestrations(repo, base, head, event, monkeypatch)
    assert ref["changes"], "the demo change must produce changes"
    for answer in fast:
        assert answer == ref


def test_folder_sharing_changes_no_unit_of_a_generated_repo(generated: tuple[Path, str, str]) -> None:
    """Units of a folder share what they include (terragrunt.Evaluator.share_by_folder): same analysis without."""
    from gwpipelines.orchestrator import tree
    from tests.orchestrator.test_folder_sharing import assert_same, both_ways

    repo, base, head = generated
    for commit in (base, head):
        assert_same(*both_ways(tree.at_commit(repo, commit)))
