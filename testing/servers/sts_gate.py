"""An STS endpoint that checks web identities the way AWS does, in front of moto (which checks nothing).

For `AssumeRoleWithWebIdentity` it does what STS does before it hands out credentials:
1. finds the account's IAM OIDC provider for the token's issuer (in moto's IAM) -> else InvalidIdentityToken;
2. verifies the token: RS256 signature against the issuer's JWKS (the local OIDC server), expiry, and that `aud`
   is one of the provider's client ids -> else InvalidIdentityToken / ExpiredTokenException;
3. reads the role's trust policy (moto's IAM) and evaluates it for the token's claims (testing/servers/iam_trust)
   -> else AccessDenied; a DurationSeconds above the role's MaxSessionDuration -> ValidationError;
then forwards the call to moto, which issues the credentials. Every other request is forwarded unchanged.
Errors use STS's XML error shape and status codes, so boto3 raises the same ClientError as against AWS.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import jwt

from testing.servers.iam_trust import allows
from testing.servers.loopback import LoopbackService, send

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class StsRefusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class StsGate(LoopbackService):
    _thread_name = "sts-gate"

    def __init__(self, *, moto_url: str, jwks_url: str, iam: Any) -> None:
        self.moto_url = moto_url
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=False)
        self.iam = iam  # a boto3 IAM client on moto, for providers and trust policies
        self.refusals: list[str] = []

    # -- the checks STS makes ----------------------------------------------------------------------------------
    def check(self, role_arn: str, token: str, duration: int = 3600) -> None:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise StsRefusal(400, "InvalidIdentityToken", "Couldn't parse the identity token") from None
        issuer = str(unverified.get("iss", ""))
        account = role_arn.split(":")[4]
        provider_arn = f"arn:aws:iam::{account}:oidc-provider/{issuer.removeprefix('https://')}"
        try:
            provider = self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
        except self.iam.exceptions.NoSuchEntityException:
            raise StsRefusal(
                400, "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}"
            ) from None
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=provider["ClientIDList"], issuer=issuer)
        except jwt.ExpiredSignatureError:
            raise StsRefusal(400, "ExpiredTokenException", "Token expired") from None
        except jwt.InvalidAudienceError:
            raise StsRefusal(400, "InvalidIdentityToken", "Incorrect token audience") from None
        except jwt.PyJWTError as e:
            raise StsRefusal(400, "InvalidIdentityToken", f"Token is not valid: {e}") from None
        try:
            role = self.iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except self.iam.exceptions.NoSuchEntityException:
            role = None
        if (
            role is None
            or role["Arn"] != role_arn
            or not allows(role["AssumeRolePolicyDocument"], claims=claims, provider_arn=provider_arn)
        ):
            raise StsRefusal(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if duration > int(role.get("MaxSessionDuration", 3600)):
            raise StsRefusal(
                400,
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )

    # -- HTTP --------------------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        form.update({k: v[-1] for k, v in parse_qs(urlsplit(h.path).query).items()})
        if form.get("Action") == "AssumeRoleWithWebIdentity":
            try:
                duration = int(form.get("DurationSeconds") or 3600)
                self.check(form.get("RoleArn", ""), form.get("WebIdentityToken", ""), duration)
            except StsRefusal as refusal:
                self.refusals.append(refusal.code)
                return _send_error(h, refusal)
        self._forward(h, body)

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(self.moto_url + h.path, data=body or None, headers=headers, method=h.command)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, content, ctype = r.status, r.read(), r.headers.get("Content-Type", "text/xml")
        except urllib.error.HTTPError as e:
            status, content, ctype = e.code, e.read(), e.headers.get("Content-Type", "text/xml")
        send(h, status, content, ctype)


def _send_error(h: BaseHTTPRequestHandler, refusal: StsRefusal) -> None:
    kind = "Sender"
    xml = (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>{kind}</Type><Code>{escape(refusal.code)}</Code>'
        f"<Message>{escape(refusal.message)}</Message></Error>"
        "<RequestId>4f5e3d2c-1b0a-4c9d-8e7f-6a5b4c3d2e1f</RequestId></ErrorResponse>"
    ).encode()
    send(h, refusal.status, xml, "text/xml")
