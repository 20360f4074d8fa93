"""The JSON Schemas editors validate gwpipelines' YAML files with: pipelines.yml (built from the extensions) and
accounts.yml. Each carries an `$id`, the address it is published at: `schemas/` of this repository at the release
tag, the same files `scripts/schemas` writes (and a test compares) for the built-in extensions. The templates point
editors at them with a `# yaml-language-server: $schema=...` comment."""

from __future__ import annotations

from typing import Any

from gwpipelines import __version__, accounts, config

BUILTIN_EXTENSIONS = ("account-factory", "command", "opentofu", "terraform", "terragrunt")
BASE_URL = "https://raw.githubusercontent.com/gwpipelines/gwpipelines"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def url(name: str, ref: str = f"v{__version__}", base: str = BASE_URL) -> str:
    """Where `schemas/<name>.schema.json` is published for a gwpipelines release (tag or commit)."""
    return f"{base}/{ref}/schemas/{name}.schema.json"


def pipelines(*, builtin_only: bool = False) -> dict[str, Any]:
    """pipelines.yml's schema: for the installed extensions, or (the published file) the built-in ones."""
    extensions = config.installed()
    if builtin_only:
        extensions = {name: cls for name, cls in extensions.items() if name in BUILTIN_EXTENSIONS}
    document = config.schema(extensions)
    return {"$id": url("pipelines"), **document}


def accounts_file() -> dict[str, Any]:
    """accounts.yml's schema: account names (also the folders) mapping to the account's settings."""
    account = accounts.Account.model_json_schema()
    defs = account.pop("$defs", {})
    document: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": url("accounts"),
        "title": "gwpipelines accounts.yml",
        "description": "The AWS accounts the live repository manages: name -> id (absent while requested), email, "
        "organizational unit, region, tags.",
        "type": "object",
        "propertyNames": {"pattern": accounts.ACCOUNT_NAME.pattern},
        "additionalProperties": {"$ref": "#/$defs/Account"},
        "$defs": {**defs, "Account": account},
    }
    return document


SCHEMAS = {"pipelines": lambda: pipelines(builtin_only=True), "accounts": accounts_file}
