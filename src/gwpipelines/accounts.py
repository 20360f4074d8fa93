"""`accounts.yml` in the live repo: account name -> id (absent while it is only requested), email, OU, region,
tags. Parsed strictly; an error names the file, line, account and field."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gwpipelines.errors import ParseError

ACCOUNTS_FILE = "accounts.yml"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$|^[a-z0-9]$")


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, description="12-digit AWS account id; absent for a requested account")
    email: str
    organizational_unit: str | None = None
    region: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        if isinstance(v, int):
            v = f"{v:012d}"
        if v is not None and not re.fullmatch(r"\d{12}", str(v)):
            raise ValueError("must be a 12-digit AWS account id (quote it in YAML to keep leading zeros)")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
            raise ValueError("must be an email address")
        return v


def parse(text: str, path: str = ACCOUNTS_FILE) -> dict[str, Account]:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ParseError(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(e, 'problem', e)}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ParseError(path, root.start_mark.line + 1, "must be a mapping of account name to its settings")
    data = yaml.safe_load(text)
    accounts: dict[str, Account] = {}
    emails: dict[str, str] = {}
    for key_node, value_node in root.value:
        name = key_node.value
        line = key_node.start_mark.line + 1
        if name in accounts:
            raise ParseError(path, line, f"account '{name}' is defined twice; keep one entry")
        if not _NAME.match(str(name)):
            raise ParseError(path, line, f"account name '{name}' must be lowercase letters, digits and dashes")
        try:
            account = Account.model_validate(data[name])
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(entry)"
            raise ParseError(path, _line_of(value_node, err["loc"]) or line, f"{name}.{field}: {err['msg']}") from None
        if account.email.lower() in emails:
            raise ParseError(
                path,
                line,
                f"{name}.email: {account.email} is already used by account '{emails[account.email.lower()]}'",
            )
        emails[account.email.lower()] = name
        accounts[name] = account
    return accounts


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> int | None:
    if isinstance(node, yaml.MappingNode) and loc:
        for k, v in node.value:
            if k.value == loc[0]:
                return _line_of(v, loc[1:]) or k.start_mark.line + 1
    return node.start_mark.line + 1 if not loc else None
