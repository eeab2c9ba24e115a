"""Stage 6's retraining gates on a small MLflow store of their own: champion-after-drift and rollback-works.

The store holds two versions of the registered model: version 1 (fit on the first delivery) and
version 2 (fit on delivery 2, after the concept drift), the champion, tagged previous_champion=1 as
register tags a promotion. The cheats: a "retrain" that promotes a worse model, a champion that
replaced nothing, a rollback whose old version's commit or data are gone.
"""

import subprocess

import pytest
from capstone.checkpoints.registry import load_all
from capstone.operations import OperationsError, roll_back, set_feed_batch, undo_rollback
from kitdata import MODEL, feature_steps, fitted, log_model, params_document

BATCH = 2


def gate(gate_id: str):
    return load_all()[gate_id]


def git(root, *args) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    return subprocess.run(["git", *identity, *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def registry(tmp_path, schema):
    """registry(better=True, tagged=True) -> (tracking URI, repo root): two versions, the champion is 2."""
    import mlflow
    from capstone.feed import generate_batch
    from capstone.pipeline.splits import model_input
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    def make(better: bool = True, tagged: bool = True, committed: bool = True):
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "-q")
        (root / "dvc.lock").write_text("stages:\n  ingest:\n    outs:\n    - path: data/raw\n      md5: first.dir\n")
        git(root, "add", "dvc.lock")
        git(root, "commit", "-qm", "first delivery")
        sha = git(root, "rev-parse", "HEAD").strip()
        uri = f"sqlite:///{tmp_path}/mlflow.db"
        mlflow.set_tracking_uri(uri)
        experiment = mlflow.create_experiment("retraining", artifact_location=(tmp_path / "artifacts").as_uri())
        client = MlflowClient(uri)
        old_rows, _ = generate_batch("churn", rows=1500, seed=3, batch=1, defects=False)
        new_rows, _ = generate_batch("churn", rows=1500, seed=4, batch=BATCH, defects=False)
        for number, rows in ((1, old_rows), (2, new_rows)):
            # the cheat: "retraining" that promotes a model which learnt nothing
            learner = LogisticRegression(max_iter=300) if number == 1 or better else DummyClassifier()
            model = fitted(Pipeline([("features", feature_steps(schema)), ("model", learner)]), rows, schema)
            with mlflow.start_run(experiment_id=experiment):
                data = "first.dir" if number == 1 and committed else f"version-{number}.dir"
                mlflow.set_tags(dict(git_sha=sha if committed else "f" * 40, data_version=data))
                uri_of_model = log_model(model, model_input(rows.head(50), schema))
            mlflow.register_model(uri_of_model, MODEL)
        if tagged:
            client.set_model_version_tag(MODEL, "2", "previous_champion", "1")
        client.set_registered_model_alias(MODEL, "champion", "2")
        return uri, root

    return make


@pytest.fixture
def stage6(make_context, monkeypatch, holdout):
    def make(uri, root, batch=BATCH):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        context = make_context(root=root, data=dict(dataset="churn", feed=dict(batch=batch, rows=2000, seed=42)))
        context.used_holdout = holdout
        return context

    return make


def test_a_retrained_champion_that_beats_the_old_one_passes(registry, stage6):
    outcome = gate("champion-after-drift")(stage6(*registry()), {"min_gain": 0.0})
    assert outcome.passed, outcome.detail
    assert outcome.measured.endswith("roc_auc (version 2 vs 1)")
    assert outcome.values["champion"] > outcome.values["previous"]


def test_a_promoted_model_worse_than_the_old_one_fails(registry, stage6):
    outcome = gate("champion-after-drift")(stage6(*registry(better=False)), {"min_gain": 0.0})
    assert not outcome.passed
    assert outcome.detail.startswith(f"On delivery {BATCH}'s rows the new champion (version 2) scores ")


def test_a_champion_that_replaced_nothing_was_not_retrained(registry, stage6):
    context = stage6(*registry(tagged=False))
    outcomes = {gate_id: gate(gate_id)(context, {}) for gate_id in ("champion-after-drift", "rollback-works")}
    for gate_id, outcome in outcomes.items():
        assert not outcome.passed and "replaced no earlier champion" in outcome.detail, gate_id
    assert "make retrain BATCH=2" in outcomes["champion-after-drift"].detail


def test_still_on_the_first_delivery_is_not_a_retrain(registry, stage6):
    outcome = gate("champion-after-drift")(stage6(*registry(), batch=1), {})
    assert not outcome.passed and outcome.detail.startswith("The team still works on delivery 1")


def test_the_rollback_drill_moves_the_alias_back_and_forward(registry, stage6):
    from mlflow import MlflowClient

    uri, root = registry()
    outcome = gate("rollback-works")(stage6(uri, root), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("version 2 -> 1 and back; commit ")
    assert str(MlflowClient(uri).get_model_version_by_alias(MODEL, "champion").version) == "2"  # forward again


def test_an_old_champion_whose_commit_and_data_are_gone_cannot_be_rolled_back_to(registry, stage6):
    outcome = gate("rollback-works")(stage6(*registry(committed=False)), {})
    assert not outcome.passed and "is not in this repository's history" in outcome.detail


def test_capstone_rollback_moves_the_alias_and_says_where_the_old_code_and_data_are(registry, monkeypatch):
    from capstone.config import Params
    from mlflow import MlflowClient

    uri, _ = registry()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    params = Params.model_validate(params_document("team"))
    moved = roll_back(params)
    assert (moved.from_version, moved.to_version, moved.data_version) == ("2", "1", "first.dir")
    client = MlflowClient(uri)
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    with pytest.raises(OperationsError, match="replaced no earlier champion"):
        roll_back(params)  # version 1 replaced nothing


def test_after_a_rollback_the_gates_say_go_forward_and_undo_does(registry, stage6, monkeypatch):
    from capstone.config import Params
    from mlflow import MlflowClient

    uri, root = registry()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    params = Params.model_validate(params_document("team"))
    roll_back(params)
    context = stage6(uri, root)
    for gate_id in ("champion-after-drift", "rollback-works"):
        outcome = gate(gate_id)(context, {})
        assert not outcome.passed and "where a rollback left it" in outcome.detail, gate_id
        assert "make rollback UNDO=1" in outcome.detail, gate_id
    moved = undo_rollback(params)
    assert (moved.from_version, moved.to_version) == ("1", "2")
    client = MlflowClient(uri)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert str(champion.version) == "2" and "rolled_back" not in champion.tags
    assert gate("rollback-works")(stage6(uri, root), {}).passed
    with pytest.raises(OperationsError, match="nothing to undo"):
        undo_rollback(params)


def test_register_does_not_promote_a_rolled_back_version_again(registry, monkeypatch):
    from capstone.config import Params
    from capstone.pipeline.register import ROLLED_BACK
    from mlflow import MlflowClient

    uri, _ = registry()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    roll_back(Params.model_validate(params_document("team")))
    assert MlflowClient(uri).get_model_version(MODEL, "2").tags[ROLLED_BACK] == "true"


def test_retrain_sets_the_feed_batch_and_keeps_the_comments(tmp_path):
    params = tmp_path / "params.yaml"
    text = "data:\n  dataset: churn\n  # the feed\n  feed:\n    batch: 1  # first\n    rows: 20000\n"
    text += "monitor:\n  batch: 2\n"
    params.write_text(text)
    assert set_feed_batch(params, 3) == 1
    assert params.read_text() == (
        "data:\n  dataset: churn\n  # the feed\n  feed:\n    batch: 3  # first\n    rows: 20000\nmonitor:\n  batch: 2\n"
    )
    params.write_text("data:\n  dataset: custom_csv\n")
    with pytest.raises(OperationsError, match="no data.feed.batch"):
        set_feed_batch(params, 3)
