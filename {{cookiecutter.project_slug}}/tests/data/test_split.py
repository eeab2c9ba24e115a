"""The split (stage 1): a reproducible partition, stratified for classes, time-aware where dates allow."""

import shutil

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def split(stage, params, schema, cleaned, read_back):
    """(clean frame, {split: positions}) with the settings of params.yaml."""
    frame = read_back(cleaned[0])
    settings = params.model_extra["split"]
    positions = stage("data.split").split_positions(
        frame, schema, params.data.dataset, settings["valid_size"], settings["test_size"], settings["seed"]
    )
    return frame, positions


def test_the_split_is_a_partition_of_the_clean_rows(split, params):
    frame, positions = split
    everything = np.concatenate(list(positions.values()))
    assert len(everything) == len(set(everything)) == len(frame)
    settings = params.model_extra["split"]
    for name, share in (("valid", settings["valid_size"]), ("test", settings["test_size"])):
        assert abs(len(positions[name]) / len(frame) - share) < 0.01


def test_the_same_settings_give_the_same_split(stage, params, schema, split):
    frame, positions = split
    settings = params.model_extra["split"]
    again = stage("data.split").split_positions(
        frame, schema, params.data.dataset, settings["valid_size"], settings["test_size"], settings["seed"]
    )
    assert all(np.array_equal(positions[name], again[name]) for name in positions)


def test_time_aware_or_stratified(stage, params, schema, split):
    frame, positions = split
    date_column = stage("data.split").EVENT_DATE.get(params.data.dataset)
    if date_column:
        dates = pd.to_datetime(frame[date_column], format="%Y-%m-%d", errors="coerce")
        assert dates.iloc[positions["train"]].max() <= dates.iloc[positions["test"]].min()
    elif schema.is_classification:
        overall = frame[schema.target].value_counts(normalize=True)
        for name, rows in positions.items():
            shares = frame[schema.target].iloc[rows].value_counts(normalize=True)
            assert (shares.reindex(overall.index, fill_value=0) - overall).abs().max() < 0.02, name
    else:
        pytest.skip("a regression without an event date: a plain random split")


def test_the_stage_writes_three_files(stage, root, tmp_path, monkeypatch, delivered, cleaned):
    shutil.copy(root / "params.yaml", tmp_path / "params.yaml")
    for folder, name, frame in (("raw", "batch", delivered[0]), ("clean", "clean", cleaned[0])):
        # (a custom CSV's column roles are read from the raw batch)
        (tmp_path / "data" / folder).mkdir(parents=True)
        frame.to_csv(tmp_path / "data" / folder / f"{name}.csv", index=False)
    monkeypatch.chdir(tmp_path)
    stage("data.split").main()
    parts = [pd.read_csv(tmp_path / f"data/split/{name}.csv") for name in ("train", "valid", "test")]
    assert sum(len(part) for part in parts) == len(cleaned[0])
    assert all(list(part.columns) == list(cleaned[0].columns) for part in parts)
