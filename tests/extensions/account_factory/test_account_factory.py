from __future__ import annotations

import pytest

from gwpipelines.extensions.account_factory import factory as af
from testing.account_fixtures import Org

FAST = af.Backoff(first_seconds=0.001, max_seconds=0.01, deadline_seconds=5)
REQUEST = af.AccountRequest("sandbox", "aws+sandbox@acme.example.com", "workloads/non-prod", {"team": "platform"})


def test_plan_for_a_valid_request_says_what_will_be_created(org: Org) -> None:
    plan = af.plan(org.client, REQUEST)
    assert plan.ok and plan.ou_id == org.ous["workloads/non-prod"] and plan.existing_id is None
    assert plan.describe() == (
        f"will create AWS account sandbox (aws+sandbox@acme.example.com) in organizational unit workloads/non-prod "
        f"({org.ous['workloads/non-prod']})"
    )
    assert len(org.accounts()) == 1  # only the management account: planning changes nothing


def test_plan_reports_a_missing_ou_and_a_taken_email_and_name(org: Org) -> None:
    org.direct.create_account(Email="aws+sandbox@acme.example.com", AccountName="other")
    org.direct.create_account(Email="someone@acme.example.com", AccountName="sandbox")
    plan = af.plan(org.client, af.AccountRequest("sandbox", "AWS+sandbox@acme.example.com", "workloads/nope"))
    assert not plan.ok
    assert len(plan.problems) == 3
    assert "organizational unit 'workloads/nope' does not exist" in plan.problems[0]
    assert "email AWS+sandbox@acme.example.com is already used by account other" in plan.problems[1]
    assert "name sandbox is already used by account" in plan.problems[2]


def test_ou_by_id_and_by_path(org: Org) -> None:
    assert af.find_ou(org.client, "workloads/prod") == org.ous["workloads/prod"]
    assert af.find_ou(org.client, org.ous["sandbox"]) == org.ous["sandbox"]
    assert af.find_ou(org.client, "prod") is None
    assert af.find_ou(org.client, "ou-abcd-12345678") is None


def test_create_polls_through_in_progress_and_moves_into_the_ou(org: Org) -> None:
    org.proxy.in_progress_polls = 3
    slept: list[float] = []
    made = af.create(org.client, REQUEST, backoff=af.Backoff(0.001, 2.0, 0.004, 5), sleep=slept.append)
    assert made.created and made.parent_id == org.ous["workloads/non-prod"]
    assert slept == [0.001, 0.002, 0.004]  # three IN_PROGRESS answers, exponential then capped
    assert [a["Name"] for a in org.accounts()].count("sandbox") == 1
    assert org.direct.list_parents(ChildId=made.id)["Parents"][0]["Id"] == org.ous["workloads/non-prod"]
    assert org.direct.list_tags_for_resource(ResourceId=made.id)["Tags"] == [{"Key": "team", "Value": "platform"}]


def test_create_again_reuses_the_account(org: Org) -> None:
    first = af.create(org.client, REQUEST, backoff=FAST)
    again = af.create(org.client, REQUEST, backoff=FAST)
    assert again.id == first.id and not again.created
    assert len(org.proxy.create_calls) == 1
    assert [a["Name"] for a in org.accounts()].count("sandbox") == 1


def test_a_run_after_one_that_stopped_mid_creation_awaits_the_same_request(org: Org) -> None:
    org.proxy.in_progress_polls = 5
    with pytest.raises(af.AccountCreationFailed, match="still IN_PROGRESS"):
        af.create(org.client, REQUEST, backoff=af.Backoff(0.001, 1, 0.001, 0.0015), sleep=lambda s: None)
    made = af.create(org.client, REQUEST, backoff=FAST, sleep=lambda s: None)
    assert made.created and len(org.proxy.create_calls) == 1


def test_email_already_used_outside_the_organization_surfaces_the_failure_reason(org: Org) -> None:
    org.proxy.foreign_emails.add(REQUEST.email)
    with pytest.raises(af.AccountCreationFailed) as e:
        af.create(org.client, REQUEST, backoff=FAST, sleep=lambda s: None)
    assert "EMAIL_ALREADY_EXISTS" in str(e.value) and "use a different email in accounts.yml" in str(e.value)
    assert e.value.exit_code == 1
    assert [a["Name"] for a in org.accounts()] == ["master"]


def test_an_invalid_request_is_refused_before_anything_is_created(org: Org) -> None:
    with pytest.raises(af.AccountRequestInvalid, match="organizational unit 'nope' does not exist"):
        af.create(org.client, af.AccountRequest("sandbox", "x@example.com", "nope"), backoff=FAST)
    assert org.proxy.create_calls == []


def test_deadline_is_kept_with_a_real_clock(org: Org) -> None:
    org.proxy.in_progress_polls = 10**6
    with pytest.raises(af.AccountCreationFailed, match="run the job again later"):
        af.create(org.client, REQUEST, backoff=af.Backoff(0.01, 2, 0.05, 0.2))


def test_email_already_exists_for_our_own_account_after_a_race_picks_it_up(org: Org) -> None:
    theirs = org.direct.create_account(Email=REQUEST.email, AccountName=REQUEST.name)["CreateAccountStatus"]
    org.proxy.unlisted_once.add(REQUEST.email.lower())  # the check before creating does not see it yet
    made = af.create(org.client, REQUEST, backoff=FAST, sleep=lambda s: None)
    assert made.id == theirs["AccountId"] and not made.created
    assert len(org.proxy.create_calls) == 1  # one attempt, refused with EMAIL_ALREADY_EXISTS
    assert [a["Name"] for a in org.accounts()].count("sandbox") == 1
    assert org.direct.list_parents(ChildId=made.id)["Parents"][0]["Id"] == org.ous["workloads/non-prod"]


def test_plan_details_list_what_will_be_created(org: Org) -> None:
    text = af.plan(org.client, REQUEST).details("eu-west-1")
    assert text.splitlines() == [
        af.plan(org.client, REQUEST).describe(),
        "  + aws_organizations_account.sandbox",
        "      name                = sandbox",
        "      email               = aws+sandbox@acme.example.com",
        f"      organizational_unit = workloads/non-prod ({org.ous['workloads/non-prod']})",
        "      home_region         = eu-west-1",
        "      tags                = team=platform",
        "  then: a pull request in the live repo with the account's baseline and its id in accounts.yml",
    ]
    bad = af.plan(org.client, af.AccountRequest("sandbox", "x@example.com", "nope")).details("us-east-1")
    assert "  ! aws_organizations_account.sandbox" in bad and "organizational_unit = nope (missing)" in bad
