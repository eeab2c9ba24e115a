"""Full tier: team repos made with cruft can be checked and updated when the template changes,
including a release of the course kit (a new version and a new gate) that `make setup` then installs."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import teamrepo
from bakery import TEMPLATE, git

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


# --- a release of the course kit reaches a team repo through cruft update --------------------

NEW_GATE = "release-marker"
NEW_GATE_MEASURED = "measured by the gate the new release added"
NEW_GATE_MODULE = f'''"""{NEW_GATE} (stage 1): a gate added by a kit release in tests/test_cruft.py."""

from capstone.checkpoints.registry import Outcome, gate


@gate("{NEW_GATE}")
def release_marker(context, thresholds) -> Outcome:
    return Outcome(passed=True, measured="{NEW_GATE_MEASURED}")
'''
NEW_GATE_SPEC = f"""      - id: {NEW_GATE}
        check: A gate the test's kit release added.
        kind: auto
        blocking: false
"""


def next_patch(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


def release_the_kit(template: Path) -> str:
    """In the template repo: a new gate (its own module plus a capstone.yaml entry) and the next kit version,
    committed as a release. Returns the new version."""
    pyproject = template / "kit" / "pyproject.toml"
    old = tomllib.loads(pyproject.read_text())["project"]["version"]
    new = next_patch(old)
    text = pyproject.read_text()
    assert text.count(f'version = "{old}"') == 1
    pyproject.write_text(text.replace(f'version = "{old}"', f'version = "{new}"'))
    (template / "kit" / "src" / "capstone" / "checkpoints" / "gates" / "release_marker.py").write_text(NEW_GATE_MODULE)
    spec = template / "{{cookiecutter.project_slug}}" / "capstone.yaml"
    text = spec.read_text()
    anchor = "      - id: cleaning-explained\n"  # stage 1's mentor gate: the new gate goes before it
    assert text.count(anchor) == 1
    spec.write_text(text.replace(anchor, NEW_GATE_SPEC + anchor))
    commit_all(template, f"Release {new}: a new stage 1 gate")
    return new


def changed_lines(repo: Path, name: str) -> list[str]:
    """The added and removed lines of one file in the working tree against HEAD."""
    diff = git(repo, "diff", "--unified=0", "HEAD", "--", name).splitlines()
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def find_gate(report, gate_id: str) -> dict | None:
    """The entry of one gate anywhere in a checkpoint report's JSON."""
    if isinstance(report, dict):
        if report.get("id") == gate_id:
            return report
        report = list(report.values())
    if isinstance(report, list):
        for item in report:
            if (found := find_gate(item, gate_id)) is not None:
                return found
    return None


def test_a_kit_release_reaches_the_team_repo_through_cruft_update(tmp_path, cc_config, pre_commit_home):
    template = git_copy_of_the_template(tmp_path / "template")
    old_version = tomllib.loads((template / "kit" / "pyproject.toml").read_text())["project"]["version"]
    old_commit = git(template, "rev-parse", "HEAD").strip()
    out = tmp_path / "out"
    run(tmp_path, CRUFT, "create", template, "--no-input", "--output-dir", out, "--config-file", cc_config)
    repo = out / "churn-radar"
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    assert f"capstone-kit=={old_version}" in pyproject["project"]["dependencies"]
    source = pyproject["tool"]["uv"]["sources"]["capstone-kit"]
    # The kit comes from the template repo cruft was given (not cruft's scratch clone), at the baked commit.
    url = template.resolve().as_uri()
    assert source == {"git": url, "rev": old_commit, "subdirectory": "kit"}, source

    # The team: records the template version, installs, commits the lock file make setup wrote.
    commit_all(repo, "Record the template version")
    teamrepo.run(repo, "make", "setup")
    assert teamrepo.run(repo, ".venv/bin/capstone", "--version").stdout.split() == ["capstone-kit", old_version]
    commit_all(repo, "Lock the environment")

    # The course releases: a new gate and the next version, in one commit of the template.
    new_version = release_the_kit(template)
    new_commit = git(template, "rev-parse", "HEAD").strip()

    run(repo, CRUFT, "update", "--skip-apply-ask", "--allow-untracked-files", "-y")
    changed = {line[3:] for line in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()}
    # Only what the release changed: the version and commit in pyproject.toml, the kit version in
    # params.yaml (the pipeline's ingest depends on it), the new gate's entry in capstone.yaml, and
    # cruft's record of the template commit, and the checkpoint's caller, pinned to the course's new release.
    expected = {"pyproject.toml", "params.yaml", "capstone.yaml", ".cruft.json", ".github/workflows/checkpoint.yml"}
    assert changed == expected, changed
    caller = changed_lines(repo, ".github/workflows/checkpoint.yml")
    assert any(line.startswith("+") and new_commit in line and f"# v{new_version}" in line for line in caller), caller
    assert sorted(changed_lines(repo, "params.yaml")) == [
        f'+  version: "{new_version}"',
        f'-  version: "{old_version}"',
    ]
    assert sorted(changed_lines(repo, "pyproject.toml")) == sorted(
        [
            f'-    "capstone-kit=={old_version}",',
            f'+    "capstone-kit=={new_version}",',
            *(
                f'{sign}capstone-kit = {{ git = "{url}", rev = "{commit}", subdirectory = "kit" }}'
                for sign, commit in (("-", old_commit), ("+", new_commit))
            ),
        ]
    )
    assert all(
        NEW_GATE in line or line.strip("+-").strip() in NEW_GATE_SPEC for line in changed_lines(repo, "capstone.yaml")
    )
    assert json.loads((repo / ".cruft.json").read_text())["commit"] == new_commit
    commit_all(repo, "Update from the template")

    # The committed uv.lock names the old kit. In CI, make setup refuses a stale lock and says what to run.
    in_ci = subprocess.run(
        ["make", "setup"], cwd=repo, env={**teamrepo.team_env(repo), "CI": "true"}, capture_output=True, text=True
    )
    assert in_ci.returncode != 0 and "uv lock" in in_ci.stderr, in_ci.stdout + in_ci.stderr
    assert git(repo, "status", "--porcelain") == ""
    # On the team's machine, make setup relocks (the kit's entry; the other pins stay) and says to commit it.
    local_env = {key: value for key, value in teamrepo.team_env(repo).items() if key != "CI"}
    local = subprocess.run(["make", "setup"], cwd=repo, env=local_env, capture_output=True, text=True, timeout=900)
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    assert "commit it" in local.stdout, local.stdout
    assert {line[3:] for line in git(repo, "status", "--porcelain").splitlines()} == {"uv.lock"}
    kit_lines = [line for line in changed_lines(repo, "uv.lock") if "capstone-kit" in line or new_commit in line]
    assert kit_lines, changed_lines(repo, "uv.lock")
    assert teamrepo.run(repo, ".venv/bin/capstone", "--version").stdout.split() == ["capstone-kit", new_version]
    commit_all(repo, "Lock the new kit")

    # The new kit grades: stage 1's checkpoint runs the new gate (the others fail without a pipeline run).
    teamrepo.run(repo, ".venv/bin/capstone", "check", "1", check=False)
    report_text = (repo / "reports" / "checkpoint-1.json").read_text()
    entry = find_gate(json.loads(report_text), NEW_GATE)
    assert entry is not None and NEW_GATE_MEASURED in json.dumps(entry), report_text[:3000]
    assert entry.get("status") == "passed", entry
    assert new_version in report_text  # the report names the kit version that graded it
    # The update is committed on main: a local check there has no branch to compare, so integrity passes
    # (on a pull request, the new capstone.yaml would need a code owner's approving review).
    integrity = find_gate(json.loads(report_text), "integrity")
    assert integrity is not None and integrity.get("status") == "passed", integrity
