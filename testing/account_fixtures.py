from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from testing.aws_fixtures import MotoServer
from testing.servers.org_proxy import OrganizationsProxy

OUS = ("workloads", "workloads/non-prod", "workloads/prod", "sandbox")


@dataclass
class Org:
    """A fresh organization in moto, reached through the AWS-like proxy; `direct` bypasses the proxy."""

    proxy: OrganizationsProxy
    client: Any
    direct: Any
    ous: dict[str, str]

    def accounts(self) -> list[dict[str, Any]]:
        return [a for page in self.direct.get_paginator("list_accounts").paginate() for a in page["Accounts"]]


def _client(url: str) -> Any:
    return boto3.client(
        "organizations",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def org(moto_server: MotoServer) -> Iterator[Org]:
    moto_server.reset()
    direct = _client(moto_server.url)
    direct.create_organization(FeatureSet="ALL")
    root = direct.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    for path in OUS:
        parent = ous.get(path.rpartition("/")[0], root)
        ous[path] = direct.create_organizational_unit(ParentId=parent, Name=path.rpartition("/")[2])[
            "OrganizationalUnit"
        ]["Id"]
    with OrganizationsProxy(moto_server.url).running() as proxy:
        yield Org(proxy, _client(proxy.url), direct, ous)
