"""`accounts.yml` in the live repo: account name -> id (absent while it is only requested), email, OU, region,
tags. Parsed strictly; an error names the file, line, account and field. Names, emails and ids are unique."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gwpipelines import safe_yaml
from gwpipelines.errors import ParseError, UserError

ACCOUNTS_FILE = "accounts.yml"
# AWS account names may be up to 50 characters; ours are also folder names, so lowercase letters, digits, dashes.
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$|^[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
# An OU is a path of OU names below the organization's root ("workloads/prod") or an OU id ("ou-ab12-cd34ef56").
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
_OU_NAME = re.compile(r"^[^/\s][^/]{0,127}$")
_EMAIL_MAX = 64  # CreateAccount refuses longer addresses


def account_id(v: Any) -> str:
    """A 12-digit AWS account id, as written in accounts.yml or pipelines.yml. An unquoted id is a YAML integer: only
    a full 12-digit one is unambiguous (leading zeros are lost, and YAML reads 0-prefixed digits as octal)."""
    if isinstance(v, int) and not isinstance(v, bool) and 10**11 <= v < 10**12:
        v = str(v)
    if not isinstance(v, str) or not re.fullmatch(r"\d{12}", v):
        raise ValueError("must be a 12-digit AWS account id (quote it in YAML to keep leading zeros)")
    return v


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, description="12-digit AWS account id; absent for a requested account")
    email: str = Field(description="the account's root user email; unique across AWS")
    organizational_unit: str | None = Field(default=None, description="OU path below the root, or an OU id")
    region: str | None = Field(default=None, description="the account's home region (its baseline's region)")
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        return None if v is None or v == "" else account_id(v)  # `id: ""` and `id: null` mean "requested"

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
            raise ValueError("must be an email address")
        if len(v) > _EMAIL_MAX:
            raise ValueError(f"must be at most {_EMAIL_MAX} characters (an AWS limit)")
        return v

    @field_validator("organizational_unit")
    @classmethod
    def _ou(cls, v: str | None) -> str | None:
        if v is None or _OU_ID.match(v):
            return v
        if not all(_OU_NAME.match(part) for part in v.split("/")):
            raise ValueError("must be an OU path below the root such as 'workloads/prod', or an OU id 'ou-...'")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and not _REGION.match(v):
            raise ValueError("must be an AWS region such as 'us-east-1'")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > 50:
            raise ValueError("at most 50 tags (an AWS limit)")
        for key, value in v.items():
            if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
                raise ValueError(f"tag key '{key}' must be 1-128 characters and not start with 'aws:'")
            if len(value) > 256:
                raise ValueError(f"tag '{key}' value must be at most 256 characters")
        return v


def parse(text: str, path: str = ACCOUNTS_FILE) -> dict[str, Account]:
    return _parse(text, path)[1]


def _parse(text: str, path: str) -> tuple[yaml.MappingNode | None, dict[str, Account]]:
    """The document's node (for lines) and its accounts, from one pass of the YAML parser."""
    root = _compose(text, path)
    if root is None:
        return None, {}
    data = _construct(root, path)
    accounts: dict[str, Account] = {}
    emails: dict[str, str] = {}
    ids: dict[str, str] = {}
    for key_node, value_node in root.value:
        name = key_node.value
        line = key_node.start_mark.line + 1
        if name in accounts:
            raise ParseError(path, line, f"account '{name}' is defined twice; keep one entry")
        if not ACCOUNT_NAME.match(str(name)):
            raise ParseError(path, line, f"account name '{name}' must be 1-50 lowercase letters, digits and dashes")
        try:
            account = Account.model_validate(data[name])
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(entry)"
            msg = err["msg"].removeprefix("Value error, ")
            raise ParseError(path, _line_of(value_node, err["loc"]) or line, f"{name}.{field}: {msg}") from None
        email = account.email.lower()
        if email in emails:
            where = _line_of(value_node, ("email",)) or line
            taken = f"is already the email of account '{emails[email]}'"
            raise ParseError(path, where, f"{name}.email: {account.email} {taken}")
        if account.id and account.id in ids:
            where = _line_of(value_node, ("id",)) or line
            raise ParseError(path, where, f"{name}.id: {account.id} is already the id of account '{ids[account.id]}'")
        emails[email] = name
        if account.id:
            ids[account.id] = name
        accounts[name] = account
    return root, accounts


def with_id(text: str, name: str, account_id: str, path: str = ACCOUNTS_FILE) -> str:
    """`text` with `id: "<account_id>"` recorded for account `name`, every other line (comments too) unchanged.
    Recording the id that is already there returns `text` as it is; a different id is refused."""
    root, _ = _parse(text, path)
    entry = next((v for k, v in root.value if k.value == name), None) if root else None
    if entry is None:
        raise UserError(f"{path}: no account '{name}'; it must be requested before its id can be recorded")
    if not isinstance(entry, yaml.MappingNode) or entry.flow_style:
        raise UserError(f"{path}:{entry.start_mark.line + 1}: {name}: write the entry as a block mapping")
    lines = text.splitlines(keepends=True)
    for k, v in entry.value:
        if k.value == "id":
            if str(v.value) == account_id:
                return text
            if _is_empty(v) and k.start_mark.line == v.end_mark.line:  # `id: ""` or `id: null`: still requested
                indent = " " * k.start_mark.column
                lines[k.start_mark.line] = f'{indent}id: "{account_id}"' + _comment_of(lines[k.start_mark.line])
                return "".join(lines)
            raise UserError(f"{path}:{k.start_mark.line + 1}: {name}.id is already {v.value}, not {account_id}")
    first = entry.value[0][0].start_mark
    indent = " " * first.column
    lines.insert(first.line, f'{indent}id: "{account_id}"\n')
    return "".join(lines)


def _is_empty(node: yaml.Node) -> bool:
    """A scalar that YAML reads as null, or the empty string."""
    return isinstance(node, yaml.ScalarNode) and (
        node.value == "" or (node.style is None and node.value in ("null", "Null", "NULL", "~"))
    )


def _comment_of(line: str) -> str:
    """The end of a line from its comment on (or its line break): kept when the value before it is replaced."""
    hash_at = line.find(" #")
    return line[hash_at:] if hash_at >= 0 else "\n" if line.endswith("\n") else ""


def _compose(text: str, path: str) -> yaml.MappingNode | None:
    safe_yaml.check(text, path, top_level="account")
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        raise _not_yaml(e, path) from None
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise ParseError(path, root.start_mark.line + 1, "must be a mapping of account name to its settings")
    return root


def _construct(root: yaml.MappingNode, path: str) -> dict[Any, Any]:
    """The Python value of the composed document, as `yaml.safe_load` would build it from the text."""
    loader = yaml.SafeLoader("")
    try:
        data: dict[Any, Any] = loader.construct_document(root)
    except yaml.YAMLError as e:
        raise _not_yaml(e, path) from None
    finally:
        loader.dispose()
    return data


def _not_yaml(e: yaml.YAMLError, path: str) -> ParseError:
    mark = getattr(e, "problem_mark", None)
    return ParseError(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(e, 'problem', e)}")


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> int | None:
    if isinstance(node, yaml.MappingNode) and loc:
        for k, v in node.value:
            if k.value == loc[0]:
                return _line_of(v, loc[1:]) or k.start_mark.line + 1
    return node.start_mark.line + 1 if not loc else None
