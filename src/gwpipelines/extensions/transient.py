"""Which failures are worth another attempt. A retry is only safe and useful when the cause is outside the code
being applied and likely gone a minute later; everything else fails at once (retrying a bad plan wastes minutes and
hides the error). The patterns match OpenTofu/Terraform, Terragrunt and AWS SDK messages, case-insensitively."""

from __future__ import annotations

import re

# (kind, pattern). Kept as data so the list is easy to review and extend.
TRANSIENT_PATTERNS: tuple[tuple[str, str], ...] = (
    # Provider, module and registry downloads first: their messages also name the network error underneath.
    ("provider download", r"failed to install provider|error while installing .*provider|could not download module"),
    ("provider download", r"failed to query available provider packages|error accessing remote module registry"),
    ("provider download", r"failed to download (?:module|source)|checksum list has no signature"),
    # Network: DNS, resets, timeouts talking to AWS, the registry or git.
    ("network", r"connection reset by peer|connection refused|i/o timeout|tls handshake timeout"),
    ("network", r"no such host|temporary failure in name resolution|network is unreachable|broken pipe"),
    ("network", r"net/http: request canceled|context deadline exceeded|unexpected eof|read: connection timed out"),
    # State locks held by a run that just ended, and backend hiccups.
    ("state lock", r"error acquiring the state lock|timeout while waiting for the state lock|state lock wait timeout"),
    ("state lock", r"conditionalcheckfailedexception"),
    # AWS throttling and service-side errors.
    ("rate limit", r"throttling|rate exceeded|requestlimitexceeded|too many requests|slowdown|toomanyrequests"),
    ("aws service", r"serviceunavailable|internalerror|internalfailure|status code: 50[234]"),
)

_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in TRANSIENT_PATTERNS)


def classify(output: str) -> str | None:
    """The kind of transient failure `output` shows, or None when the failure is not worth retrying."""
    for kind, pattern in _COMPILED:
        if pattern.search(output):
            return kind
    return None
