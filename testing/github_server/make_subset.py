"""Writes the trimmed OpenAPI description the test server validates against.

The source is GitHub's full description from the pinned npm package `@octokit/openapi` (tests/npm); the subset keeps
only the operations the project calls (OPERATIONS) and every component they reference, transitively, so it loads in a
fraction of a second. The server builds it in memory at start (0.3 s), so it can never drift from the pinned package;
`python -m testing.github_server.make_subset` writes it out (git-ignored) for reading.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from testing import NPM, ROOT

FULL_DESCRIPTION = NPM / "node_modules/@octokit/openapi/generated/api.github.com.json"
SUBSET = Path(__file__).resolve().parent / "openapi-subset.json"

# operationId -> why the project needs it. The server implements exactly these.
OPERATIONS = (
    "meta/root",
    "rate-limit/get",
    "users/get-authenticated",
    "repos/get",
    "repos/get-branch",
    "repos/get-content",
    "repos/create-or-update-file-contents",
    "repos/get-commit",
    "repos/list-pull-requests-associated-with-commit",
    "actions/get-workflow",
    "actions/create-workflow-dispatch",
    "actions/list-workflow-runs",
    "actions/list-workflow-runs-for-repo",
    "actions/get-workflow-run",
    "actions/list-jobs-for-workflow-run",
    "actions/list-workflow-run-artifacts",
    "actions/get-artifact",
    "actions/download-artifact",
    "issues/list-comments",
    "issues/create-comment",
    "issues/get-comment",
    "issues/update-comment",
    "issues/list-for-repo",
    "issues/create",
    "issues/get",
    "issues/update",
    "pulls/list",
    "pulls/get",
    "pulls/create",
    "git/get-ref",
    "git/create-ref",
    "git/update-ref",
    "git/create-blob",
    "git/get-blob",
    "git/create-tree",
    "git/get-tree",
    "git/create-commit",
    "git/get-commit",
)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def subset(full: dict[str, Any]) -> dict[str, Any]:
    wanted = set(OPERATIONS)
    paths: dict[str, dict[str, Any]] = {}
    for path, item in full["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS and operation.get("operationId") in wanted:
                paths.setdefault(path, {})[method] = operation
                wanted.discard(operation["operationId"])
    if wanted:
        raise SystemExit(f"operations missing from {FULL_DESCRIPTION}: {sorted(wanted)}")
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = _resolve(full, ref)
        components.setdefault(kind, {})[name] = target
        pending.extend(_refs(target))
    return {
        "openapi": full["openapi"],
        "info": full["info"],
        "servers": full["servers"],
        "paths": dict(sorted(paths.items())),
        "components": {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())},
    }


def render() -> str:
    full = json.loads(FULL_DESCRIPTION.read_text())
    return json.dumps(subset(full), indent=1, sort_keys=False) + "\n"


def main() -> int:
    SUBSET.write_text(render())
    print(f"wrote {SUBSET.relative_to(ROOT)} ({SUBSET.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
