from __future__ import annotations

import pytest

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator import hcl

UNIT = """
# a unit
include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "envcommon" {
  path           = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/mysql.hcl"
  expose         = true
  merge_strategy = "deep"
}

locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl"))
  name    = "${local.account.locals.account_name}-db" // trailing comment
  cidrs   = yamldecode(file("${get_terragrunt_dir()}/cidrs.yaml"))
  keys    = [for k, v in var.m : k if v != null]
  cond    = local.a == "b" ? 1 : -2.5e3
}

dependency "vpc" {
  config_path = "../vpc"
  mock_outputs = { vpc_id = "vpc-123", "a-b" : 2 }
}

dependencies {
  paths = ["../a", "../b"]
}

terraform {
  source = "${include.envcommon.locals.base_source_url}?ref=v1.0"
}

inputs = {
  policy = <<-EOT
    {"x": "${file("policy.json")}"}
  EOT
  region = provider::aws::arn_parse("arn:aws:iam::1:role/x").region
}
"""


def test_scan_extracts_includes_dependencies_source_locals_and_reads() -> None:
    f = hcl.scan(UNIT, "u/terragrunt.hcl")
    assert [(i.name, str(i.path), i.expose, i.merge_strategy) for i in f.includes] == [
        ("root", 'find_in_parent_folders("root.hcl")', False, "shallow"),
        ("envcommon", '"${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/mysql.hcl"', True, "deep"),
    ]
    assert [(d.name, str(d.config_path)) for d in f.dependencies] == [("vpc", '"../vpc"')]
    assert [str(p) for p in f.dependency_paths] == ['"../a"', '"../b"']
    assert str(f.source) == '"${include.envcommon.locals.base_source_url}?ref=v1.0"'
    assert [n for n, _ in f.locals] == ["account", "name", "cidrs", "keys", "cond"]
    assert [(r.function, str(r.arg)) for r in f.reads] == [
        ("read_terragrunt_config", 'find_in_parent_folders("account.hcl")'),
        ("file", '"${get_terragrunt_dir()}/cidrs.yaml"'),
        ("file", '"policy.json"'),
    ]


def test_line_numbers_of_blocks_and_reads() -> None:
    f = hcl.scan(UNIT, "u/terragrunt.hcl")
    assert f.includes[0].line == 3
    assert f.dependencies[0].line == 21
    assert [r.line for r in f.reads] == [14, 16, 36]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a\\"b\\\\c\\n"', 'a"b\\c\n'),
        ('"$${literal} %%{x}"', "${literal} %{x}"),
        ('"\\u00e9"', "\u00e9"),
        ("<<EOF\nline ${x}\nEOF\n", None),
    ],
)
def test_string_escapes(text: str, expected: str | None) -> None:
    e = hcl.parse_expression(text.strip())
    if expected is None:
        assert isinstance(e, hcl.Template)
    else:
        assert e == hcl.Lit(expected)


def test_heredoc_with_indent_marker_and_interpolated_read() -> None:
    body = hcl.parse('x = <<-EOT\n    a ${file("f.txt")}\n    b\n  EOT\ny = 1\n', "f.hcl")
    assert [getattr(i, "name", None) for i in body] == ["x", "y"]
    assert [str(r.arg) for r in hcl.facts_of(body).reads] == ['"f.txt"']


def test_template_directives_do_not_break_parsing() -> None:
    e = hcl.parse_expression('"%{ if var.x }yes%{ else }no%{ endif }"')
    assert isinstance(e, hcl.Template)


def test_canonical_text_is_stable() -> None:
    e = hcl.parse_expression('"${ dirname( find_in_parent_folders( "root.hcl" ) ) }/x.hcl"')
    assert str(e) == '"${dirname(find_in_parent_folders("root.hcl"))}/x.hcl"'
    assert hcl.parse_expression(str(e)) == e


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('locals {\n  a = "x\n}\n', 2, "unterminated string"),
        ("locals {\n  a = 1\n", 1, "never closed"),
        ("inputs = {\n  a = \n}\n", 3, "expected an expression"),
        ("x = <<EOT\nabc\n", 1, "never closed"),
        ("locals {\n  a = f(1,\n}\n", 3, "expected an expression"),
        ("/* open comment\n", 1, "unterminated"),
    ],
)
def test_syntax_errors_name_file_and_line(text: str, line: int, what: str) -> None:
    with pytest.raises(ParseError) as info:
        hcl.scan_strict(text, "prod/app/terragrunt.hcl")
    assert info.value.path == "prod/app/terragrunt.hcl"
    assert info.value.line == line
    assert what in str(info.value)


def test_for_expressions_splats_and_operators() -> None:
    text = """
a = { for k, v in local.m : k => v... if v != null }
b = aws_instance.x[*].id
c = !local.flag || (1 + 2) * 3 >= 4 && local.y != "z"
d = local.list[0].name
"""
    body = hcl.parse(text, "x.hcl")
    assert len(body) == 4
    d = body[3]
    assert isinstance(d, hcl.Attribute)
    assert str(d.expr) == "local.list[0].name"


def test_bom_and_crlf_are_accepted() -> None:
    f = hcl.scan('\ufeffinclude "root" {\r\n  path = find_in_parent_folders("root.hcl")\r\n}\r\n', "t.hcl")
    assert f.includes[0].name == "root"


TRICKY = [
    UNIT,
    # Not formatted: column-0 lines inside blocks.
    'inputs = {\nlocals = 1\n}\ninclude "root" {\npath = find_in_parent_folders("root.hcl")\n}\n',
    'inputs = {\n  a = "{"\n}\ndependency "x" {\n  config_path = "../x"\n}\n',
    'generate "p" {\n  contents = <<EOF\ninclude "fake" {\n  path = "x"\n}\nEOF\n}\n',
    '  include "indented" {\n    path = "../x.hcl"\n  }\n',
    '/* locals { a = file("x") } */\ninputs = {}\n',
    'remote_state {\n  config = { key = "${path_relative_to_include()}/tf.tfstate" }\n}\n'
    'inputs = { data = file("data.json") }\n',
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_scan_gives_the_same_facts_as_a_full_parse(text: str) -> None:
    assert hcl.scan(text, "x.hcl") == hcl.scan_strict(text, "x.hcl")
