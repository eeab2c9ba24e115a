"""Decision-focused evaluation and the model card (stage 4): the threshold that costs least, the score by
segment, reports/model_card.md from MLflow and the team's words, and the gate model-card."""

import json

import numpy as np
import pytest
from capstone.checkpoints.registry import load_all
from capstone.pipeline import decisions
from capstone.pipeline.model_card import card_markdown, champion_facts, team_words, unwritten
from kitdata import MODEL


def test_a_costly_false_negative_lowers_the_threshold():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    positive = 1 / (1 + np.exp(-(2.0 * (y - 0.5) + rng.normal(0, 1.2, 4000))))  # informative, not perfect
    even = decisions.best_threshold(y, positive, (1.0, 1.0))
    wary = decisions.best_threshold(y, positive, (1.0, 8.0))
    assert wary < even
    assert decisions.cost_per_row(y, positive, wary, (1.0, 8.0)) <= decisions.cost_per_row(y, positive, 0.5, (1.0, 8.0))
    assert decisions.costs_of({}) is None and decisions.costs_of({"costs": {"false_negative": 3}}) == (1.0, 3.0)


def test_the_score_by_segment_skips_small_segments(champion, clean_rows, schema):
    from capstone.pipeline.splits import model_input

    rows = clean_rows.iloc[1000:2000]
    X, y = model_input(rows, schema), rows[schema.target].reset_index(drop=True)
    found = decisions.slice_scores(champion, X, y, ["region", "no_such_column"], "roc_auc")
    assert set(found) == {"region"} and found["region"]
    assert all(value["rows"] >= decisions.MIN_SLICE_ROWS for value in found["region"].values())
    assert all(0 <= value["score"] <= 1 for value in found["region"].values() if value["score"] is not None)
    assert all(0 <= value["positives"] <= value["rows"] for value in found["region"].values())
    card = card_markdown({"model": "m", "metric": "roc_auc"}, {}, found)
    assert "## Score by segment (test split, roc_auc)" in card and "| value | rows | positives | score |" in card


def test_the_team_words_and_what_is_unwritten(tmp_path):
    path = tmp_path / "model_card.yaml"
    assert unwritten(team_words(path)) == ["intended_use", "limitations"]  # no file
    path.write_text("intended_use: Ranks customers for the retention team.\nlimitations: TODO later\n")
    assert unwritten(team_words(path)) == ["limitations"]


@pytest.fixture
def card_repo(tmp_path, store, make_context, monkeypatch):
    """A repository whose card is generated from the store's champion (version 1)."""
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    facts, _ = champion_facts(MlflowClient(store.uri), MODEL, {"champion_version": 1, "metric": "valid_score"})
    words = {"intended_use": "Ranks customers by risk.", "limitations": "Only one quarter's data."}
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "model_card.md").write_text(
        card_markdown(facts, words, {"region": {"West": {"rows": 40, "score": 0.8}}})
    )
    (tmp_path / "model_card.yaml").write_text(json.dumps(words))
    return make_context(mlflow=dict(tracking_uri=store.uri, registered_model=MODEL)), tmp_path


def test_the_card_names_the_champion_and_the_gate_passes(card_repo, store):
    context, root = card_repo
    card = (root / "reports" / "model_card.md").read_text()
    assert f"`{store.champion_run}`" in card and "LogisticRegression" in card
    assert "## Intended use\n\nRanks customers by risk." in card and "| West | 40 | 0.800 |" in card
    outcome = load_all()["model-card"](context, {})
    assert outcome.passed, outcome.detail


def test_a_stale_card_or_unwritten_words_fail(card_repo):
    context, root = card_repo
    (root / "model_card.yaml").write_text("intended_use: TODO\nlimitations: Only one quarter's data.\n")
    outcome = load_all()["model-card"](context, {})
    assert not outcome.passed and outcome.detail.startswith("The card's `intended_use` still to be written")
    card = root / "reports" / "model_card.md"
    card.write_text(card.read_text().replace(context.champion.run_id, "0" * 32))
    outcome = load_all()["model-card"](context, {})
    assert not outcome.passed and "names another model than the champion (version 1" in outcome.detail
    card.unlink()
    assert load_all()["model-card"](context, {}).detail.startswith("The model card reports/model_card.md is missing")
