"""The piecewise syntax check (`hcl.check`, behind `units` and `graph`) says what the full parse says: a file
is refused exactly when `parse` refuses it, with the same error (file, line, message), and `scan_checked` gives
`scan_strict`'s facts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator import hcl
from testing import cli
from tests.orchestrator.test_scanner_equivalence import FIXTURE_FILES, TRICKY, generate

# Constructs the piecewise check has rules for, valid and not, each next to what could go wrong.
CASES = {
    "literals": 'a = 1\nb = -2.5\nc = "x"\nd = [1, "two", true, null,]\ne = { f = 1, g = "h" }\n',
    "object items": 'inputs = {\n  a = 1\n  "quoted key" = 2\n  b = 3,\n  c = [1, 2]\n}\n',
    "for opens a for expression in an object": "inputs = {\n  for = 1\n}\n",
    "for is a plain name in a block": "locals {\n  for = 1\n}\n",
    "a quoted key in a block": 'locals {\n  "quoted" = 1\n}\n',
    "a quoted key at top level": '"quoted" = 1\n',
    "a comma in a block": "locals {\n  a = 1,\n}\n",
    "a trailing dot": "locals {\n  a = 1.\n}\n",
    "a leading zero": "a = 01\n",
    "a template": 'locals {\n  a = "x${local.b}"\n  c = "$${d} %%{e}"\n}\n',
    "an unclosed template": 'locals {\n  a = "x${local.b"\n}\n',
    "an escape": 'locals {\n  a = "x\\ny"\n  b = "bad \\q"\n}\n',
    "nested objects": 'inputs = {\n  tags = {\n    "a" = "b"\n    c = { d = 1 }\n  }\n  e = 2\n}\n',
    "a nested object closed at the wrong indentation": 'inputs = {\n  tags = {\n    "a" = "b"\n}\n  }\n',
    "a nested object never closed": 'inputs = {\n  tags = {\n    "a" = "b"\n}\n',
    "a heredoc with a closing brace": "locals {\n  a = <<EOT\n}\nEOT\n}\n",
    "a heredoc never closed": "locals {\n  a = <<EOT\n  b\n}\n",
    "an item after the closing brace": "locals {\n  a = 1\n} b = 2\n",
    "an operator continuing on the next line": "locals {\n  a = 1\n  + 2\n}\n",
    "a block in an object": "inputs = {\n  b {\n  }\n}\n",
    "a block in a block": 'terraform {\n  extra_arguments "x" {\n    commands = ["plan"]\n  }\n}\n',
    "a missing value": "locals {\n  a =\n}\n",
    "two items on a line": "locals {\n  a = 1 b = 2\n}\n",
    "a comment after a literal": "locals {\n  a = 1 # one\n  b = 2 // two\n\n  # the rest\n}\n",
    "a block comment": "/* x */\nlocals {\n  a = 1\n}\n",
    "an unterminated block comment": "locals {\n  a = 1 /* x\n}\n",
    "a carriage return": "locals {\r\n  a = 1\r\n}\r\n",
    "a byte order mark": "\ufefflocals {\n  a = 1\n}\n",
    "text before the first item": "= 1\na = 2\n",
    "only comments": "# nothing\n",
    "empty": "",
    "an unbalanced list": "locals {\n  a = [1, 2\n}\n",
    "a list over lines": "locals {\n  a = [\n    1,\n  ]\n}\n",
    "a line at column 0 inside a list": "a = [\nb,\n]\n",
    "a name with a dash": "locals {\n  a-b = 1\n  c = a-b\n}\n",
    "a function call key": "inputs = {\n  a = f(1)\n}\n",
    # The fast scanner once missed an attribute it reads on a line indented unlike the block's first item.
    "an include attribute indented unlike the first": 'include "c" {\n  pth = "x"\n expose = true\n}\n',
    "a dependency path after its mock outputs": 'dependency "d" {\n  mock = {\n  }\n config_path = "../d"\n}\n',
    "two include attributes on one line": 'include "c" {\n  pth = "x" expose = true\n}\n',
}


def outcome(fn: object, text: str) -> str:
    try:
        fn(text, "f.hcl")  # type: ignore[operator]
    except ParseError as e:
        return f"error: {e}"
    return "valid"


def assert_same(text: str) -> None:
    expected = outcome(hcl.parse, text)
    assert outcome(hcl.check, text) == expected, text
    if expected == "valid":
        assert hcl.scan_checked(text, "f.hcl") == hcl.scan_strict(text, "f.hcl")


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_check_agrees_with_the_parser_on_constructs_it_has_rules_for(name: str) -> None:
    assert_same(CASES[name])


def test_the_cases_hold_both_valid_and_invalid_files() -> None:
    outcomes = {name: outcome(hcl.parse, text) for name, text in CASES.items()}
    assert outcomes["literals"] == outcomes["nested objects"] == "valid"
    assert outcomes["for opens a for expression in an object"].startswith("error")
    assert outcomes["a quoted key in a block"].startswith("error")
    assert outcomes["a nested object never closed"].startswith("error")


CORPUS = [p.read_text() for p in FIXTURE_FILES] + list(TRICKY.values()) + list(CASES.values())


@pytest.fixture(scope="module")
def generated_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    dest = tmp_path_factory.mktemp("gen") / "live"
    generate.generate(dest, 120, 3)
    return [p.read_text() for p in sorted(dest.rglob("*.hcl")) if ".git" not in p.parts]


def test_the_check_agrees_with_the_parser_on_every_corpus_file(generated_texts: list[str]) -> None:
    for text in CORPUS + generated_texts:
        assert_same(text)


EDIT_CHARS = [*list('{}[]()"=,.#/*$%<\\\n -:?'), "  ", "for ", "EOT\n", "${", "}\n", "\n}"]


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=3))
def test_the_check_agrees_with_the_parser_on_broken_files(seed: int, edits: int) -> None:
    """Real files with a few characters deleted, inserted or replaced: the check refuses exactly those the
    parser refuses, with the parser's error."""
    rng = random.Random(seed)
    text = rng.choice(CORPUS)
    for _ in range(edits):
        i = rng.randrange(len(text) + 1)
        kind = rng.randrange(3)
        if kind == 0 and text:
            text = text[:i] + text[i + 1 :]
        elif kind == 1:
            text = text[:i] + rng.choice(EDIT_CHARS) + text[i:]
        else:
            text = text[:i] + rng.choice(EDIT_CHARS) + text[i + 1 :]
    assert_same(text)


def test_units_reports_the_parse_error_of_a_broken_unit(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "terragrunt.hcl").write_text('inputs = {\n  tags = {\n    "a" = "b"\n}\n')
    got = cli.run("units", "--repo", str(tmp_path), "--format", "json")
    assert got.code == 2
    assert got.err == "gwpipelines: error: a/terragrunt.hcl:5: expected an expression, found end of file\n"
