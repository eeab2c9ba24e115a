"""Stage 4: behavioural tests of the model (minimum functionality, invariance, direction).

The model is the small one of conftest.py: the team's strongest candidate, trained on a few
hundred rows, so the bars here are low on purpose. They catch a broken model, not a weak one.
"""

import numpy as np
import pytest
from capstone.testing import model_input, trusted_types

# What domain knowledge says must happen, on average, when one input changes:
# (column, low value, high value, +1 if the prediction must go up from low to high, else -1).
# For churn and credit default the prediction is the probability of the positive class.
DIRECTIONS = dict(
    churn=[("satisfaction_score", 2, 9, -1), ("days_since_last_login", 2, 40, +1)],
    credit_default=[("credit_score", 520, 780, -1), ("loan_amount", 3000, 40000, +1)],
    house_prices=[("overall_quality", 4, 8, +1), ("living_area_sqft", 1000, 2500, +1)],
)
# Minimum functionality on held-out rows: ROC AUC for binary tasks, R^2 for regression.
MINIMUM_SCORE = dict(binary=0.65, regression=0.5)


def test_beats_the_dummy_on_held_out_rows(trained):
    """Minimum functionality: clearly better than guessing, on rows it was not trained on."""
    from sklearn.metrics import r2_score, roc_auc_score

    dataset, task = trained.params.data.dataset, trained.schema.task
    if dataset == "custom_csv" or task not in MINIMUM_SCORE:
        pytest.skip("set the bar for your own data here: what must any useful model reach?")
    X = model_input(trained.held_out, trained.schema)
    y = trained.held_out[trained.schema.target]
    if task == "binary":
        positive = trained.model.classes_[1]
        score = roc_auc_score(y == positive, trained.model.predict_proba(X)[:, 1])
    else:
        score = r2_score(y, trained.model.predict(X))
    assert score > MINIMUM_SCORE[task], f"{trained.family}: {score:.3f}"


def test_a_row_gets_the_same_answer_alone_or_in_a_batch(trained, predict):
    """Invariance: a prediction does not depend on the other rows of the request or their order."""
    rows = trained.held_out.head(12)
    together = predict(rows)
    alone = np.vstack([predict(rows.iloc[[index]]).reshape(1, -1) for index in range(len(rows))])
    np.testing.assert_allclose(alone.reshape(together.shape), together, rtol=1e-6, atol=1e-9)
    reversed_order = predict(rows.iloc[::-1])
    np.testing.assert_allclose(reversed_order[::-1], together, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("index", [0, 1])
def test_direction_of_known_effects(trained, predict, index):
    """Direction: changing one input the way domain knowledge says moves the prediction that way."""
    expected = DIRECTIONS.get(trained.params.data.dataset, [])
    if index >= len(expected):
        pytest.skip("DIRECTIONS has no such effect for this dataset: add what your domain knowledge expects")
    column, low, high, sign = expected[index]
    rows_low, rows_high = trained.held_out.copy(), trained.held_out.copy()
    rows_low[column], rows_high[column] = low, high
    mean_low, mean_high = (_score(predict(rows), trained.schema.task) for rows in (rows_low, rows_high))
    assert sign * (mean_high - mean_low) > 0, f"{column}: {low} -> {mean_low:.4f}, {high} -> {mean_high:.4f}"


def test_the_logged_model_loads_back_safely(trained):
    """The model survives skops, MLflow's safe format, with the types train.py trusts."""
    import skops.io

    trusted = trusted_types(trained.model, trained.params.project.package)
    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(trained.model))
    assert set(untrusted) <= set(trusted), (
        f"log_model would refuse these types: {set(untrusted) - set(trusted)}"
    )
    loaded = skops.io.loads(skops.io.dumps(trained.model), trusted=trusted)
    X = model_input(trained.held_out.head(20), trained.schema)
    np.testing.assert_array_equal(loaded.predict(X), trained.model.predict(X))


def _score(out: np.ndarray, task: str) -> float:
    """The mean estimate, or the mean probability of the positive class."""
    return float(out.mean()) if task == "regression" else float(out[:, -1].mean())
