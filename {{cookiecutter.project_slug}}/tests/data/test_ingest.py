"""The ingest stage (stage 1): the raw batch lands in data/raw, and a bad setting is one clear line."""

import shutil

import pandas as pd
import pytest
import yaml


@pytest.fixture
def workdir(root, tmp_path, monkeypatch, params, custom_settings):
    """A scratch copy of the repository's settings (and own CSV), with a small feed batch."""
    settings = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    if params.data.dataset == "custom_csv":
        source = root / custom_settings["path"]
        if not source.is_file():
            pytest.skip(f"{custom_settings['path']} (data.custom_csv.path) is not in the repository")
        (tmp_path / custom_settings["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / custom_settings["path"])
    else:
        settings["data"]["feed"]["rows"] = 300  # fast; the size is a parameter like any other
    monkeypatch.chdir(tmp_path)
    return tmp_path, settings


def write_params(workdir, settings) -> None:
    (workdir / "params.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")


def test_ingest_writes_the_raw_batch(stage, params, workdir):
    folder, settings = workdir
    write_params(folder, settings)
    stage("data.ingest").main()
    batch = pd.read_csv(folder / "data/raw/batch.csv")
    if params.data.dataset == "custom_csv":
        assert settings["data"]["custom_csv"]["target"] in batch.columns
    else:
        assert len(batch) == 300
        assert (folder / "data/raw/batch.defects.json").is_file()


def test_a_bad_setting_stops_with_one_error_line(stage, params, workdir):
    folder, settings = workdir
    if params.data.dataset == "custom_csv":
        settings["data"]["custom_csv"]["target"] = "no such column"
    else:
        settings["data"]["feed"]["rows"] = 5
    write_params(folder, settings)
    with pytest.raises(SystemExit) as stopped:
        stage("data.ingest").main()
    message = str(stopped.value.code)
    assert message.startswith("ERROR: ") and "\n" not in message
