from __future__ import annotations

from typing import Any

import pytest

from gwpipelines import accounts
from gwpipelines.extensions.account_factory import baseline, baseline_pr
from gwpipelines.github.client import RetryPolicy, token_auth
from testing import LIVE_TEMPLATE
from tests.extensions.account_factory.test_baseline import TEMPLATE, VALUES

LIVE = "acme/infrastructure-live"
REQUESTED = (LIVE_TEMPLATE / "accounts.yml").read_text() + (
    "\nsandbox:\n  email: aws+sandbox@acme.example.com\n  organizational_unit: workloads/non-prod\n"
)


def live_files() -> dict[str, bytes]:
    files = {p.relative_to(LIVE_TEMPLATE).as_posix(): p.read_bytes() for p in LIVE_TEMPLATE.rglob("*") if p.is_file()}
    files["accounts.yml"] = REQUESTED.encode()
    return files


@pytest.fixture
def gh(github_server: Any) -> baseline_pr.BaselinePulls:
    github_server.add_repo(LIVE, files=live_files())
    return baseline_pr.BaselinePulls(
        token_auth("test-token"),
        api_url=github_server.url,
        throttle=False,
        policy=RetryPolicy(attempts=4, backoff=0.01, max_wait=0.1, deadline=10),
    )


def request(pr: int | None = 7) -> baseline_pr.BaselineRequest:
    return baseline_pr.BaselineRequest(LIVE, "sandbox", VALUES.account_id, baseline.render(TEMPLATE, VALUES), pr)


def test_opens_one_pull_request_with_the_baseline_and_the_id(github_server: Any, gh: Any) -> None:
    pull = baseline_pr.open_baseline_pull(gh, request())
    assert pull.opened and pull.branch == "gwpipelines/account-sandbox"
    [opened] = github_server.pulls(LIVE)
    assert opened.number == pull.number and opened.head_ref == pull.branch and opened.base_ref == "main"
    assert "#7" in (opened.body or "") and "777788889999" in opened.title
    on_branch = github_server.files(LIVE, pull.branch)
    for path, text in baseline.render(TEMPLATE, VALUES).items():
        assert on_branch[path].decode() == text
    assert accounts.parse(on_branch["accounts.yml"].decode())["sandbox"].id == "777788889999"
    assert on_branch["accounts.yml"].decode() == accounts.with_id(REQUESTED, "sandbox", "777788889999")
    assert github_server.files(LIVE, "main")["accounts.yml"].decode() == REQUESTED  # main itself is untouched
    assert on_branch["prod/account.hcl"] == github_server.files(LIVE, "main")["prod/account.hcl"]


def test_running_again_finds_the_pull_request_and_writes_nothing(github_server: Any, gh: Any) -> None:
    first = baseline_pr.open_baseline_pull(gh, request())
    writes = len(github_server.posts)
    again = baseline_pr.open_baseline_pull(gh, request())
    assert (again.number, again.html_url, again.opened) == (first.number, first.html_url, False)
    assert len(github_server.posts) == writes and len(github_server.pulls(LIVE)) == 1


def test_a_branch_left_by_a_stopped_run_gets_its_pull_request(github_server: Any, gh: Any) -> None:
    main = gh.branch_sha(LIVE, "main")
    gh.create_branch(LIVE, "gwpipelines/account-sandbox", main)
    pull = baseline_pr.open_baseline_pull(gh, request(None))
    assert pull.opened and len(github_server.pulls(LIVE)) == 1
    assert github_server.posts_to("git/create-commit") == []
    assert "requested in accounts.yml" in (github_server.pulls(LIVE)[0].body or "")


def test_a_pull_request_created_behind_a_502_is_not_opened_twice(github_server: Any, gh: Any) -> None:
    github_server.faults.error("POST", "/repos/*/pulls", 502, after=True)
    pull = baseline_pr.open_baseline_pull(gh, request())
    assert len(github_server.pulls(LIVE)) == 1 and pull.number == github_server.pulls(LIVE)[0].number
    assert len(github_server.posts_to("pulls/create")) == 1


def test_a_branch_created_behind_a_502_is_reconciled(github_server: Any, gh: Any) -> None:
    github_server.faults.error("POST", "/repos/*/git/refs", 503, after=True)
    baseline_pr.open_baseline_pull(gh, request())
    assert len(github_server.posts_to("git/create-ref")) == 1 and len(github_server.pulls(LIVE)) == 1
