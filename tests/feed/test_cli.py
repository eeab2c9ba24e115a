"""`capstone data generate|defects|battery`, run in-process with typer's CliRunner."""

import json

import pytest
from capstone.feed.cli import data_app
from capstone.feed.io import read_json, read_table
from typer.testing import CliRunner

runner = CliRunner()


def run(*args: str):
    return runner.invoke(data_app, list(args))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generate_writes_the_data_and_the_answer_key_beside_it(tmp_path, suffix):
    out = tmp_path / "data" / "raw" / f"churn{suffix}"
    result = run("generate", "--domain", "churn", "--rows", "500", "--seed", "3", "--batch", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {out} (500 rows, 21 columns, batch 2)")
    key = read_json(tmp_path / "data" / "raw" / "churn.defects.json")
    assert (key["domain"], key["rows"], key["seed"], key["batch"]) == ("churn", 500, 3, 2)
    assert len(read_table(out)) == 500


def test_generate_without_defects_and_with_a_progress_bar(tmp_path):
    out = tmp_path / "big.parquet"
    result = run("generate", "--domain", "credit_default", "--rows", "100000", "--no-defects", "--out", str(out))
    assert result.exit_code == 0, result.output
    key = read_json(tmp_path / "big.defects.json")
    assert key["with_defects"] is False and [entry["kind"] for entry in key["defects"]] == ["leaky_column"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--domain", "weather"], "ERROR: unknown domain 'weather'"),
        (["--domain", "churn", "--rows", "5"], "ERROR: rows must be between 100"),
        (["--domain", "churn", "--batch", "0"], "ERROR: batch must be 1 or more"),
        (["--domain", "churn", "--seed", "-1"], "ERROR: seed must be 0 or more"),
    ],
)
def test_generate_errors_are_one_line_and_exit_1(tmp_path, args, message):
    result = run("generate", *args, "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1
    assert result.output.startswith(message) and result.output.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


def test_generate_refuses_an_unknown_extension(tmp_path):
    result = run("generate", "--domain", "churn", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and result.output.startswith("ERROR: cannot write")


def test_defects_prints_the_catalogue_and_the_drift():
    result = run("defects", "--domain", "house_prices")
    assert result.exit_code == 0, result.output
    for text in ("exact_duplicate", "mixed_date_format", "leaky_column", "price_per_sqft", "new_category", "1.5%"):
        assert text in result.output
    assert "concept_drift" in result.output and "distance_to_center" in result.output
    assert "Labels: a batch's labels arrive one delivery later" in result.output


def test_defects_as_json():
    result = run("defects", "--domain", "credit_default", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["domain"] == "credit_default" and len(data["defects"]) >= 13 and len(data["drift"]) == 5
    [concept] = [event for event in data["drift"] if event["kind"] == "concept_drift"]
    assert concept["params"]["columns"] == ["annual_income", "loan_amount"] and concept["from_batch"] == 2
    assert data["labels"]["delay_batches"] == 1


def test_battery_from_a_generated_batch_keeps_target_and_id(tmp_path):
    raw = tmp_path / "raw" / "house_prices.csv"
    assert run("generate", "--domain", "house_prices", "--rows", "800", "--out", str(raw)).exit_code == 0
    result = run("battery", "--in", str(raw), "--out", str(tmp_path / "battery"), "--rows", "400")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Wrote 10 batches")
    manifest = read_json(tmp_path / "battery" / "manifest.json")
    assert manifest["protected"] == ["sale_price", "sale_id"] and manifest["rows"] == 400
    assert len(list((tmp_path / "battery").glob("*.csv"))) == 10


def test_battery_errors(tmp_path):
    result = run("battery", "--in", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "b"))
    assert result.exit_code == 1 and result.output.startswith("ERROR: file not found")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = run("battery", "--in", str(tmp_path / "t.csv"), "--out", str(tmp_path / "b"), "--target", "y")
    assert result.exit_code == 1 and result.output.startswith("ERROR: --target 'y' is not a column")


def test_help_names_the_three_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("generate", "defects", "battery"):
        assert command in result.output
