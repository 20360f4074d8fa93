"""pytest plugin: AWS and GitHub OIDC test servers (registered in tests/conftest.py).

- `moto_server`: moto in server mode on loopback (one per session; `.reset()` wipes its state). moto checks neither
  the web identity token nor the role's trust policy (FACTS.md): trust policies are tested separately.
- `oidc_server`: the local GitHub OIDC token endpoint (testing/servers/oidc.py), reset to its default job per test.
- `sts_gate`: an STS endpoint in front of moto that, like AWS, verifies the token against the OIDC server's JWKS
  and evaluates the role's trust policy stored in moto's IAM (testing/servers/sts_gate.py). Opt-in: point
  AWS_ENDPOINT_URL_STS at `sts_gate.url` after creating the OIDC provider and roles in moto's IAM.
- `aws_env`: the environment of a pipelines job wired to both: what `credentials.assume_role_env(environ=...)` and
  boto3 clients (through AWS_ENDPOINT_URL_*) read. moto's state is reset for each test that uses it.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from testing.servers.oidc import OidcServer
from testing.servers.sts_gate import StsGate


@dataclass
class MotoServer:
    url: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def aws_client(service: str, env: Mapping[str, str]) -> Any:
    """A boto3 client configured only from `env` (an `aws_env` or an `assume_role_env` answer), never from the
    machine's own AWS settings: endpoint from AWS_ENDPOINT_URL_<SERVICE>, keys and region from `env`."""
    import boto3

    return boto3.client(
        service,
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL"),
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    from moto.server import ThreadedMotoServer

    # moto's werkzeug logs every request to stderr; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _oidc_server_session() -> Iterator[OidcServer]:
    server = OidcServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oidc_server(_oidc_server_session: OidcServer) -> OidcServer:
    _oidc_server_session.reset()
    return _oidc_server_session


@pytest.fixture
def aws_env(moto_server: MotoServer, oidc_server: OidcServer) -> dict[str, str]:
    moto_server.reset()
    return {
        **oidc_server.env(),
        "AWS_ENDPOINT_URL_STS": moto_server.url,
        "AWS_ENDPOINT_URL_ORGANIZATIONS": moto_server.url,
        "AWS_ENDPOINT_URL_IAM": moto_server.url,
        # Dummy keys: anything that signs a request signs with these, never with real ones from the machine.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }


@pytest.fixture
def sts_gate(aws_env: dict[str, str], moto_server: MotoServer, oidc_server: OidcServer) -> Iterator[StsGate]:
    gate = StsGate(moto_url=moto_server.url, jwks_url=oidc_server.jwks_url, iam=aws_client("iam", aws_env)).start()
    try:
        yield gate
    finally:
        gate.stop()
