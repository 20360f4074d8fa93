"""The release this package is: its tag, and the commit of gwpipelines' reusable workflows that `init` points new
repositories at. `scripts/release` rewrites WORKFLOWS_REF to that commit's SHA (the tag stays as the comment, which
Dependabot and reviewers read); between releases it is the tag."""

from __future__ import annotations

import re

from gwpipelines import __version__

TAG = f"v{__version__}"
WORKFLOWS_REF = TAG

_SHA = re.compile(r"[0-9a-f]{40}")


def ref_comment(ref: str) -> str:
    """` # vX.Y.Z` after a `uses:` pinned to this release's commit; nothing after a tag or another commit."""
    return f" # {TAG}" if ref == WORKFLOWS_REF and _SHA.fullmatch(ref) else ""
