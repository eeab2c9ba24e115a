"""Stage 4 gates, and the stage 3 gates that read MLflow, on the small sqlite MLflow store of conftest.py."""

import json
from pathlib import Path

import pytest
from capstone.checkpoints.registry import load_all
from capstone.checkpoints.versioning import delivered_batch_md5
from kitdata import MODEL, SHA, TRAIN_ROWS, VERSION


def gate(gate_id: str):
    return load_all()[gate_id]


@pytest.fixture
def stage4(make_context, store, holdout, tmp_path, monkeypatch):
    """make(**params sections) -> a Context on the store, scoring on public holdout rows. The store's runs
    were trained at SHA: the checked-out commit here (the rule of capstone.checkpoints.commits is tested
    on real git in test_commits.py)."""
    from capstone.checkpoints.commits import Commits

    monkeypatch.setattr(Commits, "resolve", lambda self, ref="HEAD": SHA)

    def make(**sections):
        context = make_context(mlflow=dict(tracking_uri=store.uri, registered_model=MODEL), **sections)
        context.used_holdout = holdout
        return context

    return make


# --- tracked-experiments --------------------------------------------------------------------------


def test_enough_tagged_runs_and_families_pass(stage4):
    outcome = gate("tracked-experiments")(stage4(), {"min_runs": 4, "min_families": 3, "min_tuned_families": 2})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "4 runs, 3 families (2 tuned) at abcdef1"
    assert outcome.expected == "at least 4 runs, 3 families, 2 tuned; every run tagged"


def test_too_few_families_fail_and_name_them(stage4):
    outcome = gate("tracked-experiments")(stage4(), {"min_families": 4, "min_tuned_families": 3})
    assert not outcome.passed
    assert outcome.measured == "4 runs, 3 families (2 tuned) at abcdef1"
    assert outcome.detail.startswith(
        "Too few tracked experiments at this commit (abcdef1): 3 model families "
        "(estimator classes) besides the baseline (`HistGradientBoostingClassifier`, `LogisticRegression`, "
        "`RandomForestClassifier`); at least 4 are needed."
    )
    tuned = "- 2 families tuned with a search (`LogisticRegression`, `RandomForestClassifier`); at least 3 are needed"
    assert tuned in outcome.detail


def test_three_labels_on_one_estimator_class_are_one_family(make_context, schema, clean_rows, tmp_path, monkeypatch):
    """The cheat: candidates named logistic_a, logistic_b, logistic_c, all LogisticRegression."""
    import mlflow
    from capstone.checkpoints.commits import Commits
    from capstone.pipeline.splits import model_input
    from kitdata import feature_steps, log_model
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment = MlflowClient(uri).create_experiment("test-team", artifact_location=(tmp_path / "a").as_uri())
    mlflow.set_tracking_uri(uri)
    X, y = model_input(clean_rows.head(300), schema), clean_rows.head(300)[schema.target]
    for label in ("dummy", "logistic_a", "logistic_b", "logistic_c"):
        estimator = DummyClassifier() if label == "dummy" else LogisticRegression(C=len(label), max_iter=200)
        model = Pipeline([("features", feature_steps(schema)), ("model", estimator)]).fit(X, y)
        with mlflow.start_run(experiment_id=experiment, run_name=label):
            tags = dict(git_sha=SHA, data_version=VERSION, family=label, baseline=str(label == "dummy").lower())
            mlflow.set_tags(tags)
            mlflow.log_params(dict(search="RandomizedSearchCV"))
            uri_of_model = log_model(model, X)
    version = mlflow.register_model(uri_of_model, MODEL)
    MlflowClient(uri).set_registered_model_alias(MODEL, "champion", version.version)
    monkeypatch.setattr(Commits, "resolve", lambda self, ref="HEAD": SHA)
    context = make_context(mlflow=dict(tracking_uri=uri, registered_model=MODEL))
    outcome = gate("tracked-experiments")(context, {"min_runs": 4, "min_families": 3, "min_tuned_families": 2})
    assert not outcome.passed and outcome.measured == "4 runs, 1 family (1 tuned) at abcdef1"
    said = "the runs' 3 family labels (`logistic_a`, `logistic_b`, `logistic_c`) are 1 estimator class"
    assert said in outcome.detail


# --- champion-on-delivered-data -------------------------------------------------------------------


def dvc_listing(root: Path, batch_md5: str) -> None:
    listing = root / ".dvc" / "cache" / "files" / "md5" / VERSION[:2] / VERSION[2:]
    listing.parent.mkdir(parents=True)
    listing.write_text(json.dumps([{"md5": batch_md5, "relpath": "batch.csv"}]))


def test_a_champion_trained_on_the_delivery_passes(stage4, tmp_path):
    dvc_listing(tmp_path, delivered_batch_md5("churn", 2000, 42, 1))
    outcome = gate("champion-on-delivered-data")(stage4(), {"feed_seed": 42})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "data version 01234567 is feed batch 1 (2000 rows, seed 42)"


def test_a_champion_trained_on_other_rows_fails(stage4, tmp_path):
    dvc_listing(tmp_path, "f" * 32)
    context = stage4(data=dict(feed=dict(seed=918_273, rows=2000, batch=1)))
    outcome = gate("champion-on-delivered-data")(context, {"feed_seed": 42})
    assert not outcome.passed
    assert outcome.measured == "data version 01234567 is not a feed delivery"
    assert outcome.expected == "feed batch 1 (2000 rows, seed 42)"
    assert outcome.detail.startswith("The champion (version 1, run ")
    assert "was not trained on the data the feed delivered." in outcome.detail
    assert "- data.feed.seed in params.yaml is 918273: it must stay 42." in outcome.detail


def test_a_champion_whose_data_is_not_cached_says_to_pull(stage4):
    outcome = gate("champion-on-delivered-data")(stage4(), {"feed_seed": 42})
    assert not outcome.passed
    assert outcome.measured == "data version 01234567 not in the DVC cache"
    assert "Run `dvc pull` to fetch it" in outcome.detail


# --- champion-beats-baseline ----------------------------------------------------------------------


def test_a_champion_well_above_the_baseline_passes_and_says_the_holdout_is_public(stage4):
    outcome = gate("champion-beats-baseline")(stage4(), {"min_margin": 0.05})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("margin +0.")
    assert "baseline 0.500; 2000 holdout rows, holdout not secret)" in outcome.measured
    assert outcome.detail.startswith("**The holdout is not secret:** 2000 test rows from the feed.")


def test_a_margin_below_the_threshold_fails(stage4):
    outcome = gate("champion-beats-baseline")(stage4(), {"min_margin": 0.9})
    assert not outcome.passed
    assert outcome.expected == "at least 0.90"
    assert outcome.detail.startswith("The champion (version 1) beats the baseline by +0.")
    assert "roc_auc on the holdout; at least 0.90 is needed." in outcome.detail
    assert outcome.detail.endswith("See docs/stages/4-experiments.md.")


# --- stage 3 gates that read MLflow -------------------------------------------------------------


def test_the_logged_signature_holds_no_forbidden_column(stage4):
    outcome = gate("leaky-column-unused")(stage4(), {})
    assert outcome.passed, outcome.detail


CANDIDATES = '''
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression

from capstone.pipeline.candidate import Candidate


class PeekingScaler(BaseEstimator, TransformerMixin):
    """Centres `age` on the mean of the validation split: it reads held-out rows while fitting."""

    def fit(self, X, y=None):
        valid = pd.read_csv("data/split/valid.csv")
        self.centre_ = float(pd.to_numeric(valid["age"], errors="coerce").mean())
        return self

    def transform(self, X):
        return X[["age"]].fillna(0).to_numpy() - self.centre_


def candidates(schema, params, target=None):
    numbers = ColumnTransformer([("numbers", SimpleImputer(), list(schema.numeric))])
    found = [Candidate("logistic", numbers, LogisticRegression(max_iter=500), space={"C": [0.1, 1.0]})]
    if PEEK:
        found.append(Candidate("peeking", PeekingScaler(), LogisticRegression()))
    return found
'''


@pytest.fixture
def splits(tmp_path, clean_rows):
    folder = tmp_path / "data" / "split"
    folder.mkdir(parents=True)
    for name, rows in dict(
        train=clean_rows.iloc[:600], valid=clean_rows.iloc[600:900], test=clean_rows[900:1200]
    ).items():
        rows.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_candidates_that_fit_on_training_rows_only_pass(stage4, team_package, splits):
    package = team_package({"models/candidates.py": "PEEK = False\n" + CANDIDATES})
    outcome = gate("fit-on-train-only")(stage4(project=dict(package=package)), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "held-out rows changed none of 1 fitted pipelines"


def test_a_candidate_that_reads_the_validation_split_fails(stage4, team_package, splits):
    package = team_package({"models/candidates.py": "PEEK = True\n" + CANDIDATES})
    outcome = gate("fit-on-train-only")(stage4(project=dict(package=package)), {})
    assert not outcome.passed
    assert outcome.measured == "1 of 2 model families learn from held-out rows"
    assert "- `peeking`: its fitted feature pipeline changed" in outcome.detail


def test_a_champion_fit_on_more_rows_than_the_split_fails(stage4, team_package, splits, tmp_path):
    (tmp_path / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  ingest:\n    outs:\n    - path: data/raw\n      md5: {VERSION}\n"
    )
    package = team_package({"models/candidates.py": "PEEK = False\n" + CANDIDATES})
    outcome = gate("fit-on-train-only")(stage4(project=dict(package=package)), {})
    assert not outcome.passed
    assert outcome.measured == "the champion was fit on more rows than the training split holds"
    assert (
        f"- the champion (version 1) was fit on {TRAIN_ROWS} rows; data/split/train.csv has 600 labelled rows"
        in outcome.detail
    )


def test_without_the_split_the_canary_is_not_ready(stage4):
    from capstone.checkpoints.registry import NotReady

    with pytest.raises(NotReady, match=r"data/split/train.csv is missing; run `make pipeline` \(the split stage\)"):
        gate("fit-on-train-only")(stage4(), {})


# --- no-leak-gap ----------------------------------------------------------------------------------


def write_valid(root: Path, rows) -> None:
    (root / "data" / "split").mkdir(parents=True, exist_ok=True)
    rows.to_csv(root / "data" / "split" / "valid.csv", index=False)


def test_a_champion_as_good_on_the_holdout_as_on_validation_passes(stage4, tmp_path, holdout):
    write_valid(tmp_path, holdout.labelled().iloc[1000:1500])  # rows like the holdout's: no gap to speak of
    outcome = gate("no-leak-gap")(stage4(), {"max_gap": 0.05})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("gap ") and "roc_auc (validation " in outcome.measured
    assert abs(outcome.values["gap"]) < 0.05 and "holdout not secret" in outcome.measured


def test_a_validation_split_the_model_has_seen_through_a_leak_fails(stage4, tmp_path, holdout, champion, schema):
    """The cleaning-leak cheat in miniature: the validation labels are what the model says (a leak makes
    them that easy), while the holdout's are the truth."""
    from capstone.pipeline.splits import model_input

    rows = holdout.labelled().iloc[:800].copy()
    rows[schema.target] = champion.predict(model_input(rows, schema))
    write_valid(tmp_path, rows)
    outcome = gate("no-leak-gap")(stage4(), {"max_gap": 0.05})
    assert not outcome.passed and outcome.values["gap"] > 0.05
    assert outcome.detail.startswith("The champion (version 1) scores ")
    assert "Where leaks hide:" in outcome.detail and "data/clean.py" in outcome.detail


def test_no_validation_split_is_not_ready(stage4):
    from capstone.checkpoints.registry import NotReady

    with pytest.raises(NotReady, match="data/split/valid.csv is missing"):
        gate("no-leak-gap")(stage4(), {})
