"""The `capstone` command line answers --help and status."""

from capstone.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "status" in result.output
    assert "data" in result.output


def test_status_shows_the_dataset_and_the_five_stages(repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "{{ cookiecutter.dataset }}" in result.output
    for number in "12345":
        assert f"│ {number} " in result.output


def test_status_outside_the_repository_fails_with_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.output.startswith("ERROR: no capstone.yaml")
