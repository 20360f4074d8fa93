from __future__ import annotations

import pytest

from gwpipelines import accounts
from gwpipelines.errors import ParseError, UserError
from testing import LIVE_TEMPLATE

TWO = (
    "# the accounts\n"
    "prod:\n"
    '  id: "444455556666"\n'
    "  email: aws+prod@acme.example.com\n"
    "\n"
    "sandbox:  # requested\n"
    "  email: aws+sandbox@acme.example.com\n"
    "  organizational_unit: workloads/non-prod\n"
    "  tags:\n"
    "    team: platform\n"
)


def error(text: str) -> str:
    with pytest.raises(ParseError) as e:
        accounts.parse(text)
    return str(e.value)


def test_live_template_parses() -> None:
    parsed = accounts.parse((LIVE_TEMPLATE / "accounts.yml").read_text())
    assert parsed["prod"].id == "444455556666" and parsed["non-prod"].organizational_unit == "workloads/non-prod"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a:\n  email: a@x.io\nb:\n  email: A@x.io\n",
            "accounts.yml:4: b.email: A@x.io is already the email of account 'a'",
        ),
        (
            'a:\n  id: "111111111111"\n  email: a@x.io\nb:\n  email: b@x.io\n  id: "111111111111"\n',
            "accounts.yml:6: b.id: 111111111111 is already the id of account 'a'",
        ),
        ("a:\n  email: a@x.io\na:\n  email: b@x.io\n", "accounts.yml:3: account 'a' is defined twice"),
        ("Big:\n  email: a@x.io\n", "accounts.yml:1: account name 'Big' must be"),
        ("a:\n  email: a@x.io\n  region: Europe\n", "accounts.yml:3: a.region: must be an AWS region"),
        ("a:\n  email: a@x.io\n  organizational_unit: a//b\n", "accounts.yml:3: a.organizational_unit: must be"),
        ("a:\n  email: a@x.io\n  tags:\n    aws:x: y\n", "accounts.yml:4: a.tags: tag key 'aws:x'"),
        ("a:\n  email: a@x.io\n  colour: red\n", "accounts.yml:3: a.colour: Extra inputs are not permitted"),
        ("a:\n  email: " + "a" * 60 + "@x.io\n", "accounts.yml:2: a.email: must be at most 64 characters"),
        ("a:\n  id: 1234\n  email: a@x.io\n", "accounts.yml:2: a.id: must be a 12-digit AWS account id"),
        ("a:\n  email: !mail a@x.io\n", "accounts.yml:2: not valid YAML: could not determine a constructor"),
    ],
)
def test_errors_name_line_account_and_field(text: str, expected: str) -> None:
    assert error(text).startswith(expected)


def test_with_id_records_the_id_and_keeps_everything_else() -> None:
    out = accounts.with_id(TWO, "sandbox", "777788889999")
    assert out == TWO.replace("  email: aws+sandbox", '  id: "777788889999"\n  email: aws+sandbox')
    assert accounts.parse(out)["sandbox"].id == "777788889999"
    assert accounts.with_id(out, "sandbox", "777788889999") == out


def test_with_id_refuses_a_different_id_and_an_unknown_account() -> None:
    with pytest.raises(UserError, match=r"accounts.yml:3: prod.id is already 444455556666, not 777788889999"):
        accounts.with_id(TWO, "prod", "777788889999")
    with pytest.raises(UserError, match="no account 'dev'"):
        accounts.with_id(TWO, "dev", "777788889999")
