"""Which MLflow runs belong to a commit: one definition, for the gates and for `capstone report`.

A run belongs to commit C when it was trained from committed code that is C's code:
- its tag `dirty` is not "true" (the train stage tags a run dirty when src/ had uncommitted changes);
- its tag `git_sha` is C, or an ancestor of C whose src/ is the same as C's. The pipeline runs before
  the commit that records its outputs (dvc.lock, reports/), so its runs carry the commit before; a
  commit that changes no code keeps the runs of the one before it.

Runs from uncommitted code belong to no commit: the gates and the report leave them out, and say so.
The champion belongs to the checked-out commit by the same rule; the gates of stages 3-5 grade it only
then (Context.champion), since a champion from another branch or from older code says nothing of this
commit's work.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CODE = ("src",)  # what "the same code" compares
DIRTY = "dirty"  # the run tag: "true" when src/ had uncommitted changes at training time


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


@dataclass
class Commits:
    """The git questions about runs, answered once per check (a few runs share a handful of commits)."""

    root: Path
    _same: dict[tuple[str, str], bool] = field(default_factory=dict)

    def resolve(self, ref: str = "HEAD") -> str:
        """The full sha of `ref` ("" when git cannot say: no repository, no commit yet)."""
        done = _git(self.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return done.stdout.strip() if done.returncode == 0 else ""

    def same_code(self, sha: str, commit: str) -> bool:
        """Whether a run trained at `sha` ran `commit`'s code: the same commit, or an ancestor with the same src/."""
        if not sha or not commit:
            return False
        if sha == commit:
            return True
        key = (sha, commit)
        if key not in self._same:
            ancestor = _git(self.root, "merge-base", "--is-ancestor", sha, commit).returncode == 0
            self._same[key] = ancestor and _git(self.root, "diff", "--quiet", sha, commit, "--", *CODE).returncode == 0
        return self._same[key]

    def belongs(self, tags: dict, commit: str) -> bool:
        """Whether a run with these tags belongs to `commit` (the module's rule)."""
        return str(tags.get(DIRTY, "")) != "true" and self.same_code(str(tags.get("git_sha") or ""), commit)

    def runs_of(self, frame, commit: str):
        """The rows of mlflow.search_runs' `frame` that belong to `commit`."""
        shas, dirty = _tag(frame, "git_sha"), _tag(frame, DIRTY)
        keep = [dirty_tag != "true" and self.same_code(sha, commit) for sha, dirty_tag in zip(shas, dirty, strict=True)]
        return frame[keep]


def _tag(frame, name: str) -> list[str]:
    """A tag's values in mlflow.search_runs' frame ("" where unset; MLflow leaves out tags nobody set)."""
    column = f"tags.{name}"
    if column not in frame.columns:
        return [""] * len(frame)
    return ["" if value is None or value != value else str(value) for value in frame[column]]


def uncommitted(frame):
    """The rows of `frame` trained from uncommitted code."""
    return frame[[value == "true" for value in _tag(frame, DIRTY)]]
