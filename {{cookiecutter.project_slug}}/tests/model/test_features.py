"""Stage 3: the feature pipeline uses only allowed columns and survives what production sends.

Each test trains nothing itself: it uses the small model of conftest.py (the team's strongest
candidate behind the team's feature pipeline).
"""

import numpy as np
import pytest


def test_model_input_is_exactly_the_feature_columns(trained, team):
    """The id, the target and the leaky column never reach the model."""
    schema = trained.schema
    X = team.splits.model_input(trained.held_out, schema)
    assert list(X.columns) == list(schema.feature_columns)
    forbidden = {schema.target, schema.id_column, *schema.leaky_columns} - {None}
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


def test_unseen_categories_do_not_crash(trained, predict):
    """A category the model never saw in training (a new plan, a typo) still gets a prediction."""
    columns = [*trained.schema.categorical, *trained.schema.text]
    if not columns:
        pytest.skip("this dataset has no categorical or text columns")
    rows = trained.held_out.head(20).copy()
    rows[columns] = "NEVER-SEEN-BEFORE"
    out = predict(rows)
    assert out.shape[0] == len(rows) and np.isfinite(out).all()


def test_missing_values_do_not_crash(trained, predict):
    """Rows with one or all feature values missing still get a finite prediction."""
    rows = trained.held_out.head(len(trained.schema.feature_columns) + 1).copy()
    for position, column in enumerate(trained.schema.feature_columns):
        rows.loc[rows.index[position], column] = np.nan  # one missing value per row
    rows.loc[rows.index[-1], list(trained.schema.feature_columns)] = np.nan  # and a row with nothing
    out = predict(rows)
    assert out.shape[0] == len(rows) and np.isfinite(out).all()


def test_unreadable_dates_do_not_crash(trained, predict):
    if not trained.schema.dates:
        pytest.skip("this dataset has no date columns")
    rows = trained.held_out.head(5).copy()
    rows[list(trained.schema.dates)] = "not a date"
    assert np.isfinite(predict(rows)).all()
