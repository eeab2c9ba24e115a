"""suites-pass-clean-batches on a custom CSV: the advice is about the team's own file, not the feed's drift."""

from capstone.checkpoints.registry import load_all

SUITES = """
import great_expectations.expectations as gxe

ROWS = None  # the file's row count, set by the test


def raw_expectations(schema, params, profile=None):
    return [gxe.ExpectTableRowCountToEqual(value=ROWS)]  # pins this one file


def clean_expectations(schema, params, profile=None):
    return [gxe.ExpectTableRowCountToBeBetween(min_value=1)]
"""


def test_a_suite_that_pins_the_file_gets_advice_about_the_file(team_package, make_context, tmp_path, clean_rows):
    import importlib

    (tmp_path / "data" / "raw").mkdir(parents=True)
    clean_rows.head(200).to_csv(tmp_path / "data" / "raw" / "batch.csv", index=False)
    package = team_package(
        {
            "validation/suites.py": SUITES,
            "data/clean.py": "def clean_frame(frame, schema, dataset):\n    return frame, {}\n",
        }
    )
    importlib.import_module(f"{package}.validation.suites").ROWS = 200
    context = make_context(
        package, data=dict(dataset="custom_csv", custom_csv=dict(path="data/raw/batch.csv", target="churned"))
    )
    outcome = load_all()["suites-pass-clean-batches"](context, {})
    assert not outcome.passed
    assert outcome.measured == "2 of 4 suite runs pass"
    assert outcome.detail.startswith(
        "The raw suite rejects a good delivery (a 70 % sample of your data (seed 1)): relax the expectations"
    )
    assert "Each good delivery is a random 70 % sample of your own file" in outcome.detail
    assert "its exact row count" in outcome.detail
    assert "feed" not in outcome.detail and "drift" not in outcome.detail
