"""Fixtures for the data tests: the project's settings, your hooks and a small delivered batch.

Your code is reached the way the pipeline and the checkpoints reach it: through the hooks that
capstone.yaml declares (capstone.testing.team_hooks), so the tests run unchanged in every team
repository, whatever the package is called.
"""

import io
from pathlib import Path

import pandas as pd
import pytest
from capstone.testing import FeedError, generate_batch, load_custom_csv, load_params, load_schema, team_hooks

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROWS = 4000  # enough for every catalogued defect to appear, small enough to stay fast


def as_read_from_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the dtypes a stage gets from pd.read_csv (ints with holes become floats, ...)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def read_back():
    """read_back(frame) -> the frame as the next stage reads it from its CSV file."""
    return as_read_from_csv


@pytest.fixture(scope="session")
def params():
    return load_params(ROOT)


@pytest.fixture(scope="session")
def hooks():
    """Your functions the kit calls: hooks.clean(...), hooks.raw_expectations(...), ..."""
    return team_hooks(ROOT)


@pytest.fixture(scope="session")
def custom_settings(params) -> dict:
    settings = (params.data.model_extra or {}).get("custom_csv") or {}
    if params.data.dataset == "custom_csv" and not str(settings.get("target") or "").strip():
        pytest.skip("data.custom_csv.target is empty in params.yaml: set it to the column to predict")
    return settings


@pytest.fixture(scope="session")
def schema(params, custom_settings):
    try:
        return load_schema(params, ROOT)
    except FeedError as problem:
        pytest.skip(f"the custom CSV cannot be read yet: {problem}")


@pytest.fixture(scope="session")
def delivered(params, custom_settings, schema) -> tuple[pd.DataFrame, dict | None]:
    """A small batch as the pipeline reads it from CSV, and its answer key (None for a custom CSV)."""
    if params.data.dataset == "custom_csv":
        loaded = load_custom_csv(
            custom_settings["path"], custom_settings["target"], custom_settings.get("task") or None, root=ROOT
        )
        return as_read_from_csv(loaded.frame), None
    frame, key = generate_batch(params.data.dataset, rows=SAMPLE_ROWS, seed=7, batch=1)
    return as_read_from_csv(frame), key


@pytest.fixture(scope="session")
def cleaned(hooks, params, schema, delivered) -> tuple[pd.DataFrame, dict]:
    """The delivered batch after your cleaning (the hook `clean`: data/clean.py's clean_frame)."""
    frame, fixes = hooks.clean(delivered[0], schema, params.data.dataset)
    return frame, fixes
