"""Full tier: a baked team repository really installs, lints and tests itself (real uv, real dvc)."""

import json
import subprocess
from pathlib import Path

import pytest
from bakery import bake

pytestmark = pytest.mark.full

CASES = {
    "defaults": {},
    "custom-csv-reference": {
        "dataset": "custom_csv",
        "scaffold": "reference",
        "license": "Apache-2.0",
        "project_name": "Own Data Team",
    },
}


def run(repo: Path, *command: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.parametrize("case", CASES)
def test_setup_lint_test_and_the_tools_work(tmp_path, cc_config, pre_commit_home, monkeypatch, case):
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    repo = bake(tmp_path, cc_config, **CASES[case])
    run(repo, "make", "setup")
    assert (repo / "uv.lock").is_file(), "the first make setup writes uv.lock for the team to commit"
    assert (repo / ".git" / "hooks" / "pre-commit").is_file()
    run(repo, "make", "lint")
    tests = run(repo, "make", "test")
    assert " passed" in tests.stdout and " failed" not in tests.stdout

    assert "status" in run(repo, ".venv/bin/capstone", "--help").stdout
    status = run(repo, ".venv/bin/capstone", "status").stdout
    assert "Stages" in status

    # The data feed runs from the installed CLI, writing a batch and its answer key.
    batch = tmp_path / "batch" / "churn.csv"
    run(repo, ".venv/bin/capstone", "data", "generate", "--domain", "churn", "--rows", "2000", "--out", str(batch))
    assert batch.is_file() and batch.with_name("churn.defects.json").is_file()

    # The real DVC accepts the .dvc/ folder the template wrote, with analytics off and our remote.
    run(repo, ".venv/bin/dvc", "status")
    remotes = run(repo, ".venv/bin/dvc", "remote", "list").stdout
    assert remotes.split()[0] == "storage"
    assert run(repo, ".venv/bin/dvc", "config", "core.analytics").stdout.strip() == "false"

    # The mentors' files: a lowered threshold committed on a branch fails the integrity gate (in every
    # stage): locally no review can approve it, the pull request's checkpoint reads the mentors' review.
    # On main there is nothing to compare, and a bad key is named in one line.
    spec = repo / "capstone.yaml"
    original = spec.read_text()
    git = ["git", "-c", "user.name=Team", "-c", "user.email=team@example.com", "-c", "commit.gpgsign=false"]
    run(repo, *git, "checkout", "--quiet", "-b", "stage/1-data")
    # (a built-in dataset's threshold, or a custom CSV's)
    lowered = original.replace("min_fixed_share: 0.9", "min_fixed_share: 0.1").replace(
        "min_rows_kept: 0.8", "min_rows_kept: 0.1"
    )
    assert lowered != original
    spec.write_text(lowered)
    run(repo, *git, "commit", "--quiet", "--no-verify", "-m", "Lower the bar", "--", "capstone.yaml")
    checked = subprocess.run([".venv/bin/capstone", "check", "1"], cwd=repo, capture_output=True, text=True)
    assert checked.returncode == 1
    integrity = json.loads((repo / "reports" / "checkpoint-1.json").read_text())["gates"][0]
    assert integrity["id"] == "integrity" and integrity["status"] == "failed"
    assert integrity["detail"].startswith("`capstone.yaml` changed: a change to the mentors' files needs a mentor's")
    assert "The CI checkpoint checks the review on the pull request" in integrity["detail"]
    run(repo, *git, "checkout", "--quiet", "main")
    run(repo, *git, "branch", "--quiet", "-D", "stage/1-data")
    subprocess.run([".venv/bin/capstone", "check", "1"], cwd=repo, capture_output=True, text=True)
    integrity = json.loads((repo / "reports" / "checkpoint-1.json").read_text())["gates"][0]
    assert integrity["status"] == "passed" and integrity["measured"].startswith("on main itself"), integrity
    spec.write_text(original.replace("kind: auto", "knd: auto", 1))
    refused = subprocess.run([".venv/bin/capstone", "check", "all"], cwd=repo, capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[0].startswith("ERROR: capstone.yaml: every_stage.0.kind"), refused.stdout
    subprocess.run(["git", "checkout", "--", "capstone.yaml"], cwd=repo, check=True)

    # Setup left the repository as the bake made it, apart from the new uv.lock.
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert changed.split() == ["??", "uv.lock"]


def test_a_second_setup_uses_the_lock(tmp_path, cc_config, pre_commit_home, monkeypatch):
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    repo = bake(tmp_path, cc_config)
    run(repo, "make", "setup")
    lock = (repo / "uv.lock").read_bytes()
    second = run(repo, "make", "setup")
    assert "Wrote uv.lock" not in second.stdout
    assert (repo / "uv.lock").read_bytes() == lock
