"""data-tracked on a real git + DVC repository in a scratch folder, with a local folder as its remote;
and the baked template's data/.gitignore, which keeps DVC's outputs out of git from the start."""

import subprocess
import sys

import pytest
import yaml
from baked import bake_team_repo
from capstone.checkpoints.registry import load_all

DVC_YAML = """stages:
  ingest:
    cmd: {python} ingest.py
    deps:
    - ingest.py
    outs:
    - data/raw
"""
INGEST = """import pathlib
folder = pathlib.Path("data/raw")
folder.mkdir(parents=True, exist_ok=True)
(folder / "batch.csv").write_text({content!r})
"""


def git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """make(push=True, commit=True) -> a repository whose ingest stage made data/raw."""
    from dvc.repo import Repo

    def make(push: bool = True, commit: bool = True, remote: bool = True):
        root = tmp_path / "repo"
        root.mkdir()
        monkeypatch.chdir(root)  # DVC, like the pipeline, works from the repository's root
        git(root, "init", "-q")
        with Repo.init(str(root)) as dvc:
            with dvc.config.edit() as config:
                config["core"]["analytics"] = False
                config["core"]["check_update"] = False
                if remote:
                    config["remote"]["storage"] = {"url": str(tmp_path / "remote")}
                    config["core"]["remote"] = "storage"
            (root / "dvc.yaml").write_text(DVC_YAML.format(python=sys.executable))
            (root / "ingest.py").write_text(INGEST.format(content="a,b\\n1,2\\n"))
            dvc.reproduce()
            if push:
                dvc.push()
        if commit:
            git(root, "add", "-A")
            git(root, "commit", "-qm", "data")
        return root

    return make


def test_tracked_pushed_and_current_data_passes(repo, make_context):
    outcome = load_all()["data-tracked"](make_context(root=repo()), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "5 of 5 checks pass"
    assert outcome.expected == "not in git, tracked, remote set, pushed, up to date"
    # the remote is a folder on this machine: it passes, and says a teammate cannot pull from it
    assert outcome.detail.startswith("The DVC remote is the folder ") and "cannot `make pull`" in outcome.detail


def test_data_not_pushed_fails_saying_make_push(repo, make_context):
    outcome = load_all()["data-tracked"](make_context(root=repo(push=False)), {})
    assert not outcome.passed
    assert outcome.measured == "4 of 5 checks pass (failed: pushed)"
    first = outcome.detail.splitlines()[0]
    assert first.startswith("1 file(s) of data/raw are not in the remote `storage` (e.g. `data/raw/batch.csv`)")
    # the remote folder was never created (nothing was pushed): the gate says it does not exist
    assert "; the remote is the folder " in first and ", which does not exist on this machine" in first
    assert "run `make push`." in outcome.detail.splitlines()[0]


def test_an_uncommitted_lock_and_no_remote_fail(repo, make_context):
    outcome = load_all()["data-tracked"](make_context(root=repo(push=False, commit=False, remote=False)), {})
    assert not outcome.passed
    assert outcome.measured == "2 of 5 checks pass (failed: tracked, remote; pushed not checked)"
    # the pipeline ran (the workspace's dvc.lock tracks data/raw): commit and push, no rerun
    assert outcome.detail.startswith(
        "The workspace's dvc.lock tracks data/raw, but it is not committed: run `git add dvc.lock && git commit`"
    )
    assert "then `make push`" in outcome.detail.splitlines()[0]
    assert "make pipeline" not in outcome.detail.splitlines()[0]
    assert "- remote: no default DVC remote is set in .dvc/config: run `dvc remote add -d" in outcome.detail


def test_a_stage_changed_since_fails_up_to_date(repo, make_context):
    root = repo()
    (root / "ingest.py").write_text(INGEST.format(content="a,b\\n3,4\\n"))
    outcome = load_all()["data-tracked"](make_context(root=root), {})
    assert not outcome.passed
    assert outcome.measured == "4 of 5 checks pass (failed: up to date)"
    assert outcome.detail.startswith("`dvc status` is not clean: stage(s) ingest changed: run `make pipeline`")


def test_data_committed_to_git_fails_saying_git_rm_cached(repo, make_context):
    """A first run that failed before DVC ignored data/raw, then `git add -A`: the data is in git."""
    root = repo()
    git(root, "add", "--force", "data/raw")
    git(root, "commit", "-qm", "everything")
    outcome = load_all()["data-tracked"](make_context(root=root), {})
    assert not outcome.passed
    assert outcome.measured == "4 of 5 checks pass (failed: not in git)"
    first = outcome.detail.splitlines()[0]
    assert first.startswith(
        "Git holds 1 file(s) of data/raw, which DVC versions (e.g. `data/raw/batch.csv`): "
        "run `git rm -r --cached data/raw`, then `git commit"
    ), first
    # the fix it names works
    git(root, "rm", "-r", "-q", "--cached", "data/raw")
    git(root, "commit", "-qm", "untrack")
    assert load_all()["data-tracked"](make_context(root=root), {}).passed


def test_data_staged_for_the_next_commit_fails_too(repo, make_context):
    root = repo()
    git(root, "add", "--force", "data/raw/batch.csv")
    outcome = load_all()["data-tracked"](make_context(root=root), {})
    assert outcome.measured == "4 of 5 checks pass (failed: not in git)"


@pytest.mark.parametrize("dataset", ["churn", "custom_csv"])
def test_a_fresh_team_repo_ignores_every_dvc_output_before_the_first_run(tmp_path_factory, dataset):
    """A pipeline that fails before DVC writes its ignore entries, then `git add -A`: no data in git."""
    root = bake_team_repo(tmp_path_factory, dataset=dataset, project_slug="ignores-" + dataset.replace("_", "-"))
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    outs = [
        name
        for stage in stages.values()
        for out in stage.get("outs", [])
        for name, settings in (out.items() if isinstance(out, dict) else [(out, {})])
        if settings.get("cache", True)
    ]
    assert "data/raw" in outs
    for out in outs:
        (root / out).mkdir(parents=True, exist_ok=True)
        (root / out / "part.csv").write_text("a,b\n1,2\n")
    git(root, "add", "-A")
    staged = subprocess.run(["git", "ls-files", "--", *outs], cwd=root, capture_output=True, text=True, check=True)
    assert staged.stdout == ""
    # the entries are DVC's own (/raw in data/.gitignore): a successful run leaves the file as it is
    ignore = root / "data" / ".gitignore"
    assert {f"/{out.split('/', 1)[1]}" for out in outs if out.startswith("data/")} <= set(ignore.read_text().split())
