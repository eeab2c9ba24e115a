"""Contribution evidence from git: a real two-author history in tmp_path (about 0.3 s, no bake)."""

import csv
import io
import os
import stat
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from capstone import cli
from capstone.checkpoints.check import PASSED, GateResult, StageResult
from capstone.checkpoints.report import to_markdown
from capstone.contributions import (
    CANNOT_SEE,
    HEADER,
    ContributionsError,
    _numstat,
    contributions,
    report_section,
    review_facts,
)
from typer.testing import CliRunner

ANA = ("Ana", "ana@team.org")
BO = ("Bo", "Bo@Team.org")  # mixed case: the key is lower-cased


def git(repo: Path, *args: str, who: tuple[str, str] = ANA, day: int = 1) -> str:
    date = f"2026-03-{day:02d}T12:00:00+00:00"
    environment = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    identity = ["-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=repo, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def write(repo: Path, path: str, text: str | bytes) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> SimpleNamespace:
    """main: Ana's first commit; Bo's commit on a branch; Ana's co-authored commit; Ana merges the branch."""
    repo = tmp_path_factory.mktemp("team")
    git(repo, "init", "-q", "-b", "main")
    write(repo, "README.md", "# Team\nhello\n")
    write(repo, "src/team/data/clean.py", "a = 1\nb = 2\nc = 3\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Clean the data", who=("Ana Old", "ana@team.org"), day=1)
    first = git(repo, "rev-parse", "HEAD")

    git(repo, "switch", "-qc", "models")
    write(repo, "src/team/models/candidates.py", "x = 1\ny = 2\nz = 3\nw = 4\n")
    write(repo, "tests/test_x.py", "def test_x():\n    assert True\n")
    write(repo, "docs/logo.png", b"\x89PNG\x00\x01\x02\x00")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Candidate models", who=BO, day=2)

    git(repo, "switch", "-q", "main")
    write(repo, "src/team/data/clean.py", "a = 1\nb = 20\nc = 3\nd = 4\n")  # 2 added, 1 removed
    git(repo, "add", ".")
    message = (
        "Fix the cleaning\n\nPaired on it.\n\nCO-AUTHORED-BY: Bo B <bo@TEAM.org>\nCo-authored-by: Ana <ana@team.org>\n"
    )
    git(repo, "commit", "-qm", message, day=3)
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge the models", "models", day=4)
    return SimpleNamespace(repo=repo, first=first)


def test_counts_per_author_and_stage_folder(history):
    table = contributions(history.repo, "team")
    assert [person.email for person in table.people] == ["ana@team.org", "bo@team.org"]
    ana, bo = table.people
    # Ana: commit 1 (README 2, data 3) and commit 3 (data 2+1); the merge counts apart and adds no lines
    assert ana.name == "Ana"  # the most recent name, not "Ana Old"
    assert (ana.commits, ana.merges, ana.co_authored, ana.files, ana.lines) == (2, 1, 0, 3, 8)
    areas = ("data", "validation", "features", "models", "serving", "tests", "other")
    assert {area: getattr(ana, area) for area in areas} == dict.fromkeys(areas, 0) | {"data": 6, "other": 2}
    # Bo: models 4, tests 2, a binary file (0 lines, one file); co-authored Ana's commit 3 (no lines)
    assert bo.name == "Bo"
    assert (bo.commits, bo.merges, bo.co_authored, bo.files, bo.lines) == (1, 0, 1, 3, 6)
    assert {area: getattr(bo, area) for area in areas} == dict.fromkeys(areas, 0) | {"models": 4, "tests": 2}
    assert table.person("BO@team.org") is bo
    assert not table.shallow


def test_the_merge_adds_no_lines_and_since_limits_the_range(history):
    merge = contributions(history.repo, "team", since="HEAD^1")  # only the merge commit and what it brings
    ana = merge.person("ana@team.org")
    assert (ana.merges, ana.commits, ana.lines) == (1, 0, 0)
    assert merge.person("bo@team.org").lines == 6  # Bo's commit arrives with the merge
    later = contributions(history.repo, "team", since=history.first)
    assert later.person("ana@team.org").lines == 3
    assert later.revisions == f"{history.first}..HEAD"


def test_markdown_has_the_disclaimer_the_table_and_the_footnote(history):
    markdown = contributions(history.repo, "team").to_markdown()
    assert HEADER in markdown.splitlines()[0]
    assert "not a grade" in markdown
    assert "| Bo " in markdown and "co-authored" in markdown
    assert CANNOT_SEE in markdown
    for blind_spot in ("Co-authored-by:", "squash merges", "rebases", "notebooks not committed", "meetings"):
        assert blind_spot in markdown


def test_the_command_prints_markdown_and_csv_with_the_same_numbers(history, monkeypatch):
    monkeypatch.setattr(cli, "find_root", lambda: history.repo)
    monkeypatch.setattr(cli, "load_params", lambda root: SimpleNamespace(project=SimpleNamespace(package="team")))
    runner = CliRunner()
    markdown = runner.invoke(cli.app, ["contributions"])
    assert markdown.exit_code == 0, markdown.output
    assert "not a grade" in markdown.output
    result = runner.invoke(cli.app, ["contributions", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert set(rows) == {"ana@team.org", "bo@team.org"}
    for person in contributions(history.repo, "team").people:
        row = rows[person.email]
        assert row["name"] == person.name
        for column in ("commits", "merges", "files", "lines", "data", "models", "tests", "other"):
            assert int(row[column]) == getattr(person, column), column
        assert int(row["co-authored"]) == person.co_authored
    assert runner.invoke(cli.app, ["contributions", "--format", "xml"]).exit_code == 1
    since = runner.invoke(cli.app, ["contributions", "--since", "no-such-ref"])
    assert since.exit_code == 1 and "ERROR" in since.output


def test_outside_git_raises_and_the_check_helper_stays_silent(tmp_path):
    with pytest.raises(ContributionsError):
        contributions(tmp_path, "team")
    assert report_section(tmp_path, "team") == ""


def test_numstat_reads_renames_by_their_new_path():
    stats = "\0\n1\t0\t\0src/team/old.py\0src/team/data/new.py\0-\t-\tlogo.png\0"
    assert _numstat(stats) == [("1", "0", "src/team/data/new.py"), ("-", "-", "logo.png")]


def test_the_checkpoint_report_shows_contributions_only_when_given():
    gate = GateResult(id="g", stage=1, check="a check", kind="auto", blocking=True, status=PASSED)
    result = StageResult(stage=1, key="data", title="Data", brief="briefs/1.md", gates=[gate])
    assert "### Contributions" not in to_markdown(result, {})
    text = to_markdown(result, {"contributions": "_evidence_\n\n| a |\n"})
    assert "### Contributions\n\n_evidence_\n\n| a |\n\n<sub>" in text


def test_review_facts_is_none_without_gh_and_counts_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert review_facts("team/repo") is None
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    pulls = (
        '[{"number": 1, "author": {"login": "ana"}, "mergedBy": {"login": "bo"},'
        ' "reviews": [{"author": {"login": "bo"}}, {"author": {"login": "bo"}}]},'
        ' {"number": 2, "author": {"login": "bo"}, "mergedBy": {"login": "bo"}, "reviews": []}]'
    )
    fake.write_text(f"#!/bin/sh\necho '{pulls}'\n", encoding="utf-8")  # echo: a builtin, PATH is bare
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert review_facts("team/repo") == {
        "ana": {"authored": 1, "merged": 0, "reviews": 0},
        "bo": {"authored": 1, "merged": 2, "reviews": 2},
    }
    fake.write_text("#!/bin/sh\necho 'not logged in' >&2\nexit 1\n", encoding="utf-8")
    assert review_facts("team/repo") is None
