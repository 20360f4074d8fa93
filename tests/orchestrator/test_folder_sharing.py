"""The units of a folder share the evaluation of what they include when it cannot differ between them (see
Evaluator._include_path and _collect_included). Sharing must never change an answer: every analysis here is
compared with the same analysis made without it, unit by unit and trace by trace, on included files that do and
do not depend on the including unit's own folder."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gwpipelines.orchestrator import terragrunt, tree
from testing import LIVE_TEMPLATE
from testing.memtree import mem_tree

# Bodies of an included file: folder-independent (only find_in_parent_folders, the repo root, absolute paths) and
# dependent on the including unit's own folder (get_terragrunt_dir, relative paths, path_relative_to_include).
INCLUDED = st.sampled_from(
    [
        'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n}\n',
        'locals {\n  tags = file(find_in_parent_folders("tags.yml"))\n}\n',
        'locals {\n  own = file("${get_terragrunt_dir()}/data.json")\n}\n',
        'locals {\n  rel = file("data.json")\n}\n',
        'locals {\n  key = file("${path_relative_to_include()}.json")\n}\n',
        'locals {\n  d = jsondecode(file("${get_repo_root()}/shared/${basename(get_terragrunt_dir())}.json"))\n}\n',
        'terraform {\n  source = "${get_terragrunt_dir()}/../../modules/m"\n}\n',
        'terraform {\n  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//m"\n}\n',
        'terraform {\n  extra_arguments "v" {\n    optional_var_files = ["${get_terragrunt_dir()}/u.tfvars"]\n  }\n}\n',
        'locals {\n  x = read_tfvars_file("common.tfvars")\n}\n',
        "locals {}\n",
    ]
)
INCLUDE_PATHS = st.sampled_from(
    [
        'find_in_parent_folders("root.hcl")',
        '"${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/c.hcl"',
        '"${get_terragrunt_dir()}/local.hcl"',
        '"local.hcl"',
        '"../app/local.hcl"',
        '"${get_repo_root()}/_envcommon/c.hcl"',
    ]
)
FOLDERS = ("acct/dev", "acct/prod", "other/dev")
NAMES = ("app", "db", "web")


@st.composite
def repos(draw: st.DrawFn) -> dict[str, str]:
    files = {
        "root.hcl": draw(INCLUDED),
        "_envcommon/c.hcl": draw(INCLUDED),
        "modules/m/main.tf": "",
        "acct/env.hcl": 'locals { env = "acct" }\n',
        "acct/dev/env.hcl": 'locals { env = "dev" }\n',
        "tags.yml": "a: b\n",
    }
    for folder in FOLDERS:
        for name in NAMES:
            unit = f"{folder}/{name}"
            paths = draw(st.lists(INCLUDE_PATHS, min_size=1, max_size=2, unique=True))
            body = "".join(f'include "i{i}" {{\n  path = {p}\n}}\n' for i, p in enumerate(paths))
            files[f"{unit}/terragrunt.hcl"] = body
            if draw(st.booleans()):
                files[f"{unit}/local.hcl"] = draw(INCLUDED)
    return files


def both_ways(t: tree.Tree) -> tuple[terragrunt.Analysis, terragrunt.Analysis]:
    shared = terragrunt.analyse(t)
    terragrunt.Evaluator.share_by_folder = False
    try:
        alone = terragrunt.analyse(t)
    finally:
        terragrunt.Evaluator.share_by_folder = True
    return shared, alone


def assert_same(shared: terragrunt.Analysis, alone: terragrunt.Analysis) -> None:
    assert shared.units == alone.units
    assert shared.traces == alone.traces
    assert shared.includes == alone.includes
    assert shared.warnings == alone.warnings


@settings(max_examples=150, deadline=None)
@given(repos())
def test_sharing_never_changes_an_analysis(files: dict[str, str]) -> None:
    assert_same(*both_ways(mem_tree(files)))


def test_sharing_happens_and_agrees_on_the_live_template() -> None:
    assert_same(*both_ways(tree.in_directory(LIVE_TEMPLATE)))


def test_units_of_a_folder_do_share_what_they_include() -> None:
    files = {"root.hcl": 'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n}\n'}
    files["acct/dev/env.hcl"] = 'locals { env = "dev" }\n'
    for name in NAMES:
        files[f"acct/dev/{name}/terragrunt.hcl"] = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
    ev = terragrunt.Evaluator(mem_tree(files))
    units = [ev.unit(f"acct/dev/{name}/terragrunt.hcl")[0] for name in NAMES]
    assert len(ev._included) == 1 and len(ev._include_paths) == 1  # one evaluation for the three units
    assert all(u.files == {"root.hcl", "acct/dev/env.hcl"} for u in units)


def test_a_folder_dependent_include_is_not_shared() -> None:
    """root.hcl reads each unit's own data.json: units of one folder must not get their neighbour's."""
    files = {"root.hcl": 'locals {\n  own = file("${get_terragrunt_dir()}/data.json")\n}\n'}
    for name in NAMES:
        files[f"acct/dev/{name}/terragrunt.hcl"] = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
    analysis = terragrunt.analyse(mem_tree(files))
    for name in NAMES:
        assert f"acct/dev/{name}/data.json" in analysis.units[f"acct/dev/{name}"].files
        assert not any(
            f"acct/dev/{n}/data.json" in analysis.units[f"acct/dev/{name}"].files for n in NAMES if n != name
        )


def test_a_file_included_from_its_own_folder_and_from_a_neighbour() -> None:
    """app includes its own local.hcl (file() resolves in app only); db includes the same file from next door, so
    file() resolves in app and in db: the first answer must not serve the second."""
    files = {
        "acct/dev/app/local.hcl": 'locals {\n  rel = file("data.json")\n}\n',
        "acct/dev/app/terragrunt.hcl": 'include "i" {\n  path = "local.hcl"\n}\n',
        "acct/dev/db/terragrunt.hcl": 'include "i" {\n  path = "../app/local.hcl"\n}\n',
    }
    shared, alone = both_ways(mem_tree(files))
    assert_same(shared, alone)
    assert "acct/dev/db/data.json" in shared.units["acct/dev/db"].files
