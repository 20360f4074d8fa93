"""GitHub's OpenAPI description as the server's contract: routing by path template, request/response validation.

Requests and responses are checked with openapi-core against the subset of the pinned `@octokit/openapi` description
that `make_subset` extracts in memory (the full description stays the source, so the subset can never go stale).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from testing.github_server.make_subset import FULL_DESCRIPTION, subset

HOST_URL = "https://api.github.com"
# Parameters whose values may contain slashes (GitHub documents them as such: file paths and fully qualified refs).
SLASHED_PARAMETERS = frozenset({"path", "ref"})


@dataclass(frozen=True)
class Route:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    declared_statuses: frozenset[str]

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(path)
        return None if found is None else found.groupdict()


def _template_regex(template: str) -> re.Pattern[str]:
    def group(found: re.Match[str]) -> str:
        name = found.group(1)
        body = ".+" if name in SLASHED_PARAMETERS else "[^/]+"
        return f"(?P<{name}>{body})"

    return re.compile(re.sub(r"\{([a-z_]+)\}", group, re.escape(template).replace(r"\{", "{").replace(r"\}", "}")))


def _allow_null_in_nullable_enums(node: Any) -> None:
    """OpenAPI 3.0 leaves `nullable: true` + `enum` ambiguous; openapi-core requires null in the enum, GitHub's
    description omits it (e.g. a running job's `conclusion`) while the real API answers null: read it as GitHub means.
    """
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"].append(None)
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


def _indistinct_one_of_to_any_of(document: dict[str, Any]) -> None:
    """`oneOf` over alternatives that require nothing (e.g. basic-error | repository-rule-violation-error on a 409)
    matches every error twice, so no body could ever pass; GitHub means "either", which is `anyOf`."""
    schemas = document["components"]["schemas"]

    def requires_nothing(alternative: Any) -> bool:
        ref = alternative.get("$ref", "") if isinstance(alternative, dict) else ""
        target = schemas.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/components/schemas/") else alternative
        return isinstance(target, dict) and target.get("type") == "object" and not target.get("required")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            alternatives = node.get("oneOf")
            if isinstance(alternatives, list) and len(alternatives) > 1 and all(map(requires_nothing, alternatives)):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


@functools.cache
def description() -> dict[str, Any]:
    document = subset(json.loads(FULL_DESCRIPTION.read_text()))
    _allow_null_in_nullable_enums(document)
    _indistinct_one_of_to_any_of(document)
    # Errata, each where the description contradicts its own text and the real API. `created` on the runs lists is
    # documented as search syntax (">=2026-01-01", "a..b") but typed `format: date-time`, which refuses that syntax.
    document["components"]["parameters"]["created"]["schema"].pop("format", None)
    return document


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(description(), config=Config(spec_validator_cls=None))


@functools.cache
def routes() -> tuple[Route, ...]:
    found: list[Route] = []
    for template, item in description()["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            statuses = frozenset(operation.get("responses", {}))
            found.append(Route(operation["operationId"], method.upper(), template, _template_regex(template), statuses))
    # Literal segments beat parameters: /issues/comments/{id} must win over /issues/{issue_number}/...
    return tuple(sorted(found, key=lambda r: (-sum(not s.startswith("{") for s in r.template.split("/")), r.template)))


def example(name: str) -> Any:
    """A deep copy of one of GitHub's own examples (components/examples), the starting point of every body we send."""
    return copy.deepcopy(description()["components"]["examples"][name]["value"])


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes():
        if route.method == method:
            params = route.match(path)
            if params is not None:
                return route, params
    return None


def _mock_request(
    route: Route, path: str, params: dict[str, str], query: dict[str, Any], headers: dict[str, str], body: bytes
) -> MockRequest:
    return MockRequest(
        HOST_URL,
        route.method.lower(),
        path,
        path_pattern=route.template,
        args=query,
        view_args=params,
        headers=headers,
        data=body,
        content_type=headers.get("Content-Type", "application/json") if body else "application/json",
    )


def _shorten(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else f"{message[: limit // 2]} ... {message[-limit // 2 :]}"


def _describe(error: Exception) -> str:
    """One readable line: the failing JSON paths and messages, never the whole offending document."""
    details = [
        f"{getattr(e, 'json_path', '$')}: [{getattr(e, 'validator', '?')}] {_shorten(getattr(e, 'message', str(e)))}"
        for e in getattr(error.__cause__, "schema_errors", ()) or getattr(error, "schema_errors", ())
    ]
    if details:
        return f"{type(error).__name__}: {'; '.join(details)}"
    return f"{type(error).__name__}: {str(error)[:300]}"


def request_errors(
    route: Route, path: str, params: dict[str, str], query: dict[str, Any], headers: dict[str, str], body: bytes
) -> list[str]:
    try:
        openapi().validate_request(_mock_request(route, path, params, query, headers, body))
    except Exception as error:  # openapi-core raises a family of exceptions; each is a contract violation
        return [_describe(error)]
    return []


def response_errors(
    route: Route,
    path: str,
    params: dict[str, str],
    query: dict[str, Any],
    request_headers: dict[str, str],
    request_body: bytes,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> list[str]:
    request = _mock_request(route, path, params, query, request_headers, request_body)
    content_type = headers.get("Content-Type", "")
    response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
    try:
        openapi().validate_response(request, response)
    except Exception as error:
        return [_describe(error)]
    return []
