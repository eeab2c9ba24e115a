"""Stage 3: the feature pipeline uses only allowed columns and survives what production sends.

Each test trains nothing itself: it uses the small model of conftest.py (the team's strongest
candidate behind the team's feature pipeline). The awkward inputs are the checkpoint's own
(capstone.testing.robustness_cases), so what passes here passes the robust-inference gate.
"""

import numpy as np
import pytest
from capstone.testing import (
    ROBUSTNESS_CASES,
    forbidden_columns,
    model_input,
    prediction_problem,
    robustness_cases,
)


def test_model_input_is_exactly_the_feature_columns(trained):
    """The id, the target and the leaky column never reach the model."""
    schema = trained.schema
    X = model_input(trained.held_out, schema)
    assert list(X.columns) == list(schema.feature_columns)
    forbidden = set(forbidden_columns(schema))
    assert forbidden.isdisjoint(X.columns)
    assert forbidden.isdisjoint(trained.model.named_steps["features"].feature_names_in_)


def test_the_leaky_column_changes_nothing(trained, predict):
    """Scrambling the leaky column (or the id) leaves every prediction as it was."""
    schema = trained.schema
    scrambled = trained.held_out.copy()
    for column in [*schema.leaky_columns, schema.id_column]:
        if column:
            scrambled[column] = scrambled[column].sample(frac=1.0, random_state=1).to_numpy()
    np.testing.assert_allclose(predict(scrambled), predict(trained.held_out))


@pytest.mark.parametrize("case", ROBUSTNESS_CASES)
def test_awkward_inputs_get_finite_predictions(trained, predict, case):
    """Unseen categories (a new plan, a typo), a missing value in each feature, rows with nothing,
    unreadable dates: one finite prediction per row. The checkpoint's robust-inference gate runs
    the same cases (capstone.testing.robustness_cases) on the champion."""
    rows = robustness_cases(trained.held_out, trained.schema).get(case)
    if rows is None:
        pytest.skip(f"this dataset has no column for the case {case!r}")
    problem = prediction_problem(predict, rows)
    assert problem is None, f"{case}: {problem}"
