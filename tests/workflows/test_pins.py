"""Supply chain and injection rules for every workflow and action file gwpipelines ships (and `init` writes):
third-party actions pinned by full commit SHA of a real release, no `${{ }}` inside a `run:` script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testing.actions.workflows import ACTION, EXPRESSION, OWN_REPO, ROOT, load, shipped_files, steps, uses_lines

# The release tags we pin, and their commits, read from the actions' own repositories (tags, and `using: node24` in
# each tag's action.yml). A SHA that is not listed here, or a comment naming another tag, fails: the comment is what
# reviewers (and Dependabot) read.
KNOWN_PINS = {
    "actions/checkout": {"3d3c42e5aac5ba805825da76410c181273ba90b1": "v7.0.1"},
    "actions/setup-python": {"5fda3b95a4ea91299a34e894583c3862153e4b97": "v7.0.0"},
    "actions/upload-artifact": {"bbbca2ddaa5d8feaa63e36b76fdaad77386f024f": "v7.0.0"},
    "actions/download-artifact": {"3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c": "v8.0.1"},
    "actions/cache": {"27d5ce7f107fe9357f9df03efb73ab90386fccae": "v5.0.5"},
    "jdx/mise-action": {"3c2e0cf82a5b2e5249f0d3635a4d83d0ae861518": "v4.2.5"},
}
OWN_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


def pin_findings(path: Path) -> list[str]:
    findings = []
    for line, ref, comment in uses_lines(path):
        where = f"{path}:{line}: {ref}"
        if ref.startswith("./") or ref.startswith("docker://"):
            continue
        name, _, version = ref.partition("@")
        owner_repo = "/".join(name.split("/")[:2])
        if owner_repo == OWN_REPO:
            if not (OWN_TAG.match(version) or re.fullmatch(r"[0-9a-f]{40}", version)):
                findings.append(f"{where}: gwpipelines itself must be called at a release tag or a commit SHA")
            continue
        if not re.fullmatch(r"[0-9a-f]{40}", version):
            findings.append(f"{where}: not pinned to a full commit SHA")
        elif KNOWN_PINS.get(owner_repo, {}).get(version) is None:
            findings.append(f"{where}: SHA is not a known release of {owner_repo}")
        elif comment != KNOWN_PINS[owner_repo][version]:
            findings.append(f"{where}: comment {comment!r} should name the tag {KNOWN_PINS[owner_repo][version]}")
    return findings


def injection_findings(path: Path) -> list[str]:
    """Any `${{ }}` in a `run:` script: inputs and event text reach scripts through `env:` only."""
    return [
        f"{s.file}: job {s.job} step {s.index}: {m.group(0)} inside run:"
        for s in steps(path)
        for m in EXPRESSION.finditer(str(s.body.get("run", "")))
    ]


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_pin_every_action_and_keep_expressions_out_of_scripts(path: Path) -> None:
    assert pin_findings(path) == []
    assert injection_findings(path) == []


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@0000000000000000000000000000000000000000 # v5.6.0\n"
        "      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v6.0.0\n"
        "      - uses: gwpipelines/gwpipelines@main\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: |\n"
        "          echo ok\n"
        "          echo ${{ inputs.jobs }}\n"
    )
    pins = pin_findings(bad)
    assert len(pins) == 4
    assert "not pinned" in pins[0] and "not a known release" in pins[1] and "v7.0.0" in pins[2]
    assert "release tag" in pins[3]
    injections = injection_findings(bad)
    assert [i.split(": ")[-1] for i in injections] == [
        "${{ github.event.pull_request.title }} inside run:",
        "${{ inputs.jobs }} inside run:",
    ]


def test_every_shipped_file_is_checked() -> None:
    files = shipped_files()
    assert ACTION in files
    # live.yml, pipelines.yml and drift.yml (reusable), one caller in each repository template, and the live
    # template's drift caller
    assert len([p for p in files if p.parent.name == "workflows"]) == 6
    for path in shipped_files():
        assert load(path)


def test_gwpipelines_calls_itself_at_the_release_it_ships_in() -> None:
    """gwpipelines' own references name this release: its tag (between releases), or after `scripts/release` a
    commit SHA with the tag as the comment; `init` defaults to the same ref."""
    from gwpipelines import __version__, release

    tag = f"v{__version__}"
    own = [(ref.partition("@")[2], comment) for path in shipped_files() for _, ref, comment in uses_lines(path)
           if ref.startswith(OWN_REPO)]  # fmt: skip
    assert own
    for ref, comment in own:
        assert ref == tag or (re.fullmatch(r"[0-9a-f]{40}", ref) and comment == tag), (ref, comment)
    assert tag == release.WORKFLOWS_REF or re.fullmatch(r"[0-9a-f]{40}", release.WORKFLOWS_REF)
