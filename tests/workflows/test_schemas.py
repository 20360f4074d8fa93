"""The published JSON Schemas (schemas/, their `$id`): in step with the code, and what the templates' editors are
pointed at (`yaml-language-server` comments); the shipped files validate against them, a typo does not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from gwpipelines import __version__, schemas
from testing.actions.workflows import LIVE_TEMPLATE, PIPELINES_TEMPLATE, ROOT
from testing.cli import run

COMMENT = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_the_published_schema_files_are_what_the_code_builds(name: str) -> None:
    published = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    assert published == schemas.SCHEMAS[name](), "run ./scripts/schemas"
    assert published["$id"] == f"{schemas.BASE_URL}/v{__version__}/schemas/{name}.schema.json"
    jsonschema.Draft202012Validator.check_schema(published)


@pytest.mark.parametrize(
    ("path", "name"),
    [(PIPELINES_TEMPLATE / "pipelines.yml", "pipelines"), (LIVE_TEMPLATE / "accounts.yml", "accounts")],
    ids=["pipelines.yml", "accounts.yml"],
)
def test_the_templates_name_their_schema_and_pass_it(path: Path, name: str) -> None:
    text = path.read_text()
    found = COMMENT.search(text)
    assert found and found.group(1) == schemas.url(name), "the first comment points editors at the schema"
    published = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(text), published)


def test_a_typo_fails_the_schemas() -> None:
    accounts = json.loads((ROOT / "schemas" / "accounts.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"dev": {"id": "111122223333", "emial": "a@b.co"}}, accounts)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Dev_1": {"email": "a@b.co"}}, accounts)
    pipelines = json.loads((ROOT / "schemas" / "pipelines.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"core": {"paralelism": 1}}, pipelines)


def test_config_schema_prints_both(tmp_path: Path) -> None:
    accounts = run("config", "schema", "accounts")
    assert accounts.code == 0 and accounts.json() == schemas.accounts_file()
    pipelines = run("config", "schema")
    assert pipelines.code == 0 and pipelines.json()["$id"] == schemas.url("pipelines")
    ref = "0123456789abcdef0123456789abcdef01234567"
    out = tmp_path / "p"
    assert (
        run(
            "init", "pipelines", str(out), "--org", "a", "--accounts", "dev=111122223333", "--gwpipelines-ref", ref
        ).code
        == 0
    )
    found = COMMENT.search((out / "pipelines.yml").read_text())
    assert found and found.group(1) == schemas.url("pipelines", ref)  # the schema of the release the workflows call
