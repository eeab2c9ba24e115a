"""The post-generation hook: git repository, first commit, DVC files, idempotency, no git."""

import contextlib
import subprocess
import sys
from pathlib import Path

from bakery import bake, git, last_answers, repo_files, template_source
from cookiecutter.environment import StrictEnvironment


def tree_fingerprint(repo: Path) -> dict[str, bytes]:
    return {name: (repo / name).read_bytes() for name in repo_files(repo)}


def rendered_post_gen_hook(cc_config: Path) -> str:
    """The post-gen hook as cookiecutter renders it, using the last bake's recorded context."""
    replay = last_answers(cc_config)
    source = template_source()
    # As cookiecutter does: the template's local_extensions importable, the template's folder current.
    sys.path.insert(0, str(source))
    try:
        with contextlib.chdir(source):
            env = StrictEnvironment(context=replay, keep_trailing_newline=True)
            env.loader = None
            hook = (source / "hooks" / "post_gen_project.py").read_text(encoding="utf-8")
            return env.from_string(hook).render(**replay)
    finally:
        sys.path.remove(str(source))


def test_the_repo_is_git_with_one_clean_commit_and_dvc_initialised(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config)
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert set(git(repo, "ls-files").split()) == repo_files(repo)
    config = (repo / ".dvc" / "config").read_text()
    assert "analytics = false" in config and "remote = storage" in config
    assert (repo / ".dvc" / ".gitignore").read_text().split() == ["/config.local", "/tmp", "/cache"]


def test_rerunning_the_post_gen_hook_changes_nothing(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config, license="none", dataset="custom_csv")
    before, head = tree_fingerprint(repo), git(repo, "rev-parse", "HEAD")
    hook = tmp_path / "post_gen_project.py"
    hook.write_text(rendered_post_gen_hook(cc_config), encoding="utf-8")
    subprocess.run([sys.executable, str(hook)], cwd=repo, check=True)
    assert tree_fingerprint(repo) == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_first_commit_works_without_a_git_identity(tmp_path, cc_config, monkeypatch):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)
    repo = bake(tmp_path / "out", cc_config)
    assert git(repo, "log", "-1", "--format=%ae").strip() == "ml-capstone@users.noreply.github.com"


def test_without_git_the_bake_succeeds_and_says_so_in_one_line(tmp_path, cc_config, monkeypatch, capfd):
    no_git = tmp_path / "bin"
    no_git.mkdir()
    monkeypatch.setenv("PATH", str(no_git))
    repo = bake(tmp_path / "out", cc_config)
    assert not (repo / ".git").exists()
    assert (repo / "Makefile").is_file()
    notes = [line for line in capfd.readouterr().out.splitlines() if "git was not found" in line]
    assert len(notes) == 1


def test_the_recorded_answers_rebake_the_same_repo(tmp_path, cc_config):
    answers = {
        "project_name": "Loan Watch",
        "dataset": "credit_default",
        "scaffold": "reference",
        "license": "Apache-2.0",
    }
    first = bake(tmp_path / "first", cc_config, **answers)
    # The recorded answers are a cookiecutter config file (default_context), plus our replay dirs.
    config = tmp_path / "answers-config.yaml"
    config.write_text((first / ".cookiecutter-answers.yaml").read_text() + cc_config.read_text())
    cli = Path(sys.executable).parent / "cookiecutter"
    subprocess.run(
        [cli, str(template_source()), "--no-input", "--config-file", str(config), "-o", str(tmp_path / "second")],
        check=True,
        capture_output=True,
    )
    second = tmp_path / "second" / first.name
    assert tree_fingerprint(second) == tree_fingerprint(first)


def test_gitignore_keeps_dvc_pointers_and_hides_local_stores(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config)
    kept = ["data/raw.dvc", "dvc.lock", "data/.gitignore", "models/model.dvc", "params.yaml", "metrics.json"]
    kept += ["reports/data-issues.yaml", "reports/eda/profile.md", "reports/model_card.md", "model_card.yaml"]
    hidden = ["mlflow.db", "mlartifacts/x", ".env", ".bentoml/x", "gx/uncommitted/x", "dvc_plots/index.html", ".venv/x"]
    # the brief's `capstone data battery --out data/battery`, and make fresh-mlflow's old stores
    hidden += ["data/battery/manifest.json", ".mlflow-old/20261205-080000/mlflow.db"]
    ignored = subprocess.run(["git", "check-ignore", *kept, *hidden], cwd=repo, capture_output=True, text=True)
    assert sorted(ignored.stdout.split()) == sorted(hidden)
