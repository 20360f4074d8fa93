"""A thin HTTP layer in front of moto's Organizations that answers the way AWS does where moto does not:
CreateAccount starts IN_PROGRESS and stays so for a few DescribeCreateAccountStatus polls (the account is not listed
meanwhile), and an email already used by an AWS account (in the organization, or `foreign_emails` outside it)
ends FAILED with EMAIL_ALREADY_EXISTS instead of making a second account. Everything else is passed through."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from testing.servers.loopback import LoopbackService, send

_TARGET = "AWSOrganizationsV20161128."


@dataclass
class _Request:
    name: str
    polls_left: int
    account_id: str | None = None  # None for a request that will fail
    failure: str | None = None
    requested: float = field(default_factory=time.time)

    def status(self, request_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"Id": request_id, "AccountName": self.name, "RequestedTimestamp": self.requested}
        if self.polls_left > 0:
            return {**out, "State": "IN_PROGRESS"}
        if self.failure:
            return {**out, "State": "FAILED", "FailureReason": self.failure, "CompletedTimestamp": time.time()}
        return {**out, "State": "SUCCEEDED", "AccountId": self.account_id, "CompletedTimestamp": time.time()}


class OrganizationsProxy(LoopbackService):
    _thread_name = "organizations-proxy"

    def __init__(self, upstream: str, in_progress_polls: int = 2) -> None:
        self.upstream = upstream.rstrip("/")
        self.in_progress_polls = in_progress_polls
        self.foreign_emails: set[str] = set()
        # Emails left out of the next ListAccounts answer only: the listing lagging behind a parallel creation.
        self.unlisted_once: set[str] = set()
        self.create_calls: list[dict[str, Any]] = []
        self.requests: dict[str, _Request] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[OrganizationsProxy]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def answer(self, action: str, body: dict[str, Any], forward: Any) -> tuple[int, dict[str, Any]] | None:
        """The proxy's own answer to an Organizations call, or None to pass it through unchanged."""
        with self._lock:
            if action == "CreateAccount":
                return self._create(body, forward)
            if action == "DescribeCreateAccountStatus":
                req = self.requests.get(body.get("CreateAccountRequestId", ""))
                if req is None:
                    return None
                status = req.status(body["CreateAccountRequestId"])
                req.polls_left = max(0, req.polls_left - 1)
                return 200, {"CreateAccountStatus": status}
            if action == "ListCreateAccountStatus":
                wanted = set(body.get("States") or ["IN_PROGRESS", "SUCCEEDED", "FAILED"])
                statuses = [r.status(i) for i, r in self.requests.items()]
                return 200, {"CreateAccountStatuses": [s for s in statuses if s["State"] in wanted]}
            if action == "ListAccounts":
                code, data = forward(body)
                hidden = {r.account_id for r in self.requests.values() if r.polls_left > 0}
                hidden_emails, self.unlisted_once = self.unlisted_once, set()
                data["Accounts"] = [
                    a
                    for a in data.get("Accounts", [])
                    if a["Id"] not in hidden and a["Email"].lower() not in hidden_emails
                ]
                return code, data
        return None

    def _create(self, body: dict[str, Any], forward: Any) -> tuple[int, dict[str, Any]]:
        self.create_calls.append(body)
        request_id = "car-" + secrets.token_hex(16)
        email = body["Email"].lower()
        _, listed = forward({}, "ListAccounts")
        taken = email in self.foreign_emails or any(a["Email"].lower() == email for a in listed["Accounts"])
        if taken:
            req = _Request(body["AccountName"], self.in_progress_polls, failure="EMAIL_ALREADY_EXISTS")
        else:
            code, data = forward(body)
            if code != 200:
                return code, data
            req = _Request(body["AccountName"], self.in_progress_polls, data["CreateAccountStatus"]["AccountId"])
        self.requests[request_id] = req
        return 200, {"CreateAccountStatus": req.status(request_id)}

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        target = h.headers.get("X-Amz-Target", "")
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length")}

        def forward(body: dict[str, Any], action: str | None = None) -> tuple[int, dict[str, Any]]:
            fwd = dict(headers)
            if action:
                fwd["X-Amz-Target"] = _TARGET + action
            code, data = self._send(json.dumps(body).encode(), fwd)
            return code, json.loads(data or b"{}")

        answer = None
        if target.startswith(_TARGET):
            answer = self.answer(target[len(_TARGET) :], json.loads(raw or b"{}"), forward)
        if answer is None:
            code, data = self._send(raw, headers)
        else:
            code, data = answer[0], json.dumps(answer[1]).encode()
        send(h, code, data, "application/x-amz-json-1.1")

    def _send(self, raw: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        req = urllib.request.Request(self.upstream + "/", data=raw, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
