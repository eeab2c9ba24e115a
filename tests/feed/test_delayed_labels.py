"""Delayed labels: a batch without its target (--unlabelled), and later its labels (--labels-for K)."""

import pandas as pd
import pytest
from capstone.feed import DOMAINS as SPECS
from capstone.feed import generate_batch, labels_for
from capstone.feed.cli import data_app
from capstone.feed.defects import ROW_KINDS
from capstone.feed.io import read_json, read_table
from typer.testing import CliRunner

from .settings import DOMAINS

ROWS, SEED, BATCH = 2_000, 5, 3
runner = CliRunner()


def run(*args: str):
    return runner.invoke(data_app, list(args))


@pytest.mark.parametrize("domain", DOMAINS)
def test_unlabelled_empties_only_the_target(domain):
    spec = SPECS[domain]
    labelled, key = generate_batch(domain, ROWS, SEED, BATCH)
    unlabelled, unlabelled_key = generate_batch(domain, ROWS, SEED, BATCH, unlabelled=True)
    assert unlabelled[spec.target].isna().all()
    pd.testing.assert_frame_equal(unlabelled.drop(columns=spec.target), labelled.drop(columns=spec.target))
    assert unlabelled_key.pop("unlabelled") is True
    assert unlabelled_key == key, "the answer key still records everything"


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_labels_join_one_to_one_on_the_id_with_the_real_labels(domain):
    spec = SPECS[domain]
    ident, target = spec.id_column, spec.target
    labelled, key = generate_batch(domain, ROWS, SEED, BATCH)
    labels = labels_for(domain, ROWS, SEED, BATCH)
    assert list(labels.columns) == [ident, target] and labels[ident].is_unique
    copies = sum(entry["count"] for entry in key["defects"] if entry["kind"] in ROW_KINDS)
    assert len(labels) == ROWS - copies, "one label per record: the copies of duplicated rows are left out"

    rows = labelled[[ident]].merge(labels, on=ident, how="left", validate="many_to_one")
    assert rows[target].notna().all(), "every delivered id finds its label"
    collided = {row for entry in key["defects"] if entry["kind"] == "id_collision" for row in entry["rows"]}
    kept = ~labelled.index.isin(collided)
    assert (rows[target][kept].to_numpy() == labelled[target][kept].to_numpy()).all()


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_labels_of_the_clean_batch_are_its_id_and_target(domain, batches):
    spec = SPECS[domain]
    clean, _, _ = batches(domain, 3)
    labels = labels_for(domain, len(clean), 7, 3, defects=False)
    pd.testing.assert_frame_equal(labels, clean[[spec.id_column, spec.target]])


def test_unlabelled_and_labels_for_from_the_command_line(tmp_path):
    common = ("--domain", "credit_default", "--rows", "800", "--seed", "4")
    result = run("generate", *common, "--batch", "3", "--unlabelled", "--out", str(tmp_path / "b3.csv"))
    assert result.exit_code == 0, result.output
    assert "defaulted left empty" in result.output
    assert read_json(tmp_path / "b3.defects.json")["unlabelled"] is True
    rows = read_table(tmp_path / "b3.csv")
    assert rows["defaulted"].isna().all() and rows["loan_id"].notna().all()

    for name in ("l1.csv", "l2.csv"):
        result = run("generate", *common, "--labels-for", "3", "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    assert (tmp_path / "l1.csv").read_bytes() == (tmp_path / "l2.csv").read_bytes(), "the same bytes every time"
    assert not (tmp_path / "l1.defects.json").exists()
    labels = read_table(tmp_path / "l1.csv")
    assert list(labels.columns) == ["loan_id", "defaulted"]
    joined = rows.drop(columns="defaulted").merge(labels, on="loan_id", how="left", validate="many_to_one")
    assert joined["defaulted"].notna().all()
    pd.testing.assert_frame_equal(labels, labels_for("credit_default", 800, 4, 3))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--labels-for", "2", "--unlabelled"], "ERROR: --labels-for writes the labels of a batch and --unlabelled"),
        (["--labels-for", "2", "--batch", "2"], "ERROR: --labels-for 2 already names the batch"),
        (["--labels-for", "0"], "ERROR: --labels-for must be a batch number"),
        (["--labels-for", "2", "--rows", "5"], "ERROR: rows must be between 100"),
        (["--labels-for", "2", "--domain", "weather"], "ERROR: unknown domain 'weather'"),
    ],
)
def test_labels_errors_are_one_line_and_exit_1(tmp_path, args, message):
    result = run("generate", "--domain", "churn", *args, "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1
    assert result.output.startswith(message) and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "x.csv").exists()


def test_labels_for_refuses_an_unknown_extension(tmp_path):
    result = run("generate", "--domain", "churn", "--labels-for", "1", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and result.output.startswith("ERROR: cannot write")
