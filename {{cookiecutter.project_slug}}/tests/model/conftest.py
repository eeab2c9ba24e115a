"""Fixtures for the behavioural model tests: the team's own model, trained small and fast.

The model is the strongest family in models/candidates.py (the last one) with its default
hyperparameters, behind the team's feature pipeline, trained on a few hundred rows: on built-in
domains fresh clean rows from the company feed, on custom_csv a sample of the team's CSV.
"""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from capstone.testing import (
    FeedError,
    generate_batch,
    load_custom_csv,
    load_params,
    load_schema,
    model_input,
    team_hooks,
)

ROOT = Path(__file__).resolve().parents[2]
TRAIN_ROWS = 500
TEST_ROWS = 300


@pytest.fixture(scope="session")
def trained():
    """The schema, the rows (train and held-out, all columns) and the fitted model Pipeline."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    # One thread: on a few hundred rows more threads only wait for each other.
    threadpool_limits(limits=1)
    params = load_params(ROOT)
    rows = _rows(params)
    try:
        schema = load_schema(params, ROOT)
    except Exception as problem:  # custom_csv without a usable CSV yet
        pytest.skip(f"no dataset schema yet: {problem}")
    rows = rows.dropna(subset=[schema.target]).reset_index(drop=True)
    train, held_out = rows.iloc[:TRAIN_ROWS], rows.iloc[TRAIN_ROWS:].reset_index(drop=True)
    X, y = model_input(train, schema), train[schema.target].reset_index(drop=True)
    settings = params.model_extra.get("train") or {}
    strongest = team_hooks(ROOT).candidates(schema, settings, y)[-1]
    model = Pipeline([("features", clone(strongest.features)), ("model", clone(strongest.model))]).fit(X, y)
    return SimpleNamespace(
        params=params, schema=schema, train=train, held_out=held_out, model=model, family=strongest.family
    )


def _rows(params) -> pd.DataFrame:
    needed = TRAIN_ROWS + TEST_ROWS
    if params.data.dataset != "custom_csv":
        # Clean rows (what the clean stage delivers), from a seed the pipeline does not use.
        frame, _ = generate_batch(params.data.dataset, rows=needed, seed=2024, batch=1, defects=False)
        return frame
    settings = params.data.model_extra.get("custom_csv") or {}
    try:
        loaded = load_custom_csv(
            settings.get("path"), settings.get("target"), settings.get("task") or None, ROOT
        )
    except FeedError as problem:
        pytest.skip(f"custom_csv is not set up yet: {problem}")
    frame = loaded.frame
    return frame.sample(n=min(needed, len(frame)), random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def predict(trained):
    """What the service returns for raw rows: class probabilities (classification) or the estimate."""

    def predict(frame: pd.DataFrame) -> np.ndarray:
        X = model_input(frame, trained.schema)
        if trained.schema.task == "regression":
            return np.asarray(trained.model.predict(X), dtype=float)
        return np.asarray(trained.model.predict_proba(X), dtype=float)

    return predict
