"""Stage 2 gates on the team's suites (a fake team package), run through the pipeline's run_suite in
an in-memory Great Expectations context."""

import importlib

import pytest
from capstone.checkpoints import evidence
from capstone.checkpoints.registry import load_all

# The team's suites. MODE: loose (one trivial check per column), strict (region may never be
# missing: the feed's deliveries have gaps there), gaps (two columns left out, a table-level check
# instead), guard (rules drawn from PROFILE, the profile of a good delivery, that catch the battery).
SUITES = """
import great_expectations.expectations as gxe

PROFILE = None  # {column: {"nulls": share, "min": .., "max": .., "values": [...]}}, set by the test
COLUMNS = None  # the delivery's columns in order, set by the test


def raw_expectations(schema, params, profile=None):
    return build(schema, raw=True)


def clean_expectations(schema, params, profile=None):
    return build(schema, raw=False)


def build(schema, raw):
    columns = list(COLUMNS)
    if MODE == "loose":
        return [gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=0.01) for name in columns]
    if MODE == "strict":
        return [gxe.ExpectColumnValuesToNotBeNull(column="region")] + build_loose(columns)
    if MODE == "gaps":
        return [gxe.ExpectTableColumnsToMatchSet(column_set=columns), gxe.ExpectColumnToExist(column=columns[-1])] + [
            gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=0.01) for name in columns[:-2]
        ]
    found = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=columns),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column=schema.id_column, mostly=0.9),
    ]
    for name in columns:
        info = PROFILE[name]
        found.append(gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=max(0.0, 0.95 - info["nulls"])))
        if "min" in info:
            low, high = info["min"], info["max"]
            found.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high, mostly=0.98))
        else:
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=info["values"], mostly=0.95))
    return found


def build_loose(columns):
    return [gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=0.01) for name in columns]
"""


def gate(gate_id: str):
    return load_all()[gate_id]


def profile(frame) -> dict:
    import pandas as pd

    found = {}
    for name in frame.columns:
        values = frame[name].dropna()
        info = {"nulls": float(frame[name].isna().mean())}
        if pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name]):
            info.update(min=float(values.min()), max=float(values.max()))
        else:
            info["values"] = sorted(values.unique().tolist(), key=str)
        found[name] = info
    return found


@pytest.fixture
def stage2(make_context, team_package, monkeypatch):
    """make(mode) -> a Context whose team has `mode` suites and a cleaning that changes nothing."""
    monkeypatch.setattr(evidence, "CHECK_ROWS", 2000)
    from capstone.checkpoints.gates import suites_catch_defects, suites_pass_clean_batches

    monkeypatch.setattr(suites_pass_clean_batches, "LATER_ROWS", 1000)
    monkeypatch.setattr(suites_catch_defects, "BATTERY_ROWS", 1000)

    def make(mode: str):
        package = team_package(
            {
                "validation/suites.py": f"MODE = {mode!r}\n" + SUITES,
                "data/clean.py": "def clean_frame(frame, schema, dataset):\n    return frame, {}\n",
            }
        )
        context = make_context(package)
        suites = importlib.import_module(f"{package}.validation.suites")
        suites.COLUMNS = list(evidence.delivered_batch(context, index=0)[0].columns)
        source = evidence.delivered_batch(context, index=2, rows=suites_catch_defects.BATTERY_ROWS)[0]
        suites.PROFILE = profile(source)
        return context

    return make


def test_suites_with_a_check_on_every_column_cover_them(stage2):
    outcome = gate("suites-cover-columns")(stage2("loose"), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "raw 21/21, clean 21/21 columns covered"


def test_table_level_checks_do_not_cover_columns(stage2):
    outcome = gate("suites-cover-columns")(stage2("gaps"), {})
    assert not outcome.passed
    assert outcome.measured == "raw 19/21, clean 19/21 columns covered"
    assert outcome.detail.startswith("Columns without an expectation on their values: add them to src/fake_team_")
    assert (
        "- `raw_expectations` (21 expectations) leaves out 2: `retention_team_contacted`, `churned`" in outcome.detail
    )


def test_loose_suites_pass_good_deliveries(stage2):
    outcome = gate("suites-pass-clean-batches")(stage2("loose"), {"later_batches": 1})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "4 of 4 suite runs pass"


def test_a_suite_that_rejects_good_data_fails(stage2):
    outcome = gate("suites-pass-clean-batches")(stage2("strict"), {"later_batches": 1})
    assert not outcome.passed
    assert outcome.measured == "0 of 4 suite runs pass"
    assert outcome.detail.startswith("The raw suite rejects a good delivery (batch 1, seed 20251): relax")
    assert "- raw suite, batch 2, seed 31337" in outcome.detail
    assert "`expect_column_values_to_not_be_null` on `region`" in outcome.detail


def test_a_suite_with_business_rules_catches_the_battery(stage2):
    outcome = gate("suites-catch-defects")(stage2("guard"), {"min_caught_share": 1.0})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "9 of 9 corrupted files caught, control passes"


def test_a_loose_suite_lets_corrupted_files_through(stage2):
    outcome = gate("suites-catch-defects")(stage2("loose"), {"min_caught_share": 1.0})
    assert not outcome.passed
    assert outcome.measured == "2 of 9 corrupted files caught, control passes"  # the dropped column and no rows
    assert outcome.expected == "at least 1.00 of the files corrupted above 1% of rows; control passes"
    assert "corrupted file(s) through: add expectations to src/fake_team_" in outcome.detail
    assert "- `duplicated_rows`: 10 % of the rows arrive twice" in outcome.detail
