"""The kit's configuration, its hooks contract and the `capstone` command line, on a freshly baked team repo.

A bake takes about 0.3 s and writes the real params.yaml and capstone.yaml a team gets; nothing is
installed and no pipeline runs.
"""

import re
import shutil
import sys
from pathlib import Path

import capstone
import pytest
from baked import bake_team_repo
from capstone.cli import app
from capstone.config import ConfigError, load_params, load_spec
from capstone.hooks import CONTRACT, HookError, load_hooks
from rich.console import Console
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def team_repo(tmp_path_factory) -> Path:
    """A team repository baked from this template (skeleton, churn)."""
    return bake_team_repo(tmp_path_factory)


@pytest.fixture
def importable(team_repo, monkeypatch):
    """The team's package on sys.path, forgotten again after the test."""
    monkeypatch.syspath_prepend(str(team_repo / "src"))
    yield team_repo
    for name in [name for name in sys.modules if name.split(".")[0] == "churn_radar"]:
        del sys.modules[name]


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("status", "check", "report", "data"):
        assert command in result.output
    # approval is a code owner's review on GitHub, not a command anyone can run
    assert "approve" not in result.output


def test_version_is_the_kits():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"capstone-kit {capstone.__version__}"
    assert capstone.__version__ != "0+unknown"


def test_status_shows_the_dataset_and_the_five_stages(team_repo, monkeypatch):
    monkeypatch.chdir(team_repo)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "churn" in result.output
    for number, key in enumerate(["data", "validation", "features", "experiments", "deployment", "operations"], 1):
        assert re.search(rf"^ +{number} +{key} +not checked", result.output, re.MULTILINE), result.output


def test_status_fits_80_columns_and_never_cuts_a_path(team_repo, monkeypatch):
    """A long remote path is shown whole (the terminal wraps it); the stage table stays within 80 columns."""
    monkeypatch.chdir(team_repo)
    remote = "/srv/courses/ml-capstone-2026/shared-dvc-remotes/" + "a-long-team-name-" * 4 + "storage"
    monkeypatch.setattr("capstone.status.dvc_remote_url", lambda root: remote)
    monkeypatch.setattr("capstone.cli.console", Console(width=80, force_terminal=False))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert remote in result.output and "…" not in result.output, result.output
    table = [line for line in result.output.splitlines() if remote not in line]
    assert max(len(line.rstrip()) for line in table) <= 80, result.output


def test_status_outside_a_team_repository_fails_with_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.output.startswith("ERROR: no capstone.yaml")


def test_params_and_spec_load(team_repo):
    params, spec = load_params(team_repo), load_spec(team_repo)
    assert params.data.dataset == spec.dataset == "churn"
    assert [stage.number for stage in spec.stages] == [1, 2, 3, 4, 5, 6]
    assert set(spec.hooks) == set(CONTRACT)
    for stage in spec.stages:
        assert (team_repo / stage.brief).is_file(), stage.brief


def test_a_bad_gate_kind_is_reported_by_key(team_repo, tmp_path):
    shutil.copy(team_repo / "capstone.yaml", tmp_path / "capstone.yaml")
    spec_file = tmp_path / "capstone.yaml"
    spec_file.write_text(spec_file.read_text().replace("kind: auto", "kind: robot", 1))
    # The first gate in the file is the integrity gate every stage runs.
    with pytest.raises(ConfigError, match=r"capstone.yaml: every_stage\.0\.kind"):
        load_spec(tmp_path)


def test_every_declared_hook_of_a_fresh_repo_is_found(importable):
    spec, params = load_spec(importable), load_params(importable)
    hooks = load_hooks(params.project.package, spec.hooks)
    for name in CONTRACT:
        assert callable(hooks.get(name)), name


def test_a_renamed_hook_function_is_named_with_its_declaration(importable):
    clean = importable / "src" / "churn_radar" / "data" / "clean.py"
    original = clean.read_text()
    clean.write_text(original.replace("def clean_frame(", "def tidy_frame("))
    try:
        hooks = load_hooks("churn_radar", load_spec(importable).hooks)
        with pytest.raises(HookError) as raised:
            hooks.get("clean")
    finally:
        clean.write_text(original)
    message = str(raised.value)
    assert message.startswith("hook 'clean': churn_radar.data.clean has no function 'clean_frame'")
    assert "capstone.yaml (hooks.clean: data.clean:clean_frame)" in message


def test_a_hook_with_the_wrong_arguments_is_refused(importable):
    suites = importable / "src" / "churn_radar" / "validation" / "suites.py"
    original = suites.read_text()
    clean_def = original.index("def clean_expectations(")
    end = original.index(")", clean_def)
    suites.write_text(original[:clean_def] + "def clean_expectations(schema" + original[end:])
    try:
        hooks = load_hooks("churn_radar", load_spec(importable).hooks)
        with pytest.raises(HookError, match=r"hook 'clean_expectations': .* does not take \(schema, params, profile\)"):
            hooks.get("clean_expectations")
    finally:
        suites.write_text(original)


def test_hook_declarations_are_checked(importable):
    with pytest.raises(HookError, match=r"hooks.cleaning is not a hook; the hooks are: clean, "):
        load_hooks("churn_radar", {"cleaning": "data.clean:clean_frame"})
    with pytest.raises(HookError, match=r"hooks.clean must be '<module>:<function>'"):
        load_hooks("churn_radar", {"clean": "data.clean.clean_frame"})
    with pytest.raises(HookError, match=r"module churn_radar.data.scrub not found"):
        load_hooks("churn_radar", {"clean": "data.scrub:clean_frame"}).get("clean")
