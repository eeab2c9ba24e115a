"""The defect battery writes every kind, and each file really breaks what the manifest says."""

import pandas as pd
import pytest
from capstone.feed import generate_batch, make_battery, write_batch
from capstone.feed.battery import KINDS, MANIFEST
from capstone.feed.errors import FeedError
from capstone.feed.io import read_json, read_table

from .settings import DOMAINS


def _source(tmp_path, domain="churn", suffix=".csv", rows=1_500):
    frame, key = generate_batch(domain, rows, 5, 1)
    data, _ = write_batch(frame, key, tmp_path / "raw" / f"{domain}{suffix}")
    return data, key


def check_battery(source: pd.DataFrame, folder, manifest: dict) -> None:
    """Assert that every file breaks exactly what its manifest entry says (and the control nothing)."""
    assert read_json(folder / MANIFEST) == manifest
    assert {entry["kind"] for entry in manifest["batches"]} == set(KINDS), manifest["skipped"]
    control = read_table(folder / manifest["batches"][0]["file"])
    assert manifest["batches"][0]["kind"] == "control" and not manifest["batches"][0]["expect_fail"]
    assert len(control) == manifest["rows"]
    pd.testing.assert_frame_equal(control, source, check_dtype=False)
    for entry in manifest["batches"][1:]:
        assert entry["expect_fail"]
        broken = read_table(folder / entry["file"])
        BREAKS[entry["kind"]](control, broken, entry)


def _nulls(control, broken, entry):
    column, rows = entry["column"], entry["rows"]
    assert control[column].iloc[rows].notna().all()
    assert broken[column].iloc[rows].isna().all()
    assert broken[column].isna().sum() == control[column].isna().sum() + len(rows)


def _out_of_range(control, broken, entry):
    values = broken[entry["column"]].iloc[entry["rows"]]
    low, high = control[entry["column"]].min(), control[entry["column"]].max()
    assert ((values < low) | (values > high)).all()
    assert len(entry["rows"]) >= 0.04 * len(control)


def _unseen(control, broken, entry):
    seen = set(control[entry["column"]].dropna())
    assert not set(broken[entry["column"]].iloc[entry["rows"]]) & seen


def _type_changed(control, broken, entry):
    assert pd.api.types.is_numeric_dtype(control[entry["column"]])
    assert not pd.api.types.is_numeric_dtype(broken[entry["column"]])


def _duplicated(control, broken, entry):
    assert broken.duplicated().sum() == control.duplicated().sum() + len(entry["rows"])
    assert len(broken) == len(control) + len(entry["rows"])


def _dropped(control, broken, entry):
    assert entry["column"] in control.columns and entry["column"] not in broken.columns
    assert len(broken.columns) == len(control.columns) - 1


def _renamed(control, broken, entry):
    assert entry["column"] not in broken.columns and entry["params"]["new_name"] in broken.columns
    assert len(broken.columns) == len(control.columns)


def _reordered(control, broken, entry):
    assert set(broken.columns) == set(control.columns) and list(broken.columns) != list(control.columns)


def _empty(control, broken, entry):
    assert len(broken) == 0 and list(broken.columns) == list(control.columns)


BREAKS = dict(
    nulls_injected=_nulls,
    out_of_range=_out_of_range,
    unseen_categories=_unseen,
    type_changed=_type_changed,
    duplicated_rows=_duplicated,
    dropped_column=_dropped,
    renamed_column=_renamed,
    reordered_columns=_reordered,
    empty_batch=_empty,
)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_battery_breaks_what_its_manifest_says(tmp_path, domain, suffix):
    data, key = _source(tmp_path, domain, suffix)
    source = read_table(data)
    manifest = make_battery(
        source, tmp_path / "battery", rows=1_000, suffix=suffix, protect=(key["target"], key["id_column"])
    )
    assert manifest["rows"] == 1_000
    check_battery(source.iloc[manifest["sampled_rows"]].reset_index(drop=True), tmp_path / "battery", manifest)
    broken_columns = {entry["column"] for entry in manifest["batches"]}
    assert key["target"] not in broken_columns and key["id_column"] not in broken_columns


def test_the_battery_is_deterministic(tmp_path):
    data, _ = _source(tmp_path)
    source = read_table(data)
    make_battery(source, tmp_path / "a", rows=500)
    make_battery(source, tmp_path / "b", rows=500)
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_a_table_without_numbers_skips_the_numeric_kinds_and_says_why(tmp_path):
    frame = pd.DataFrame(dict(city=["Oslo", "Lima", "Pune"] * 10, colour=["red", "blue", "red"] * 10))
    frame["name"] = [f"customer {i}" for i in range(len(frame))]
    manifest = make_battery(frame, tmp_path / "out")
    skipped = {entry["kind"]: entry["reason"] for entry in manifest["skipped"]}
    assert set(skipped) == {"out_of_range", "type_changed"}
    assert all(reason for reason in skipped.values())


def test_a_table_full_of_copies_skips_duplicated_rows_and_says_why(tmp_path):
    """Half the rows of a real file repeat: 10 % more copies look like the data itself."""
    frame = pd.DataFrame(dict(shop=["A", "B", "C", "D"] * 50, score=[90, 80, 70, 60] * 50))
    frame.loc[:99, "score"] = range(100)  # the first 100 rows are unique, the rest repeat
    skipped = {entry["kind"]: entry["reason"] for entry in make_battery(frame, tmp_path / "out")["skipped"]}
    assert skipped["duplicated_rows"].startswith("the input already repeats 48% of its rows, more than the 10%")


def test_an_empty_input_is_a_clear_error(tmp_path):
    with pytest.raises(FeedError, match="no rows"):
        make_battery(pd.DataFrame(dict(a=[])), tmp_path / "out", source="x.csv")
