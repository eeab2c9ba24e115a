"""The gradebook's rules and views, and the recorder's run, without a server (tests/test_cohort_results.py has one)."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from capstone.cohort import gradebook_views as views
from capstone.cohort import results as R
from capstone.cohort.gradebook import NOT_ATTEMPTED, Activity, Checkpoint, GradebookError, assemble, read_cohort
from capstone.grading.record import Login, RecordError, record, run_metrics, run_tags

DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SERVER = "http://mlflow.example.edu"


def checkpoint(team, stage, result, days, pr="", score=None):
    return Checkpoint(
        team=team,
        stage=stage,
        result=result,
        when=DAY + timedelta(days=days),
        pr=pr,
        url=f"{SERVER}/#/experiments/1/runs/{team}{stage}{days}",
        holdout_metric="roc_auc" if score is not None else "",
        holdout_score=score,
        contributors="Ada 5, Grace 2",
    )


@pytest.fixture
def book():
    runs = [
        checkpoint("alpha", 1, R.FAILED, 0, pr="3"),
        checkpoint("alpha", 1, R.PASSED, 2, pr="4"),
        checkpoint("alpha", 1, R.FAILED, 5, pr="9"),  # a later failure does not undo the pass
        checkpoint("alpha", 4, R.PASSED, 6, pr="12", score=0.871),
        checkpoint("beta", 1, R.FAILED, 1, pr="2"),
        checkpoint("beta", 2, R.NOT_GRADED, 3, pr="5"),
        checkpoint("stranger", 1, R.PASSED, 1),  # not in the cohort file: left out
    ]
    activity = {"alpha": Activity(17, DAY + timedelta(days=7)), "beta": Activity(3, DAY)}
    return assemble(SERVER, ["alpha", "beta", "gamma"], runs, activity)


def test_a_stage_shows_its_first_pass_else_its_latest_attempt_else_not_attempted(book):
    alpha, beta, gamma = book.rows
    assert alpha.cells[1].status == R.PASSED
    assert (alpha.cells[1].pr, alpha.cells[1].when, alpha.cells[1].attempts) == ("4", DAY + timedelta(days=2), 3)
    assert alpha.cells[4].status == R.PASSED and alpha.passed == 2
    assert beta.cells[1].status == R.FAILED and beta.cells[2].status == R.NOT_GRADED and beta.passed == 0
    assert all(cell.status == NOT_ATTEMPTED and cell.when is None for cell in gamma.cells.values())
    assert [row.team for row in book.rows] == ["alpha", "beta", "gamma"]
    assert book.stages == (1, 2, 3, 4, 5, 6)


def test_the_holdout_runs_and_last_activity(book):
    alpha, beta, gamma = book.rows
    assert (alpha.holdout_metric, alpha.holdout_score) == ("roc_auc", 0.871)
    assert (alpha.runs, alpha.last_activity) == (17, DAY + timedelta(days=7))
    # A checkpoint later than the team's last run counts as activity.
    assert beta.last_activity == DAY + timedelta(days=3)
    assert (gamma.runs, gamma.last_activity, gamma.holdout_score) == (0, None, None)
    assert book.passes_over_time() == [(DAY + timedelta(days=2), 1), (DAY + timedelta(days=6), 2)]


def test_the_csv_has_one_row_per_team_for_a_gradebook_import(book):
    rows = list(csv.DictReader(io.StringIO(views.to_csv(book))))
    assert [row["team"] for row in rows] == ["alpha", "beta", "gamma"]
    assert [row["stages_passed"] for row in rows] == ["2", "0", "0"]
    assert [row["stage_1"] for row in rows] == ["passed", "failed", "not attempted"]
    assert rows[0]["stage_1_date"] == "2026-11-04" and rows[0]["stage_1_pr"] == "4"
    assert rows[0]["stage_1_report"].startswith(SERVER + "/#/experiments/1/runs/")
    assert (rows[0]["holdout_metric"], rows[0]["holdout_score"], rows[0]["runs"]) == ("roc_auc", "0.871", "17")
    assert rows[2]["last_activity"] == "" and rows[2]["contributors"] == ""


def test_the_terminal_table_names_every_team_and_status(book):
    from rich.console import Console

    console = Console(width=160, record=True)
    console.print(views.to_table(book))
    text = console.export_text()
    for word in ("alpha", "beta", "gamma", "passed", "failed", "not graded", "not attempted", "#4", "roc_auc 0.871"):
        assert word in text


def test_the_html_page_is_self_contained_and_escapes_what_it_shows(book):
    book.rows[0].contributors = "<script>alert(1)</script>"
    page = views.to_html(book)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page.replace(SERVER, "").replace("http://www.w3.org/2000/svg", "")
    assert page.count("<tr>") == 4 and 'id="passes"' in page and "2 of 18" in page


def test_a_cohort_without_a_pass_has_no_chart():
    page = views.to_html(assemble(SERVER, ["alpha"], [], {}))
    assert 'id="passes"' not in page and "no checkpoint passed yet" in page


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("teams: []\n", "lists no teams"),
        ("teams: [Bad_Team]\n", "'Bad_Team' is not a repository slug"),
        (": [", "cannot read"),
    ],
)
def test_a_bad_cohort_file_is_refused_in_one_line(tmp_path, text, said):
    path = tmp_path / "cohort.yaml"
    path.write_text(text)
    with pytest.raises(GradebookError, match=said):
        read_cohort(path)


def test_the_cohort_file_gives_teams_and_server(tmp_path):
    path = tmp_path / "cohort.yaml"
    path.write_text("server: http://127.0.0.1:5000\nteams: [alpha, beta-2]\nmentors: [ada]\n")
    assert read_cohort(path) == (["alpha", "beta-2"], "http://127.0.0.1:5000")


# ------------------------------------------------------------------------------------------ the recorder


def report(passed=True, broken=False):
    gates = [
        {"id": "data-tracked", "blocking": True, "status": "passed"},
        {"id": "tracked-experiments", "blocking": True, "status": "passed" if passed else "failed"},
        {
            "id": "champion-beats-baseline",
            "blocking": True,
            "status": "passed",
            "values": {"metric": "roc_auc", "champion": 0.87, "baseline": 0.5, "margin": 0.37},
        },
    ]
    meta = {"team": "alpha", "commit": "abc1234", "official": True, "contributors": {"Ada": 5, "Grace": 2}, "pr": "7"}
    if broken:
        meta["broken"] = "make pipeline failed"
    return {"stage": 4, "passed": passed, "kit_version": "0.2.0", "gates": gates, "meta": meta}


def test_the_run_carries_the_result_the_gates_and_the_holdout():
    tags = run_tags(report(), "alpha", "f" * 40, "")
    assert tags[R.TEAM] == "alpha" and tags[R.STAGE] == "4" and tags[R.RESULT] == R.PASSED
    assert (tags[R.COMMIT], tags[R.PR], tags[R.GRADER], tags[R.OFFICIAL]) == ("f" * 40, "7", "0.2.0", "true")
    assert tags[R.GATE_TAG + "tracked-experiments"] == "passed" and tags[R.HOLDOUT_METRIC] == "roc_auc"
    assert tags[R.CONTRIBUTIONS] == "Ada 5, Grace 2"
    assert run_metrics(report()) == {R.GATES_FAILED: 0.0, R.HOLDOUT_SCORE: 0.87, R.HOLDOUT_BASELINE: 0.5}
    assert run_tags(report(passed=False), "alpha", "", "")[R.RESULT] == R.FAILED
    assert run_metrics(report(passed=False))[R.GATES_FAILED] == 1.0
    assert run_tags(report(broken=True), "alpha", "", "")[R.RESULT] == R.NOT_GRADED


def test_without_a_cohort_server_nothing_is_recorded(monkeypatch):
    monkeypatch.delenv("CAPSTONE_RESULTS_URI", raising=False)
    assert Login.from_environment() is None


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"CAPSTONE_RESULTS_URI": "ftp://x"}, "http"),
        ({"CAPSTONE_RESULTS_URI": "http://x", "CAPSTONE_RESULTS_USERNAME": "grader.a"}, "is empty"),
    ],
)
def test_a_half_configured_login_is_refused(monkeypatch, env, said):
    for name in ("CAPSTONE_RESULTS_URI", "CAPSTONE_RESULTS_USERNAME", "CAPSTONE_RESULTS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RecordError, match=said):
        Login.from_environment()


def test_only_a_grader_login_records_and_only_a_real_report(tmp_path):
    (tmp_path / "checkpoint-4.json").write_text(json.dumps(report()))
    with pytest.raises(RecordError, match="not a grader login"):
        record(Login("http://127.0.0.1:9", "alpha", "pw"), tmp_path, 4)
    with pytest.raises(RecordError, match="no readable report"):
        record(Login("http://127.0.0.1:9", "grader.alpha", "pw"), tmp_path, 2)
    local = report()
    local["meta"]["official"] = False
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "checkpoint-4.json").write_text(json.dumps(local))
    with pytest.raises(RecordError, match="a local `make check` report"):
        record(Login("http://127.0.0.1:9", "grader.alpha", "pw"), tmp_path / "local", 4)
    with pytest.raises(RecordError, match="is alpha's, not beta's: record each team's report with its own grader"):
        record(Login("http://127.0.0.1:9", "grader.beta", "pw"), tmp_path, 4)
    with pytest.raises(RecordError, match="not a git SHA"):
        record(Login("http://127.0.0.1:9", "grader.alpha", "pw"), tmp_path, 4, commit="main; rm -rf /")
    assert R.team_of_grader("grader.alpha") == "alpha" and R.team_of_grader("grader.Alpha") is None


def test_a_server_that_is_not_there_is_one_line(tmp_path):
    import socket

    from capstone.cohort.gradebook import fetch

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GradebookError, match=rf"cannot reach the cohort server at http://127.0.0.1:{port} \("):
        fetch(f"http://127.0.0.1:{port}", ["alpha"])
