"""Creating an AWS account through AWS Organizations, for an `AccountAdded` change.

`plan` checks a request against the organization (the OU exists, the email and name are unused) without changing
anything; `create` makes the account, waits for it, and moves it into its OU. Both talk to Organizations through a
boto3 client made with the management account's credentials (its plan role for `plan`, its apply role for
`create`). `create` is idempotent: an account the organization already holds with the request's email (an earlier
run created it), or a creation still in progress for the same name, is picked up instead of being created again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gwpipelines.accounts import Account
from gwpipelines.errors import AccountCreationFailed as AccountCreationFailed
from gwpipelines.errors import AccountRequestInvalid as AccountRequestInvalid

# The client is boto3's untyped Organizations client.
Organizations = Any


@dataclass(frozen=True)
class AccountRequest:
    name: str
    email: str
    organizational_unit: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, account: Account) -> AccountRequest:
        return cls(name, account.email, account.organizational_unit, dict(account.tags))


@dataclass(frozen=True)
class AccountPlan:
    """What `create` would do for a request: make the account (or reuse `existing_id`) and place it in `ou_id`."""

    request: AccountRequest
    ou_id: str | None
    existing_id: str | None = None
    in_progress_request_id: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        r = self.request
        where = f"organizational unit {r.organizational_unit}" if r.organizational_unit else "the root"
        where += f" ({self.ou_id})" if self.ou_id and r.organizational_unit else ""
        if self.problems:
            return "cannot create account " + r.name + ": " + "; ".join(self.problems)
        if self.existing_id:
            return f"account {r.name} ({r.email}) already exists as {self.existing_id}: it will be reused, in {where}"
        if self.in_progress_request_id:
            return f"account {r.name} is being created (request {self.in_progress_request_id}): it will be awaited"
        return f"will create AWS account {r.name} ({r.email}) in {where}"

    def details(self, region: str) -> str:
        """A Terraform-like listing of what will be created, for the job's log and the pull-request comment."""
        r = self.request
        sign = "!" if self.problems else ("=" if self.existing_id or self.in_progress_request_id else "+")
        ou = f"{r.organizational_unit} ({self.ou_id or 'missing'})" if r.organizational_unit else f"root ({self.ou_id})"
        fields = [
            ("name", r.name),
            ("email", r.email),
            ("organizational_unit", ou),
            ("home_region", region),
            ("tags", ", ".join(f"{k}={v}" for k, v in sorted(r.tags.items())) or "(none)"),
        ]
        if self.existing_id:
            fields.insert(0, ("id", self.existing_id))
        lines = [f"  {sign} aws_organizations_account.{r.name}"]
        lines += [f"      {k:<19} = {v}" for k, v in fields]
        lines += [f"  ! {p}" for p in self.problems]
        if not self.problems:
            lines.append(
                "  then: a pull request in the live repo with the account's baseline and its id in accounts.yml"
            )
        return "\n".join([self.describe(), *lines])

    def to_outputs(self) -> dict[str, Any]:
        r = self.request
        return {
            "account_name": r.name,
            "email": r.email,
            "organizational_unit": r.organizational_unit,
            "organizational_unit_id": self.ou_id,
            "tags": dict(r.tags),
            "existing_account_id": self.existing_id,
            "problems": list(self.problems),
            "plan": self.describe(),
        }


@dataclass(frozen=True)
class CreatedAccount:
    name: str
    id: str
    email: str
    parent_id: str
    # False when an account made by an earlier run was picked up instead.
    created: bool

    def to_outputs(self) -> dict[str, Any]:
        return {
            "account_name": self.name,
            "account_id": self.id,
            "email": self.email,
            "parent_id": self.parent_id,
            "created": self.created,
        }


@dataclass(frozen=True)
class Backoff:
    """How `create` waits for DescribeCreateAccountStatus: exponential delays, capped, within a deadline."""

    first_seconds: float = 2.0
    factor: float = 2.0
    max_seconds: float = 30.0
    deadline_seconds: float = 20 * 60  # AWS documents a few minutes; leave room for a slow day

    def delays(self) -> Iterator[float]:
        delay = self.first_seconds
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_seconds)


def plan(org: Organizations, request: AccountRequest) -> AccountPlan:
    """Check `request` against the organization; changes nothing."""
    problems: list[str] = []
    ou_id: str | None = _root_id(org)
    if request.organizational_unit:
        found = find_ou(org, request.organizational_unit)
        if found is None:
            problems.append(
                f"organizational unit '{request.organizational_unit}' does not exist in the organization "
                "(create it, or fix organizational_unit in accounts.yml)"
            )
        ou_id = found
    existing_id: str | None = None
    for acct in _list_accounts(org):
        same_email = acct["Email"].lower() == request.email.lower()
        same_name = acct["Name"] == request.name
        if same_email and same_name:
            existing_id = acct["Id"]
        elif same_email:
            problems.append(f"email {request.email} is already used by account {acct['Name']} ({acct['Id']})")
        elif same_name:
            problems.append(f"name {request.name} is already used by account {acct['Id']} ({acct['Email']})")
    in_progress = None if existing_id else _in_progress_request(org, request.name)
    return AccountPlan(request, ou_id, existing_id, in_progress, tuple(problems))


def plan_existing(org: Organizations, request: AccountRequest, account_id: str) -> AccountPlan:
    """An entry added with its id names an account that exists already: check it is in the organization with the
    request's email; nothing will be created."""
    try:
        found = org.describe_account(AccountId=account_id)["Account"]
    except org.exceptions.AccountNotFoundException:
        return AccountPlan(request, None, problems=(f"account {account_id} is not in the organization",))
    problems = []
    if found["Email"].lower() != request.email.lower():
        problems.append(f"account {account_id} has email {found['Email']}, not {request.email}")
    return AccountPlan(request, None, existing_id=account_id, problems=tuple(problems))


def create(
    org: Organizations,
    request: AccountRequest,
    *,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CreatedAccount:
    """Create the account (or pick up the one an earlier run created) and move it into its OU."""
    checked = plan(org, request)
    if not checked.ok:
        raise AccountRequestInvalid(checked.describe())
    assert checked.ou_id is not None  # plan() reports a missing OU as a problem
    account_id, created = checked.existing_id, False
    if account_id is None:
        request_id = checked.in_progress_request_id or _start(org, request)
        account_id, created = _await(org, request, request_id, backoff, sleep, clock)
    _move(org, account_id, checked.ou_id)
    return CreatedAccount(request.name, account_id, request.email, checked.ou_id, created)


def find_ou(org: Organizations, path_or_id: str) -> str | None:
    """The id of the OU at `path_or_id` ("workloads/prod" below the root, or an "ou-..." id), None if absent."""
    if path_or_id.startswith("ou-"):
        try:
            return str(org.describe_organizational_unit(OrganizationalUnitId=path_or_id)["OrganizationalUnit"]["Id"])
        except org.exceptions.OrganizationalUnitNotFoundException:
            return None
    parent = _root_id(org)
    for name in path_or_id.split("/"):
        children = _paginate(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)
        match = next((ou["Id"] for ou in children if ou["Name"] == name), None)
        if match is None:
            return None
        parent = match
    return parent


def _start(org: Organizations, request: AccountRequest) -> str:
    tags = [{"Key": k, "Value": v} for k, v in sorted(request.tags.items())]
    answer = org.create_account(Email=request.email, AccountName=request.name, **({"Tags": tags} if tags else {}))
    return str(answer["CreateAccountStatus"]["Id"])


def _await(
    org: Organizations,
    request: AccountRequest,
    request_id: str,
    backoff: Backoff,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> tuple[str, bool]:
    """The account id once the request finished, and whether this request made it."""
    deadline = clock() + backoff.deadline_seconds
    delays = backoff.delays()
    while True:
        status = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
        state = status["State"]
        if state == "SUCCEEDED":
            return str(status["AccountId"]), True
        if state == "FAILED":
            return _failed(org, request, request_id, str(status.get("FailureReason", "UNKNOWN"))), False
        delay = next(delays)
        if clock() + delay > deadline:
            raise AccountCreationFailed(
                f"account {request.name}: creation {request_id} still {state} after {backoff.deadline_seconds:.0f}s; "
                "run the job again later: it picks up the same request instead of creating a second account"
            )
        sleep(delay)


def _failed(org: Organizations, request: AccountRequest, request_id: str, reason: str) -> str:
    if reason == "EMAIL_ALREADY_EXISTS":
        # Another request (e.g. a parallel run) won the race: its account is ours if it carries our name too.
        for acct in _list_accounts(org):
            if acct["Email"].lower() == request.email.lower() and acct["Name"] == request.name:
                return str(acct["Id"])
    raise AccountCreationFailed(
        f"account {request.name}: Organizations refused creation {request_id}: {reason}" + _HINTS.get(reason, "")
    )


_HINTS = {
    "EMAIL_ALREADY_EXISTS": " (the email belongs to another AWS account; use a different email in accounts.yml)",
    "ACCOUNT_LIMIT_EXCEEDED": " (ask AWS Support to raise the organization's account quota)",
    "INVALID_EMAIL": " (fix the email in accounts.yml)",
    "CONCURRENT_ACCOUNT_MODIFICATION": " (another change to the organization was in flight; run the job again)",
    "INTERNAL_FAILURE": " (an AWS-side failure; run the job again)",
}


def _move(org: Organizations, account_id: str, ou_id: str) -> None:
    parent = org.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    if parent != ou_id:
        org.move_account(AccountId=account_id, SourceParentId=parent, DestinationParentId=ou_id)


def _in_progress_request(org: Organizations, name: str) -> str | None:
    statuses = _paginate(org, "list_create_account_status", "CreateAccountStatuses", States=["IN_PROGRESS"])
    return next((str(s["Id"]) for s in statuses if s.get("AccountName") == name), None)


def _root_id(org: Organizations) -> str:
    return str(org.list_roots()["Roots"][0]["Id"])


def _list_accounts(org: Organizations) -> list[dict[str, Any]]:
    return _paginate(org, "list_accounts", "Accounts")


def _paginate(org: Organizations, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [item for page in org.get_paginator(operation).paginate(**kwargs) for item in page[key]]
