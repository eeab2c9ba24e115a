"""Full tier: team repos made with cruft can be checked and updated when the template changes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, git

pytestmark = pytest.mark.full
CRUFT = Path(sys.executable).parent / "cruft"


def run(cwd: Path, *command) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def git_copy_of_the_template(destination: Path) -> Path:
    """The template's current files (committed or not, minus ignored ones) as a fresh git repo."""
    listed = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = TEMPLATE / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    commit_all(destination, "template v1", init=True)
    return destination


def commit_all(repo: Path, message: str, init: bool = False) -> None:
    if init:
        run(repo, "git", "init", "--quiet", "-b", "main")
    run(repo, "git", "add", "--all")
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    run(repo, "git", *identity, "commit", "--quiet", "--no-verify", "-m", message)


def test_cruft_create_check_and_update(tmp_path, cc_config):
    template = git_copy_of_the_template(tmp_path / "template")
    out = tmp_path / "out"
    context = json.dumps({"project_name": "Cruft Team", "dataset": "house_prices"})
    run(
        tmp_path,
        CRUFT,
        "create",
        template,
        "--no-input",
        "--output-dir",
        out,
        "--config-file",
        cc_config,
        "--extra-context",
        context,
    )
    repo = out / "cruft-team"
    cruft_json = json.loads((repo / ".cruft.json").read_text())
    assert cruft_json["context"]["cookiecutter"]["dataset"] == "house_prices"
    # The team commits .cruft.json (cruft writes it after the bake's first commit).
    commit_all(repo, "Record the template version")
    run(repo, CRUFT, "check")

    # The template moves on: a new line in the team README and a new file.
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nUpdated by the template.\n")
    (template / "{{cookiecutter.project_slug}}" / "CONTRIBUTING.md").write_text("# Contributing\n")
    commit_all(template, "template v2")
    assert subprocess.run([CRUFT, "check"], cwd=repo, capture_output=True).returncode != 0

    run(repo, CRUFT, "update", "--skip-apply-ask", "--allow-untracked-files", "-y")
    assert "Updated by the template." in (repo / "README.md").read_text()
    assert (repo / "CONTRIBUTING.md").is_file()
    run(repo, CRUFT, "check")
    # The hooks ran again inside cruft's scratch copies, not here: history and DVC files are intact.
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"
    assert "analytics = false" in (repo / ".dvc" / "config").read_text()
    assert not (repo / ".git" / "rebase-merge").exists()
