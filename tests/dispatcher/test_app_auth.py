"""GitHub App installation auth is built from the app id, its private key and the installation id."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth

from gwpipelines.github.client import GitHub, app_installation_auth


def test_installation_auth_for_the_client() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    auth = app_installation_auth(123456, pem, 987)
    assert isinstance(auth, Auth.AppInstallationAuth)
    assert (str(auth.app_id), auth.installation_id) == ("123456", 987)
    GitHub(auth, api_url="http://127.0.0.1:9", throttle=False)  # lazy: constructing it calls nothing
