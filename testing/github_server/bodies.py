"""JSON bodies as GitHub sends them: GitHub's own examples from the description, with our state written over them."""

from __future__ import annotations

import base64
from typing import Any

from testing.github_server.model import Artifact, Comment, GitCommit, Issue, Pull, Repo, Run, Workflow, now
from testing.github_server.openapi import example

HTML = "https://github.com"


class Bodies:
    def __init__(self, api: str) -> None:
        self.api = api

    def repo_url(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def user(self, login: str) -> dict[str, Any]:
        user: dict[str, Any] = example("issue-comment")["user"]
        user.update(login=login, url=f"{self.api}/users/{login}", html_url=f"{HTML}/{login}")
        user["type"] = "Bot" if login.endswith("[bot]") else "User"
        return user

    def minimal_repo(self, repo: Repo) -> dict[str, Any]:
        body: dict[str, Any] = example("workflow-run")["repository"]
        body.update(
            id=repo.id,
            name=repo.name,
            full_name=repo.full_name,
            private=repo.private,
            url=self.repo_url(repo),
            html_url=f"{HTML}/{repo.full_name}",
            owner=self.user(repo.owner),
        )
        return body

    def repository(self, repo: Repo) -> dict[str, Any]:
        body: dict[str, Any] = example("full-repository-default-response")
        for key in ("organization", "parent", "source", "template_repository"):
            body.pop(key, None)
        body.update(
            id=repo.id,
            name=repo.name,
            full_name=repo.full_name,
            private=repo.private,
            visibility="private" if repo.private else "public",
            language=None,
            default_branch=repo.default_branch,
            url=self.repo_url(repo),
            html_url=f"{HTML}/{repo.full_name}",
            owner=self.user(repo.owner),
        )
        return body

    def workflow(self, repo: Repo, workflow: Workflow) -> dict[str, Any]:
        body: dict[str, Any] = example("workflow")
        body.update(
            id=workflow.id,
            name=workflow.name,
            path=f".github/workflows/{workflow.file_name}",
            url=f"{self.repo_url(repo)}/actions/workflows/{workflow.id}",
            html_url=f"{HTML}/{repo.full_name}/blob/{repo.default_branch}/.github/workflows/{workflow.file_name}",
            created_at=workflow.created_at,
            updated_at=workflow.created_at,
        )
        return body

    def run(self, repo: Repo, run: Run) -> dict[str, Any]:
        body: dict[str, Any] = example("workflow-run")
        url = f"{self.repo_url(repo)}/actions/runs/{run.id}"
        body.update(
            id=run.id,
            name=run.workflow.name,
            run_number=run.run_number,
            run_attempt=1,
            display_title=run.display_title,
            event="workflow_dispatch",
            status=run.status,
            conclusion=run.conclusion,
            head_branch=run.dispatch.ref,
            head_sha=run.head_sha,
            path=f".github/workflows/{run.workflow.file_name}@{run.dispatch.ref}",
            workflow_id=run.workflow.id,
            url=url,
            html_url=f"{HTML}/{repo.full_name}/actions/runs/{run.id}",
            pull_requests=[],
            created_at=run.created_at,
            updated_at=now(),
            run_started_at=run.created_at,
            jobs_url=f"{url}/jobs",
            logs_url=f"{url}/logs",
            artifacts_url=f"{url}/artifacts",
            cancel_url=f"{url}/cancel",
            rerun_url=f"{url}/rerun",
            workflow_url=f"{self.repo_url(repo)}/actions/workflows/{run.workflow.id}",
            repository=self.minimal_repo(repo),
            head_repository=self.minimal_repo(repo),
            actor=self.user(run.dispatch.actor),
            triggering_actor=self.user(run.dispatch.actor),
        )
        body["head_commit"].update(id=run.head_sha, tree_id=run.head_sha, timestamp=run.created_at)
        return body

    def jobs(self, repo: Repo, run: Run) -> list[dict[str, Any]]:
        template: dict[str, Any] = example("job-paginated")["jobs"][0]
        step_template = template["steps"][0]
        failing_job = run.script.failing_job or (run.script.jobs[-1] if run.script.conclusion == "failure" else None)
        failing_step = run.script.failing_step or run.script.steps[len(run.script.steps) // 2]
        jobs = []
        for index, name in enumerate(run.script.jobs):
            job_id = run.id * 100 + index
            failed = run.completed and name == failing_job
            conclusion = None
            if run.completed:
                conclusion = (
                    "failure" if failed else ("cancelled" if run.script.conclusion == "cancelled" else "success")
                )
            steps = []
            for number, step_name in enumerate(run.script.steps, start=1):
                step = dict(step_template)
                step_conclusion = conclusion
                if failed:
                    position = run.script.steps.index(failing_step) if failing_step in run.script.steps else -1
                    step_conclusion = (
                        "success" if number - 1 < position else "failure" if number - 1 == position else "skipped"
                    )
                step.update(
                    name=step_name,
                    number=number,
                    status="completed" if run.completed else run.status,
                    conclusion=step_conclusion,
                    started_at=run.created_at,
                    completed_at=now() if run.completed else None,
                )
                steps.append(step)
            job = dict(template)
            job.update(
                id=job_id,
                run_id=run.id,
                run_url=f"{self.repo_url(repo)}/actions/runs/{run.id}",
                head_sha=run.head_sha,
                head_branch=run.dispatch.ref,
                workflow_name=run.workflow.name,
                name=name,
                url=f"{self.repo_url(repo)}/actions/jobs/{job_id}",
                html_url=f"{HTML}/{repo.full_name}/actions/runs/{run.id}/job/{job_id}",
                check_run_url=f"{self.repo_url(repo)}/check-runs/{job_id}",
                status="completed" if run.completed else run.status,
                conclusion=conclusion,
                created_at=run.created_at,
                started_at=run.created_at,
                completed_at=now() if run.completed else None,
                steps=steps,
            )
            jobs.append(job)
        return jobs

    def artifact(self, repo: Repo, run: Run, artifact: Artifact) -> dict[str, Any]:
        body: dict[str, Any] = example("artifact")
        url = f"{self.repo_url(repo)}/actions/artifacts/{artifact.id}"
        body.update(
            id=artifact.id,
            name=artifact.name,
            size_in_bytes=sum(len(content) for content in artifact.files.values()),
            url=url,
            archive_download_url=f"{url}/zip",
            expired=False,
            created_at=artifact.created_at,
            updated_at=artifact.created_at,
            expires_at=artifact.created_at,
        )
        body["workflow_run"].update(
            id=run.id,
            repository_id=repo.id,
            head_repository_id=repo.id,
            head_branch=run.dispatch.ref,
            head_sha=run.head_sha,
        )
        return body

    def comment(self, repo: Repo, comment: Comment) -> dict[str, Any]:
        body: dict[str, Any] = example("issue-comment")
        body.update(
            id=comment.id,
            url=f"{self.repo_url(repo)}/issues/comments/{comment.id}",
            html_url=f"{HTML}/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}",
            issue_url=f"{self.repo_url(repo)}/issues/{comment.issue_number}",
            body=comment.body,
            user=self.user(comment.user),
            created_at=comment.created_at,
            updated_at=comment.updated_at,
            author_association="NONE",
        )
        body.pop("reactions", None)
        return body

    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        label: dict[str, Any] = example("issue")["labels"][0]
        label.update(name=name, url=f"{self.repo_url(repo)}/labels/{name}", default=False)
        return label

    def issue(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        body: dict[str, Any] = example("issue")
        url = f"{self.repo_url(repo)}/issues/{issue.number}"
        kind = "pull" if issue.is_pull else "issues"
        body.update(
            id=issue.id,
            number=issue.number,
            url=url,
            repository_url=self.repo_url(repo),
            labels_url=f"{url}/labels{{/name}}",
            comments_url=f"{url}/comments",
            events_url=f"{url}/events",
            html_url=f"{HTML}/{repo.full_name}/{kind}/{issue.number}",
            title=issue.title,
            body=issue.body,
            state=issue.state,
            state_reason=issue.state_reason,
            user=self.user(issue.user),
            labels=[self.label(repo, name) for name in issue.labels],
            assignee=self.user(issue.assignees[0]) if issue.assignees else None,
            assignees=[self.user(login) for login in issue.assignees],
            milestone=None,
            locked=False,
            comments=sum(1 for c in repo.comments if c.issue_number == issue.number),
            created_at=issue.created_at,
            updated_at=issue.updated_at,
            closed_at=issue.closed_at,
            closed_by=None,
            author_association="NONE",
        )
        if issue.is_pull:
            body["pull_request"] = {
                "url": f"{self.repo_url(repo)}/pulls/{issue.number}",
                "html_url": f"{HTML}/{repo.full_name}/pull/{issue.number}",
                "diff_url": f"{HTML}/{repo.full_name}/pull/{issue.number}.diff",
                "patch_url": f"{HTML}/{repo.full_name}/pull/{issue.number}.patch",
            }
        else:
            body.pop("pull_request", None)
        return body

    def _pull_common(self, repo: Repo, pull: Pull, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.repo_url(repo)}/pulls/{pull.number}"
        issue_url = f"{self.repo_url(repo)}/issues/{pull.number}"
        merged = pull.merged_sha is not None
        body.update(
            id=pull.id,
            number=pull.number,
            url=url,
            html_url=f"{HTML}/{repo.full_name}/pull/{pull.number}",
            issue_url=issue_url,
            comments_url=f"{issue_url}/comments",
            title=pull.title,
            body=pull.body,
            state=pull.state,
            user=self.user(pull.user),
            labels=[],
            assignee=None,
            assignees=[],
            requested_reviewers=[],
            requested_teams=[],
            milestone=None,
            created_at=pull.created_at,
            updated_at=pull.updated_at,
            closed_at=pull.updated_at if pull.state == "closed" else None,
            merged_at=pull.updated_at if merged else None,
            merge_commit_sha=pull.merged_sha,
            author_association="NONE",
            auto_merge=None,
        )
        for side, ref, sha in (("head", pull.head_ref, pull.head_sha), ("base", pull.base_ref, pull.base_sha)):
            body[side].update(label=f"{repo.owner}:{ref}", ref=ref, sha=sha, user=self.user(repo.owner))
            body[side]["repo"] = self.repository(repo)
        return body

    def pull_simple(self, repo: Repo, pull: Pull) -> dict[str, Any]:
        return self._pull_common(repo, pull, example("pull-request-simple-items")[0])

    def pull(self, repo: Repo, pull: Pull) -> dict[str, Any]:
        body = self._pull_common(repo, pull, example("pull-request"))
        body.update(
            merged=pull.merged_sha is not None,
            merged_by=None,
            mergeable=None,
            rebaseable=None,
            mergeable_state="unknown",
            comments=0,
            review_comments=0,
            commits=1,
            additions=0,
            deletions=0,
            changed_files=0,
            maintainer_can_modify=False,
            draft=False,
        )
        return body

    def ref(self, repo: Repo, name: str, sha: str) -> dict[str, Any]:
        return {
            "ref": name,
            "node_id": base64.b64encode(f"ref:{repo.full_name}:{name}".encode()).decode(),
            "url": f"{self.repo_url(repo)}/git/{name}",
            "object": {"type": "commit", "sha": sha, "url": f"{self.repo_url(repo)}/git/commits/{sha}"},
        }

    def git_commit(self, repo: Repo, commit: GitCommit) -> dict[str, Any]:
        body: dict[str, Any] = example("git-commit")
        url = f"{self.repo_url(repo)}/git/commits"
        body.update(
            sha=commit.sha,
            url=f"{url}/{commit.sha}",
            html_url=f"{HTML}/{repo.full_name}/commit/{commit.sha}",
            author=dict(commit.author),
            committer=dict(commit.author),
            message=commit.message,
            tree={"sha": commit.tree, "url": f"{self.repo_url(repo)}/git/trees/{commit.tree}"},
            parents=[
                {"sha": p, "url": f"{url}/{p}", "html_url": f"{HTML}/{repo.full_name}/commit/{p}"}
                for p in commit.parents
            ],
        )
        return body

    def commit(self, repo: Repo, commit: GitCommit) -> dict[str, Any]:
        body: dict[str, Any] = example("commit")
        url = f"{self.repo_url(repo)}/commits/{commit.sha}"
        body.update(
            url=url,
            sha=commit.sha,
            html_url=f"{HTML}/{repo.full_name}/commit/{commit.sha}",
            comments_url=f"{url}/comments",
            author={},  # the empty object GitHub sends when no account matches the commit's e-mail
            committer={},
            parents=[{"sha": p, "url": f"{self.repo_url(repo)}/commits/{p}"} for p in commit.parents],
            files=[],
        )
        body.pop("stats", None)
        body["commit"].update(
            url=f"{self.repo_url(repo)}/git/commits/{commit.sha}",
            author=dict(commit.author),
            committer=dict(commit.author),
            message=commit.message,
            tree={"sha": commit.tree, "url": f"{self.repo_url(repo)}/git/trees/{commit.tree}"},
        )
        return body

    def tree(self, repo: Repo, sha: str, recursive: bool) -> dict[str, Any]:
        entries: dict[str, dict[str, Any]] = {}
        for path, blob in sorted(repo.trees[sha].items()):
            parts = path.split("/")
            # Directories appear as tree entries; their ids only need to be stable within a listing.
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if (recursive or depth == 1) and directory not in entries:
                    entries[directory] = {
                        "path": directory,
                        "mode": "040000",
                        "type": "tree",
                        "sha": f"{sha[:30]}{depth:010d}",
                    }
            if recursive or len(parts) == 1:
                entries[path] = {
                    "path": path,
                    "mode": "100644",
                    "type": "blob",
                    "sha": blob,
                    "size": len(repo.blobs[blob]),
                    "url": f"{self.repo_url(repo)}/git/blobs/{blob}",
                }
        return {
            "sha": sha,
            "url": f"{self.repo_url(repo)}/git/trees/{sha}",
            "tree": list(entries.values()),
            "truncated": False,
        }

    def content_file(self, repo: Repo, path: str, blob: str, ref: str) -> dict[str, Any]:
        content = repo.blobs[blob]
        url = f"{self.repo_url(repo)}/contents/{path}?ref={ref}"
        html = f"{HTML}/{repo.full_name}/blob/{ref}/{path}"
        git = f"{self.repo_url(repo)}/git/blobs/{blob}"
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(content),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": base64.b64encode(content).decode(),
            "sha": blob,
            "url": url,
            "git_url": git,
            "html_url": html,
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
            "_links": {"git": git, "self": url, "html": html},
        }

    def file_commit(self, repo: Repo, path: str, blob: str, branch: str, commit: GitCommit) -> dict[str, Any]:
        body: dict[str, Any] = example("file-commit-example-for-creating-a-file")
        content = self.content_file(repo, path, blob, branch)
        for key in ("encoding", "content"):
            content.pop(key)
        body["content"] = content
        body["commit"] = self.git_commit(repo, commit)
        body["commit"].pop("verification", None)
        return body
