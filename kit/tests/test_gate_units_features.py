"""Stage 3 gates on a hand-built champion: pipeline-in-model, leaky-column-unused, robust-inference,
features-use-columns (fit-on-train-only needs an MLflow champion: test_gate_units_experiments.py)."""

import pytest
from capstone.checkpoints import runs
from capstone.checkpoints.registry import load_all
from kitdata import feature_steps, fitted


def gate(gate_id: str):
    return load_all()[gate_id]


@pytest.fixture
def stage3(make_context, holdout, monkeypatch):
    """make(model, signature=None) -> a Context whose champion is `model`, scored on public holdout rows."""

    def make(model, signature: list[str] | None = None):
        context = make_context()
        context.champion_model = model
        context.used_holdout = holdout
        monkeypatch.setattr(runs, "signature_columns", lambda context: list(signature or []))
        return context

    return make


def test_a_pipeline_taking_the_raw_columns_is_in_the_model(stage3, champion, schema):
    outcome = gate("pipeline-in-model")(stage3(champion), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == f"a Pipeline (features -> model) taking the {len(schema.feature_columns)} raw columns"


def test_a_bare_estimator_is_not_a_pipeline(stage3, schema, clean_rows):
    from sklearn.linear_model import LogisticRegression

    frame = clean_rows.iloc[:300]
    model = LogisticRegression(max_iter=1000).fit(
        frame[list(schema.numeric)].fillna(0).to_numpy(), frame[schema.target]
    )
    outcome = gate("pipeline-in-model")(stage3(model), {})
    assert not outcome.passed
    assert outcome.measured == "the champion is a LogisticRegression, not a Pipeline of feature steps and a model"
    assert outcome.expected == "features inside the model"
    assert outcome.detail.startswith("The champion is a LogisticRegression, not a Pipeline")
    assert outcome.detail.endswith("See docs/stages/3-features.md.")


def test_a_pipeline_fit_on_computed_columns_is_not_raw(stage3, schema, clean_rows):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame = clean_rows.iloc[:300].copy()
    X = frame[list(schema.numeric)].fillna(0)
    X["fee_per_month"] = X["monthly_fee"] / (X["tenure_months"] + 1)
    model = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, frame[schema.target])
    outcome = gate("pipeline-in-model")(stage3(model), {})
    assert not outcome.passed
    assert outcome.measured.startswith("the champion does not take the raw feature columns (")
    assert "- raw columns it does not take: `region`" in outcome.detail
    assert "- inputs computed before the model (not raw columns): `fee_per_month`" in outcome.detail


def test_a_champion_without_the_forbidden_columns_passes(stage3, champion, schema):
    outcome = gate("leaky-column-unused")(stage3(champion, signature=list(schema.feature_columns)), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == (
        "`retention_team_contacted`, `customer_id`, `churned`: not inputs, no influence on 1000 rows"
    )


def test_a_champion_that_takes_the_leaky_column_fails(stage3, schema, clean_rows):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    leaky = "retention_team_contacted"
    frame = clean_rows.iloc[:400]
    X = frame[[*schema.numeric[:2], leaky]].fillna(0)
    steps = ColumnTransformer([("leak", OneHotEncoder(handle_unknown="ignore"), [leaky])], remainder="passthrough")
    model = Pipeline([("features", steps), ("model", LogisticRegression())]).fit(X, frame[schema.target])
    outcome = gate("leaky-column-unused")(stage3(model), {})
    assert not outcome.passed
    assert outcome.measured == "the champion uses `retention_team_contacted`"
    assert outcome.expected == "not an input; no influence"
    assert "- `retention_team_contacted` is an input of the champion" in outcome.detail


def test_a_forbidden_column_in_the_logged_signature_fails(stage3, champion, schema):
    signature = [*schema.feature_columns, "customer_id"]
    outcome = gate("leaky-column-unused")(stage3(champion, signature=signature), {})
    assert not outcome.passed
    assert outcome.measured == "the champion uses `customer_id`"
    assert "- `customer_id` is an input of the champion" in outcome.detail


def test_a_champion_that_imputes_and_ignores_unknown_categories_is_robust(stage3, champion):
    outcome = gate("robust-inference")(stage3(champion), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == (
        "finite predictions in all 4 cases: unseen categories, a missing value in each feature, "
        "rows with every feature missing, unreadable dates"
    )


def test_a_champion_without_imputation_breaks_on_missing_values(stage3, schema, clean_rows):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    frame = clean_rows.iloc[:600].dropna(subset=list(schema.numeric))
    steps = feature_steps(schema, impute=False, unknown="error")
    model = fitted(Pipeline([("features", steps), ("model", LogisticRegression(max_iter=300))]), frame, schema)
    outcome = gate("robust-inference")(stage3(model), {})
    assert not outcome.passed
    assert outcome.measured.startswith("the champion") is False
    assert outcome.measured.startswith("3 of 4 awkward inputs break the champion: unseen categories, ")
    assert "- a missing value in each feature: raises ValueError: " in outcome.detail
    assert "(OneHotEncoder(handle_unknown=...))" in outcome.detail


def test_a_champion_using_most_columns_passes(stage3, champion, schema):
    outcome = gate("features-use-columns")(stage3(champion), {"min_used_share": 0.7})
    assert outcome.passed, outcome.detail
    used = len(schema.numeric) + len(schema.categorical)
    assert outcome.measured == f"{used / len(schema.feature_columns):.2f} of the 18 feature columns used"
    assert outcome.expected == "at least 0.70"


def test_a_numbers_only_champion_ignores_half_the_columns(stage3, schema, clean_rows):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    steps = feature_steps(schema, numeric_only=True)
    model = fitted(
        Pipeline([("features", steps), ("model", LogisticRegression(max_iter=300))]), clean_rows[:800], schema
    )
    outcome = gate("features-use-columns")(stage3(model), {"min_used_share": 0.7})
    assert not outcome.passed
    assert outcome.measured == "0.50 of the 18 feature columns used"
    assert outcome.detail.startswith("The champion ignores 9 of the 18 feature columns.")
    assert "`region`" in outcome.detail and "`signup_date`" in outcome.detail


def test_a_column_that_nearly_copies_a_used_one_counts_as_used():
    import numpy as np
    import pandas as pd
    from capstone.checkpoints.probes import near_copies

    generator = np.random.default_rng(0)
    level = generator.normal(size=200)
    frame = pd.DataFrame({f"y{year}": level + generator.normal(scale=0.05, size=200) for year in range(1990, 1995)})
    frame["other"] = generator.normal(size=200)
    frame["region"] = generator.choice(["north", "south"], size=200)
    copies = near_copies(frame, ["y1991", "y1992", "other", "region"], ["y1990", "y1994"])
    assert set(copies) == {"y1991", "y1992"}
    assert copies["y1991"] in {"y1990", "y1994"}
    assert near_copies(frame, ["y1991"], ["other"]) == {}
