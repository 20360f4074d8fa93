"""`dispatch` input: the orchestrate JSON, a bare job list, and one clear line for each kind of bad input."""

from __future__ import annotations

import json

import pytest

from gwpipelines.errors import UserError
from gwpipelines.models import Event
from gwpipelines.models.codec import parse

JOB = {"id": "apply:a", "unit": "a", "action": "apply", "ref": "b" * 40, "account": "dev",
       "change_types": ["ModuleChanged"], "wave": 0, "needs": []}  # fmt: skip


def test_full_orchestrate_output_keeps_changes_and_warnings() -> None:
    doc = {"base": "a" * 40, "head": "b" * 40, "event": "push", "ignored": ["README.md"], "warnings": ["moved"],
           "changes": [{"type": "ModuleChanged", "unit": "a", "account": "dev", "files": ["a/terragrunt.hcl"]}],
           "jobs": [JOB]}  # fmt: skip
    o = parse(json.dumps(doc), "f.json")
    assert o.event is Event.PUSH and o.head == "b" * 40 and o.warnings == ("moved",)
    assert o.changes[0].files == ("a/terragrunt.hcl",) and o.jobs[0].id == "apply:a"


def test_bare_list_infers_event_and_head() -> None:
    o = parse(json.dumps([JOB]), "<stdin>")
    assert o.event is Event.PUSH and o.head == "b" * 40
    plan = {**JOB, "id": "plan:a", "action": "plan"}
    assert parse(json.dumps({"jobs": [plan]}), "f").event is Event.PULL_REQUEST
    assert parse(json.dumps([plan]), "f", sha="c" * 40).head == "c" * 40


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"jobs": [\n  {"id": }\n]}', r"^jobs\.json:2: not valid JSON \(Expecting value\)"),
        (json.dumps([{**JOB, "action": "aply"}]), r"^jobs\.json: jobs\[0\]\.action: 'aply' is not one of plan, "),
        (json.dumps([{**JOB, "ref": 3}]), r"^jobs\.json: jobs\[0\]\.ref: expected a non-empty string, got 3"),
        (json.dumps([{**JOB, "wave": -1}]), r"^jobs\.json: jobs\[0\]\.wave: expected a whole number >= 0"),
        (json.dumps("x"), r"^jobs\.json: expected a JSON object with `jobs` or a list of jobs"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_field(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as e:
        parse(text, "jobs.json")
    assert "\n" not in str(e.value)
