"""The kit's pipeline stages that run no team code of their own: ingest, clean (around the team's hook)
and split. Each runs in a scratch copy of a freshly baked repository's settings, as DVC runs it."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from baked import bake_team_repo
from capstone.config import load_params
from capstone.dataset import load_schema
from capstone.feed import generate_batch
from capstone.pipeline import clean, ingest, split

DATASETS = ("churn", "credit_default")


@pytest.fixture(scope="module", params=DATASETS)
def repo(request, tmp_path_factory):
    return bake_team_repo(tmp_path_factory, dataset=request.param, project_slug=request.param.replace("_", "-"))


@pytest.fixture
def workdir(repo, tmp_path, monkeypatch):
    """A scratch folder with the repo's settings and its package importable (the hooks live there)."""
    for name in ("params.yaml", "capstone.yaml"):
        shutil.copy(repo / name, tmp_path / name)
    monkeypatch.syspath_prepend(str(repo / "src"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings(folder) -> dict:
    return yaml.safe_load((folder / "params.yaml").read_text(encoding="utf-8"))


def write(folder, values: dict) -> None:
    (folder / "params.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")


def test_ingest_writes_the_raw_batch_without_its_answer_key(workdir):
    values = settings(workdir)
    values["data"]["feed"]["rows"] = 300
    write(workdir, values)
    ingest.main()
    assert len(pd.read_csv(workdir / "data/raw/batch.csv")) == 300
    assert sorted(path.name for path in (workdir / "data/raw").iterdir()) == ["batch.csv"]  # discovery first


def test_a_bad_feed_setting_stops_with_one_error_line(workdir):
    values = settings(workdir)
    values["data"]["feed"]["rows"] = 5
    write(workdir, values)
    with pytest.raises(SystemExit) as stopped:
        ingest.main()
    message = str(stopped.value.code)
    assert message.startswith("ERROR: ") and "\n" not in message


def test_ingest_refuses_a_kit_other_than_params_yaml_names(workdir):
    values = settings(workdir)
    values["kit"]["version"] = "0.0.1"
    write(workdir, values)
    with pytest.raises(SystemExit) as stopped:
        ingest.main()
    message = str(stopped.value.code)
    assert message.startswith("ERROR: params.yaml asks for the course kit 0.0.1 (kit.version)")
    assert "run: make setup" in message


@pytest.fixture
def cleaned(workdir):
    """data/raw/batch.csv (4 000 rows), cleaned by the clean stage (the skeleton's hook)."""
    params = load_params(workdir)
    frame, _ = generate_batch(params.data.dataset, rows=4000, seed=7, batch=1)
    (workdir / "data/raw").mkdir(parents=True)
    frame.to_csv(workdir / "data/raw/batch.csv", index=False)
    clean.main()
    return frame, pd.read_csv(workdir / "data/clean/clean.csv")


def test_the_clean_stage_writes_clean_csv_and_the_report(workdir, cleaned):
    raw, frame = cleaned
    report = json.loads((workdir / "reports/cleaning.json").read_text())
    assert list(frame.columns) == list(raw.columns)
    assert report["rows_in"] == len(raw) and report["rows_out"] == len(frame)
    assert isinstance(report["fixes"], dict) and report["fixes"]


def test_the_split_is_a_reproducible_partition(workdir, cleaned):
    _, frame = cleaned
    params = load_params(workdir)
    schema = load_schema(params)
    values = params.model_extra["split"]
    arguments = (frame, schema, params.data.dataset, values["valid_size"], values["test_size"], values["seed"])
    positions = split.split_positions(*arguments)
    everything = np.concatenate(list(positions.values()))
    assert len(everything) == len(set(everything)) == len(frame)
    for name, share in (("valid", values["valid_size"]), ("test", values["test_size"])):
        assert abs(len(positions[name]) / len(frame) - share) < 0.01
    again = split.split_positions(*arguments)
    assert all(np.array_equal(positions[name], again[name]) for name in positions)
    date_column = split.EVENT_DATE.get(params.data.dataset)
    if date_column:  # time-aware: nothing in training happened after the test rows
        dates = pd.to_datetime(frame[date_column], format="%Y-%m-%d", errors="coerce")
        assert dates.iloc[positions["train"]].max() <= dates.iloc[positions["test"]].min()
    else:  # stratified: each split has the classes in the same shares
        overall = frame[schema.target].value_counts(normalize=True)
        for name, rows in positions.items():
            shares = frame[schema.target].iloc[rows].value_counts(normalize=True)
            assert (shares.reindex(overall.index, fill_value=0) - overall).abs().max() < 0.02, name


def test_the_split_stage_writes_three_files(workdir, cleaned):
    _, frame = cleaned
    split.main()
    parts = [pd.read_csv(workdir / f"data/split/{name}.csv") for name in ("train", "valid", "test")]
    assert sum(len(part) for part in parts) == len(frame)
    assert all(list(part.columns) == list(frame.columns) for part in parts)
