"""Fixtures for the data tests: the project's settings, its stage modules and a small delivered batch.

The tests import the team's package by the name in params.yaml (project.package), so they run
unchanged in every team repository.
"""

import importlib
import io
from pathlib import Path

import pandas as pd
import pytest
from capstone.config import load_params
from capstone.dataset import load_schema

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
def stage(params):
    """stage("data.clean") -> the team's module, whatever the package is called."""
    return lambda name: importlib.import_module(f"{params.project.package}.{name}")


@pytest.fixture(scope="session")
def custom_settings(params) -> dict:
    settings = (params.data.model_extra or {}).get("custom_csv") or {}
    if params.data.dataset == "custom_csv" and not str(settings.get("target") or "").strip():
        pytest.skip("data.custom_csv.target is empty in params.yaml: set it to the column to predict")
    return settings


@pytest.fixture(scope="session")
def schema(params, custom_settings):
    from capstone.feed import FeedError

    try:
        return load_schema(params, ROOT)
    except FeedError as problem:
        pytest.skip(f"the custom CSV cannot be read yet: {problem}")


@pytest.fixture(scope="session")
def delivered(params, custom_settings, schema) -> tuple[pd.DataFrame, dict | None]:
    """A small batch as the pipeline reads it from CSV, and its answer key (None for a custom CSV)."""
    if params.data.dataset == "custom_csv":
        from capstone.feed import load_custom_csv

        loaded = load_custom_csv(
            custom_settings["path"], custom_settings["target"], custom_settings.get("task") or None, root=ROOT
        )
        return as_read_from_csv(loaded.frame), None
    from capstone.feed import generate_batch

    frame, key = generate_batch(params.data.dataset, rows=SAMPLE_ROWS, seed=7, batch=1)
    return as_read_from_csv(frame), key


@pytest.fixture(scope="session")
def cleaned(stage, params, schema, delivered) -> tuple[pd.DataFrame, dict]:
    """The delivered batch after the team's cleaning, as the next stage reads it back from CSV."""
    frame, fixes = stage("data.clean").clean_frame(delivered[0], schema, params.data.dataset)
    return frame, fixes
