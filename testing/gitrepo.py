"""Real git repositories in temp dirs, with real commits: the one helper every test uses to build a repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitRepo:
    """A working tree with helpers to write, delete, move and commit files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    @classmethod
    def from_tree(cls, source: Path, path: Path, message: str = "initial") -> GitRepo:
        """A repo whose first commit is a copy of `source` (e.g. infrastructure-live-template/)."""
        shutil.copytree(source, path, ignore=shutil.ignore_patterns(".terragrunt-cache", "__pycache__"))
        repo = cls.init(path)
        repo.commit(message)
        return repo

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        out = subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def write(self, rel: str, text: str) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text()

    def append(self, rel: str, text: str) -> None:
        self.write(rel, self.read(rel) + text)

    def delete(self, rel: str) -> None:
        self.git("rm", "-r", "-q", rel)

    def move(self, src: str, dst: str) -> None:
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, *args: str) -> None:
        self.git("checkout", "-q", *args)
