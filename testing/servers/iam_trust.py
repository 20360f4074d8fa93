"""A small evaluator of IAM role trust policies for `sts:AssumeRoleWithWebIdentity`, because moto does not evaluate
them (FACTS.md). It follows IAM's documented logic for the parts our templates use, and refuses anything else:

- an explicit Deny in a matching statement wins; otherwise some Allow statement must match; else implicit deny;
- a statement matches when its Principal.Federated names the token's provider, its Action covers the call and every
  condition holds: operators are ANDed, keys within an operator are ANDed, values of one key are ORed;
- StringEquals / StringNotEquals compare exactly (case-sensitive); StringLike / StringNotLike allow `*` (any run of
  characters, also empty) and `?` (exactly one character); an `IfExists` suffix makes a missing key pass;
- a key missing from the request fails a positive operator and passes a negated one;
- for a web identity from GitHub, the request carries only `<provider>:aud` and `<provider>:sub` (AWS supports no
  other GitHub claims as condition keys), so a condition on `job_workflow_ref` can never be met.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

GITHUB_PROVIDER = "token.actions.githubusercontent.com"
CLAIM_KEYS = ("aud", "sub")
_OPERATORS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")


class UnsupportedPolicy(Exception):
    """The policy uses something this evaluator does not implement: the test must not silently pass."""


def request_context(claims: Mapping[str, Any], provider: str = GITHUB_PROVIDER) -> dict[str, str]:
    context: dict[str, str] = {}
    for claim in CLAIM_KEYS:
        value = claims.get(claim)
        if value is not None:
            if not isinstance(value, str):
                raise UnsupportedPolicy(f"claim {claim} is {type(value).__name__}, only strings are supported")
            context[f"{provider}:{claim}"] = value
    return context


def allows(
    policy: Mapping[str, Any],
    *,
    claims: Mapping[str, Any],
    provider_arn: str,
    action: str = "sts:AssumeRoleWithWebIdentity",
) -> bool:
    """Would IAM let a web identity with these claims, from this provider, assume the role with this policy?"""
    provider = provider_arn.split(":oidc-provider/", 1)[-1]
    context = request_context(claims, provider)
    statements = policy["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    decisions = [s["Effect"] for s in statements if _statement_matches(s, context, provider_arn, action)]
    return "Deny" not in decisions and "Allow" in decisions


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _statement_matches(
    statement: Mapping[str, Any], context: Mapping[str, str], provider_arn: str, action: str
) -> bool:
    unknown = set(statement) - {"Sid", "Effect", "Principal", "Action", "Condition"}
    if unknown:
        raise UnsupportedPolicy(f"statement elements {sorted(unknown)}")
    principal = statement["Principal"]
    if set(principal) != {"Federated"}:
        raise UnsupportedPolicy(f"principal {principal}")
    if provider_arn not in _as_list(principal["Federated"]):
        return False
    if not any(_like(pattern, action, case_sensitive=False) for pattern in _as_list(statement["Action"])):
        return False
    return all(_condition_holds(op, keys, context) for op, keys in statement.get("Condition", {}).items())


def _condition_holds(operator: str, keys: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator}")
    negated = "Not" in base
    for key, wanted in keys.items():
        if key not in context:
            if negated or operator.endswith("IfExists"):
                continue
            return False
        actual = context[key]
        if base.endswith("Like"):
            hit = any(_like(str(w), actual) for w in _as_list(wanted))
        else:
            hit = any(str(w) == actual for w in _as_list(wanted))
        if hit == negated:
            return False
    return True


def _like(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None
