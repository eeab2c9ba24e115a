"""Fast unit tests of the course's grader (capstone.grading): no bake, no team repository.

The end-to-end run of the three grading jobs, with a real team user, is tests/test_grading_e2e.py.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from capstone.checkpoints.check import FAILED, MENTOR, PASSED, GateResult, StageResult
from capstone.checkpoints.holdout import (
    MENTORS_FILE,
    Holdout,
    HoldoutProblem,
    check_columns,
    mentors_holdout,
    redact,
)
from capstone.config import CapstoneSpec
from capstone.grading import holdout_jobs, outputs
from capstone.grading.grade import _team_results, read_team_file, stage_from_dict
from capstone.grading.pin import read_pin
from capstone.grading.sandbox import SandboxError, TeamUser
from kitdata import spec_document
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer

# --- the model's answers travel as data -----------------------------------------------------------


@pytest.mark.parametrize("metric", ["roc_auc", "f1", "accuracy", "neg_log_loss"])
def test_replayed_answers_score_exactly_as_the_model(tmp_path, metric):
    X, y = make_classification(400, random_state=0)
    labels = np.where(y == 1, 1, 0)
    model = LogisticRegression().fit(X, labels)  # has decision_function: roc_auc uses it first
    baseline = DummyClassifier().fit(X, labels)
    path = outputs.save(
        tmp_path / "a.npz", {"champion": outputs.capture(model, X), "baseline": outputs.capture(baseline, X)}
    )
    answers = outputs.load(path)
    assert outputs.score(metric, answers["champion"], labels) == pytest.approx(get_scorer(metric)(model, X, labels))
    assert outputs.score(metric, answers["baseline"], labels) == pytest.approx(get_scorer(metric)(baseline, X, labels))


def test_replayed_regressor_scores_as_the_model():
    X, y = make_regression(300, random_state=1)
    model = Ridge().fit(X, y)
    for metric in ("r2", "neg_root_mean_squared_error"):
        assert outputs.score(metric, outputs.capture(model, X), y) == pytest.approx(get_scorer(metric)(model, X, y))


def test_an_answers_file_with_code_or_strange_arrays_is_refused(tmp_path):
    with (tmp_path / "pickled.npz").open("wb") as handle:
        np.savez(handle, **{"champion.predict": np.array([object(), 1], dtype=object)})
    with pytest.raises(outputs.OutputsError, match="cannot be read"):
        outputs.load(tmp_path / "pickled.npz")
    with (tmp_path / "odd.npz").open("wb") as handle:
        np.savez(handle, **{"champion.predict": np.zeros(3), "champion.__reduce__": np.zeros(3)})
    with pytest.raises(outputs.OutputsError, match="unexpected array"):
        outputs.load(tmp_path / "odd.npz")
    with (tmp_path / "half.npz").open("wb") as handle:
        np.savez(handle, **{"champion.predict": np.zeros(3)})
    with pytest.raises(outputs.OutputsError, match="no predictions of the baseline"):
        outputs.load(tmp_path / "half.npz")


def test_answers_for_other_rows_are_refused():
    answers = {"predict": np.zeros(5)}
    with pytest.raises(outputs.OutputsError, match="5 answers for 7 holdout rows"):
        outputs.score("r2", answers, np.arange(7.0))


# --- the sandbox ------------------------------------------------------------------------------------

# A uid no account has: ending "every process of the team user" then ends only this test's.
UNUSED_UID = "64123"


def test_the_team_environment_is_written_from_scratch(monkeypatch):
    monkeypatch.setenv("CAPSTONE_HOLDOUT_SEED", "s3cret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_token")
    monkeypatch.setenv("SOMETHING_OF_THE_RUNNER", "x")
    user = TeamUser.grader()
    env = user.environment({"PYTHONPATH": "/lent/kit", "CAPSTONE_HOLDOUT_PATH": "https://x/?t=1", "GITHUB_TOKEN": "t"})
    assert env["PYTHONPATH"] == "/lent/kit"
    assert env["MLFLOW_DISABLE_TELEMETRY"] == "true"
    for name in ("CAPSTONE_HOLDOUT_SEED", "CAPSTONE_HOLDOUT_PATH", "GITHUB_TOKEN", "SOMETHING_OF_THE_RUNNER"):
        assert name not in env
    command = user.command(["make", "pipeline"], env)
    assert command[:2] == ["env", "-i"] and command[-2:] == ["make", "pipeline"]


def test_root_and_unknown_users_are_refused():
    with pytest.raises(SandboxError, match="must not run as root"):
        TeamUser.named("root")
    with pytest.raises(SandboxError, match="no user 'no-such-user-here'"):
        TeamUser.named("no-such-user-here")


@pytest.fixture
def open_folder():
    """A folder every user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="capstone-unit-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root (setpriv)")
def test_a_command_runs_as_the_team_user_without_the_secret(open_folder, monkeypatch):
    tmp_path = open_folder
    monkeypatch.setenv("CAPSTONE_HOLDOUT_SEED", "s3cret-seed")
    user = TeamUser.named(UNUSED_UID, home=tmp_path / "home")
    assert user.separate and user.prefix[0] == "setpriv"
    out = tmp_path / "seen"
    out.mkdir()
    os.chown(out, int(UNUSED_UID), int(UNUSED_UID))
    done = user.run(["sh", "-c", f"id -u > {out}/uid; cat /proc/self/environ > {out}/environ"], tmp_path)
    assert done.returncode == 0
    assert (out / "uid").read_text().strip() == UNUSED_UID
    environ = (out / "environ").read_bytes()
    assert b"s3cret-seed" not in environ and b"HOME=" in environ
    # The team user cannot write the grader's files.
    denied = user.run(["sh", "-c", f"echo forged > {tmp_path}/report.json"], tmp_path)
    assert denied.returncode != 0 and not (tmp_path / "report.json").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root (setpriv)")
def test_end_stops_what_the_team_user_left_running(open_folder):
    tmp_path = open_folder
    user = TeamUser.named(UNUSED_UID, home=tmp_path / "home")
    user.run(["sh", "-c", "setsid sleep 300 >/dev/null 2>&1 &"], tmp_path)
    assert user.end() >= 1
    left = subprocess.run(
        ["pgrep", "-r", "RSDT", "-u", UNUSED_UID, "sleep"], capture_output=True, text=True
    ).stdout.split()
    assert left == []


# --- what the team's process reports is only data ---------------------------------------------------


def _spec_with_gates() -> CapstoneSpec:
    document = spec_document()
    document["stages"][3]["gates"] = [
        dict(id="tracked-experiments", check="runs", kind="auto", blocking=True),
        dict(id="champion-beats-baseline", check="holdout", kind="auto", blocking=True),
        dict(id="champion-choice-explained", check="explained", kind="mentor", blocking=False),
    ]
    return CapstoneSpec.model_validate(document)


def test_the_team_process_results_are_believed_only_as_text_for_the_listed_gates(tmp_path):
    spec = _spec_with_gates()
    stage = spec.stage("4")
    (tmp_path / "team.json").write_text(
        json.dumps(
            {
                "gates": [
                    {"id": "tracked-experiments", "status": "PASSED!!", "measured": "4 runs"},
                    {"id": "champion-choice-explained", "status": "passed", "measured": "forged"},
                    {"id": "made-up-gate", "status": "passed"},
                ]
            }
        )
    )
    results = {result.id: result for result in _team_results(tmp_path / "team.json", stage, spec, broken="")}
    assert set(results) == {"tracked-experiments", "champion-beats-baseline", "champion-choice-explained"}
    assert results["tracked-experiments"].status == FAILED  # an unknown status is not a pass
    assert results["champion-beats-baseline"].status == FAILED
    assert results["champion-beats-baseline"].measured == "not graded"
    assert results["champion-choice-explained"].status == MENTOR  # a mentor's item stays a mentor's
    assert results["champion-choice-explained"].measured == "judged by a mentor in the review"


def test_a_team_file_that_is_a_symlink_is_not_read(tmp_path):
    (tmp_path / "grader-secret.txt").write_text("token")
    (tmp_path / "team.json").symlink_to(tmp_path / "grader-secret.txt")
    with pytest.raises(OSError):
        read_team_file(tmp_path / "team.json")
    spec = _spec_with_gates()
    results = _team_results(tmp_path / "team.json", spec.stage("4"), spec, broken="")
    assert all(result.status != PASSED for result in results)


def test_a_report_reads_back_as_the_same_stage_result():
    result = StageResult(
        4,
        "experiments",
        "Experiments",
        "docs/stages/4-experiments.md",
        [
            GateResult("tracked-experiments", 4, "runs", "auto", True, PASSED, "4 runs", "at least 4"),
        ],
        holdout_secret=True,
        seconds=3.0,
    )
    assert stage_from_dict({**result.as_dict(), "meta": {"x": 1}}) == result


# --- the team's pin of the kit ----------------------------------------------------------------------


def test_a_team_that_pins_another_kit_is_flagged(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "t"\ndependencies = ["capstone-kit==0.1.9", "pandas"]\n'
        '[tool.uv.sources]\ncapstone-kit = { git = "https://github.com/someone/fork", subdirectory = "kit" }\n'
    )
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "capstone-kit"\nversion = "0.1.9"\n'
        'source = { git = "https://github.com/someone/fork?subdirectory=kit#abc" }\n'
    )
    pin = read_pin(tmp_path)
    said = pin.mismatch("0.2.0", "git+https://github.com/my-course/ml-capstone@v0.2.0")
    assert "pyproject.toml pins capstone-kit 0.1.9" in said and "uv.lock pins capstone-kit 0.1.9" in said
    assert "github.com/someone/fork" in said and "graded by the course's capstone-kit 0.2.0" in said
    assert read_pin(tmp_path).mismatch("0.1.9", "git+https://github.com/someone/fork@x") == ""


# --- the mentors' holdout ---------------------------------------------------------------------------


def test_redact_hides_the_location_and_any_url():
    text = "could not download https://host/holdout.csv?token=abc: 404 (see /srv/m/holdout.csv)"
    said = redact(text, "/srv/m/holdout.csv")
    assert "token=abc" not in said and "/srv/m" not in said and "https://" not in said
    assert said.count(MENTORS_FILE) == 2


def _rows(tmp_path, frame) -> str:
    path = tmp_path / "secret-location" / "holdout.csv"
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    return str(path)


def test_a_good_mentors_holdout_is_read_and_says_nothing_of_where(tmp_path):
    frame = pd.DataFrame({"x": range(40), "label": [0, 1] * 20})
    holdout = mentors_holdout(_rows(tmp_path, frame), {"target": "label"}, tmp_path)
    assert holdout.secret and holdout.target == "label" and holdout.task == "binary"
    assert holdout.source == MENTORS_FILE


@pytest.mark.parametrize(
    ("frame", "settings", "said"),
    [
        (pd.DataFrame({"x": range(40), "label": [0, 1, None, 1] * 10}), {"target": "label"}, "rows without a label"),
        (pd.DataFrame({"x": range(40), "label": ["y", "n", ".", "n"] * 10}), {"target": "label"}, "10 rows without"),
        (
            pd.DataFrame({"x": range(42), "label": ["a", "b", "c"] * 14}),
            {"target": "label", "task": "binary"},
            "binary",
        ),
        (pd.DataFrame({"x": range(40)}), {"target": "label"}, "cannot be used"),
    ],
)
def test_a_bad_mentors_holdout_is_one_line_that_never_names_its_location(tmp_path, frame, settings, said):
    location = _rows(tmp_path, frame)
    with pytest.raises(HoldoutProblem) as problem:
        mentors_holdout(location, settings, tmp_path)
    text = str(problem.value)
    assert said in text and "\n" not in text
    assert "secret-location" not in text and location not in text


def test_a_missing_mentors_holdout_never_names_its_location(tmp_path):
    with pytest.raises(HoldoutProblem) as problem:
        mentors_holdout(str(tmp_path / "secret-location" / "nowhere.csv"), {"target": "label"}, tmp_path)
    assert "secret-location" not in str(problem.value) and MENTORS_FILE in str(problem.value)


def test_a_holdout_without_the_team_columns_is_named():
    with pytest.raises(HoldoutProblem, match="lacks columns of the team's data: 'plan', 'region'"):
        check_columns(["x", "tenure"], ["x", "plan", "tenure", "region"])


# --- job 3 judges only what the grader can trust -----------------------------------------------------


def _gate() -> GateResult:
    return GateResult("champion-beats-baseline", 4, "holdout", "auto", True, FAILED, "waiting")


def test_a_team_claim_about_the_holdout_goes_to_a_mentor_and_says_who_claims_it(make_context, tmp_path):
    context = make_context()
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / holdout_jobs.PROBLEM).write_text(json.dumps({"problem": "lacks columns: 'zzz'", "holdout": True}))
    result = holdout_jobs.score_answers(context, graded, _gate(), {})
    assert result.status == MENTOR and "The team's process reports" in result.detail


def test_a_team_that_cannot_answer_fails_the_gate(make_context, tmp_path):
    context = make_context()
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / holdout_jobs.PROBLEM).write_text(json.dumps({"problem": "no champion"}))
    result = holdout_jobs.score_answers(context, graded, _gate(), {})
    assert result.status == FAILED and result.detail == "no champion"


def test_answers_to_other_rows_than_job_1_handed_out_fail(make_context, tmp_path):
    context = make_context()
    features = tmp_path / "features"
    info = holdout_jobs.make_features(context, features)
    assert info["secret"] is False and (features / holdout_jobs.FEATURES).stat().st_size > 0
    frame = pd.read_parquet(features / holdout_jobs.FEATURES)
    assert "churned" not in frame.columns  # features only
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / holdout_jobs.INFO).write_text(json.dumps({**info, "digest": "0" * 64}))
    result = holdout_jobs.score_answers(context, graded, _gate(), {})
    assert result.status == FAILED and result.measured == "the holdout rows do not match"


def test_job_3_scores_answers_like_the_gate(make_context, tmp_path, holdout):
    context = make_context()
    features = tmp_path / "features"
    info = holdout_jobs.make_features(context, features)
    frame = Holdout(pd.read_parquet(features / holdout_jobs.FEATURES), False, "").frame
    labels = context.holdout.labelled()["churned"]
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / holdout_jobs.INFO).write_text(json.dumps(info))
    perfect = {
        "predict": labels.to_numpy(),
        "predict_proba": np.c_[1 - labels, labels].astype(float),
        "classes": np.array([0, 1]),
    }
    prior = {
        "predict": np.zeros(len(frame)),
        "predict_proba": np.full((len(frame), 2), 0.5),
        "classes": np.array([0, 1]),
    }
    outputs.save(graded / holdout_jobs.ANSWERS, {"champion": prior, "baseline": prior})
    # no-leak-gap: the validation score job 2 reported against the holdout's score of the same answers
    gap = GateResult("no-leak-gap", 4, "gap", "auto", True, FAILED, "waiting")
    facts = {"champion_version": "3", "valid_score": 0.95, "valid_rows": 400}
    (graded / holdout_jobs.VERSION).write_text(json.dumps(facts))
    result = holdout_jobs.score_answers(context, graded, gap, {"max_gap": 0.05})
    assert result.status == FAILED and result.measured.startswith("gap +0.450 roc_auc (validation 0.950 on 400 rows")
    assert result.expected == "at most 0.05 (+0.050 for the rows' noise)"
    assert result.detail.startswith("The champion (version 3) scores 0.950 roc_auc on the validation split")
    (graded / holdout_jobs.VERSION).write_text(json.dumps({"valid_problem": "data/split/valid.csv is missing"}))
    result = holdout_jobs.score_answers(context, graded, gap, {"max_gap": 0.05})
    assert (result.status, result.detail) == (FAILED, "data/split/valid.csv is missing")
    outputs.save(graded / holdout_jobs.ANSWERS, {"champion": perfect, "baseline": prior})
    result = holdout_jobs.score_answers(context, graded, _gate(), {"min_margin": 0.25})
    assert result.status == PASSED, result
    assert result.measured.startswith("margin +0.500 roc_auc (champion 1.000, baseline 0.500")
