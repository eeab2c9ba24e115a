"""`capstone check N` end to end on a scratch repository (CLI -> Context -> gates -> reports)."""

import json

import pytest
import yaml
from capstone import __version__
from capstone.cli import app
from kitdata import params_document, spec_document
from typer.testing import CliRunner


@pytest.fixture
def repo(tmp_path, monkeypatch):
    from capstone.checkpoints.approval import ENVIRONMENT

    # integrity passes: no pull request to read, and outside a git repository nothing to compare
    for name in (*ENVIRONMENT, "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)

    def make(hooks: dict | None = None):
        spec = spec_document(hooks)
        spec["every_stage"] = [dict(id="integrity", check="mentor files approved", kind="auto", blocking=True)]
        spec["stages"][0]["gates"].append(dict(id="cleaning-fixes-defects", check="cleans", kind="auto", blocking=True))
        (tmp_path / "capstone.yaml").write_text(yaml.safe_dump(spec))
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params_document("no_team_package")))
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return make


def test_check_writes_both_reports_with_the_kit_version(repo):
    root = repo()
    result = CliRunner().invoke(app, ["check", "1"])
    assert result.exit_code == 1, result.output  # the team package is missing: a blocking gate fails
    assert "Checkpoint 1: Data: 1 blocking gate failed" in result.output
    markdown = (root / "reports" / "checkpoint-1.md").read_text()
    assert f"capstone-kit `{__version__}`" in markdown
    assert "hook 'clean': module no_team_package.data.clean not found" in markdown
    document = json.loads((root / "reports" / "checkpoint-1.json").read_text())
    assert document["kit_version"] == __version__
    assert [gate["status"] for gate in document["gates"]] == ["passed", "mentor", "failed"]


def test_a_malformed_hook_declaration_stops_the_check_in_one_line(repo):
    repo(hooks={"clean": "data.clean.clean_frame"})
    result = CliRunner().invoke(app, ["check", "1"])
    assert result.exit_code == 1
    assert "ERROR: capstone.yaml: hooks.clean must be '<module>:<function>', not 'data.clean.clean_frame'" in (
        " ".join(result.output.split())
    )
