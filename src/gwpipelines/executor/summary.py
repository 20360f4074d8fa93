"""The results as the Actions job summary (markdown appended to `$GITHUB_STEP_SUMMARY`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gwpipelines.models.results import JobResult, Status


def write_step_summary(environ: Mapping[str, str], results: list[JobResult], notices: Sequence[str] = ()) -> None:
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(step_summary(results, notices))


def step_summary(results: list[JobResult], notices: Sequence[str] = ()) -> str:
    icon = {Status.SUCCEEDED: "✅", Status.FAILED: "❌", Status.SKIPPED: "⏭️"}
    rows = [
        "## gwpipelines",
        "",
        "| job | status | add | change | destroy | replace | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.summary
        rows.append(
            f"| `{r.id}` | {icon[r.status]} {r.status} | {s.add} | {s.change} | {s.destroy} | {s.replace} | "
            f"{r.seconds:.1f} |"
        )
    if notices:
        rows += ["", "### Notices", *(f"> [!WARNING]\n> {n}" for n in notices)]
    problems = [f"- `{r.id}`: {r.failure}" for r in results if r.failure]
    if problems:
        rows += ["", "### Problems", *problems]
    return "\n".join(rows) + "\n\n"
