"""IAM permission policies for the state backend (root.hcl's `remote_state`: one S3 bucket per account and region,
a DynamoDB lock table), rendered from `templates/iam/{plan,apply}-state-access.json.j2`.

- The plan role (besides `ReadOnlyAccess`) may read the state and take the lock: a plan locks the state like any
  other run, so read-only access alone fails every plan on the lock (and a lock error looks transient). It may write
  nothing else: no state object, only the lock item and the S3 lock file (`*.tflock`, for `use_lockfile`).
- The apply role may read and write the state files and take the lock.

Values may be Terragrunt interpolations (the account baseline passes `${include.root.locals...}`), so the names
stay defined in one place, root.hcl.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

RoleKind = Literal["plan", "apply"]

_env = Environment(
    loader=PackageLoader("gwpipelines", "templates/iam"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


def render(kind: RoleKind, *, account_id: str, bucket_prefix: str, lock_table: str) -> str:
    """The permission policy (JSON text): `bucket_prefix` names the buckets `<prefix>-<region>`."""
    text = _env.get_template(f"{kind}-state-access.json.j2").render(
        account_id=account_id, bucket_prefix=bucket_prefix, lock_table=lock_table
    )
    json.loads(text)  # a template mistake must fail here, not in IAM
    return text


def policy(kind: RoleKind, *, account_id: str, bucket_prefix: str, lock_table: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        render(kind, account_id=account_id, bucket_prefix=bucket_prefix, lock_table=lock_table)
    )
    return document
