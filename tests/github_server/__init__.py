"""A local GitHub REST API server for tests, held to GitHub's OpenAPI description (see server.py)."""

from tests.github_server.faults import Fault, Faults
from tests.github_server.handlers import zip_bytes
from tests.github_server.model import Dispatch, RunScript
from tests.github_server.server import GitHubServer, Received

__all__ = ["Dispatch", "Fault", "Faults", "GitHubServer", "Received", "RunScript", "zip_bytes"]
