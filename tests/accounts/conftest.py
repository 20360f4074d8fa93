from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.accounts.org_proxy import OrganizationsProxy

OUS = ("workloads", "workloads/non-prod", "workloads/prod", "sandbox")


@pytest.fixture(scope="session")
def accounts_moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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
def org(accounts_moto_url: str) -> Iterator[Org]:
    urllib.request.urlopen(urllib.request.Request(accounts_moto_url + "/moto-api/reset", method="POST")).read()
    direct = _client(accounts_moto_url)
    direct.create_organization(FeatureSet="ALL")
    root = direct.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    for path in OUS:
        parent = ous.get(path.rpartition("/")[0], root)
        ous[path] = direct.create_organizational_unit(ParentId=parent, Name=path.rpartition("/")[2])[
            "OrganizationalUnit"
        ]["Id"]
    with OrganizationsProxy(accounts_moto_url).running() as proxy:
        yield Org(proxy, _client(proxy.url), direct, ous)
