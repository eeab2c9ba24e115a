"""Which runs belong to a commit (capstone.checkpoints.commits): one rule for the gates and the report.

On a real git repository: the pipeline runs before the commit that records its outputs, so a run at
the commit before with the same src/ belongs; a run of other code, of another branch, or from
uncommitted code (tag dirty) does not. The gates of stages 3-5 refuse, in one line, to grade a
champion that is not the checked-out commit's.
"""

import subprocess

import pandas as pd
import pytest
from capstone.checkpoints.check import FAILED, run_gate
from capstone.checkpoints.commits import Commits
from capstone.config import CapstoneSpec, Gate
from capstone.pipeline.tracking import run_tags
from kitdata import spec_document


def git(root, *args) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    done = subprocess.run(["git", *identity, *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(root, message: str, **files) -> str:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_a_run_belongs_to_its_commit_and_to_a_later_one_with_the_same_code(repo):
    trained = commit(repo, "features", **{"src/team/features.py": "one = 1\n"})
    recorded = commit(repo, "the pipeline's outputs", **{"dvc.lock": "stages: {}\n", "reports/r.json": "{}"})
    changed = commit(repo, "new features", **{"src/team/features.py": "one = 2\n"})
    commits = Commits(repo)
    clean = {"git_sha": trained, "dirty": "false"}
    assert commits.belongs(clean, trained) and commits.belongs(clean, recorded)
    assert not commits.belongs(clean, changed)  # other code
    assert not commits.belongs({**clean, "dirty": "true"}, trained)  # uncommitted code
    assert commits.belongs({"git_sha": trained}, recorded)  # runs from before the dirty tag count
    frame = pd.DataFrame({"run_id": ["a", "b"], "tags.git_sha": [trained, changed], "tags.dirty": ["false", "false"]})
    assert list(commits.runs_of(frame, recorded)["run_id"]) == ["a"]
    assert list(commits.runs_of(frame, changed)["run_id"]) == ["b"]


def test_a_run_of_another_branch_does_not_belong(repo):
    base = commit(repo, "base", **{"src/team/a.py": "a = 1\n"})
    git(repo, "switch", "-q", "-c", "scratch")
    scratch = commit(repo, "scratch", **{"src/team/a.py": "a = 99\n"})
    git(repo, "switch", "-q", "main")
    main = commit(repo, "docs", **{"README.md": "hello\n"})
    commits = Commits(repo)
    assert commits.belongs({"git_sha": base}, main)
    assert not commits.belongs({"git_sha": scratch}, main)


def test_the_train_stage_tags_uncommitted_code_dirty(repo, make_context):
    commit(repo, "code", **{"src/team/a.py": "a = 1\n"})
    params = make_context(root=repo).params
    assert run_tags(params, repo)["dirty"] == "false"
    (repo / "reports").mkdir()
    (repo / "reports" / "x.json").write_text("{}")  # outputs are not code
    assert run_tags(params, repo)["dirty"] == "false"
    (repo / "src" / "team" / "a.py").write_text("a = 2\n")
    assert run_tags(params, repo)["dirty"] == "true"


def test_a_stage_4_gate_does_not_grade_another_commits_champion(repo, make_context, store):
    """The store's champion was trained at a commit this repository does not have (another clone or branch)."""
    commit(repo, "code", **{"src/team/a.py": "a = 1\n"})
    context = make_context(root=repo, mlflow=dict(tracking_uri=store.uri, registered_model="test-team-model"))
    stage = CapstoneSpec.model_validate(spec_document()).stages[3]
    result = run_gate(context, Gate(id="pipeline-in-model", check="c", kind="auto", blocking=True), stage)
    assert (result.status, result.measured) == (FAILED, "not ready")
    assert result.detail.startswith("the champion (version 1) was trained at commit abcdef1, whose code (src/)")
    assert "make fresh-mlflow" in result.detail and "\n" not in result.detail
    assert not context.strict_champion and context.champion.version  # outside a strict gate it is readable
