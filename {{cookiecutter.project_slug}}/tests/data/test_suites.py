"""The validation suites pass good data and stop bad data (stage 2).

The only test module that imports Great Expectations (about 10 s): it uses an in-memory context,
so nothing is written to gx/.
"""

import pandas as pd
import pytest
from capstone.testing import covered_columns, custom_profile, make_battery, run_suite

# What every suite must catch, even the first one: a delivery that lost its shape.
GROSS = ("dropped_column", "renamed_column", "empty_batch")
# Two tests hold your suites to the whole battery and to every column, as the stage 2 checkpoint does.
# Set this to True once your suites do (stage 2): they then run.
SUITES_DONE = {{ "True" if cookiecutter.scaffold == "reference" else "False" }}


@pytest.fixture(scope="module")
def expectations(hooks, params, schema, delivered):
    """{"raw": [...], "clean": [...]}, for a custom CSV from the profile of the delivered file."""
    profile = None
    if params.data.dataset == "custom_csv":
        profile = custom_profile(delivered[0], schema.target, schema.task)
    return dict(
        raw=hooks.raw_expectations(schema, params, profile=profile),
        clean=hooks.clean_expectations(schema, params, profile=profile),
    )


@pytest.fixture(scope="module")
def validate(expectations):
    """validate("raw" | "clean", frame) -> the validate stage's report (in memory: gx/ is untouched)."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    return lambda name, frame: run_suite(context, name, expectations[name], frame)


@pytest.fixture(scope="module")
def battery(tmp_path_factory, delivered, schema):
    """The defect battery (capstone data battery) of the delivered batch: {kind: frame}."""
    out = tmp_path_factory.mktemp("battery")
    protect = tuple(name for name in (schema.target, schema.id_column) if name)
    manifest = make_battery(delivered[0], out, rows=2000, seed=0, protect=protect)
    return {entry["kind"]: pd.read_csv(out / entry["file"]) for entry in manifest["batches"]}


def test_the_raw_suite_passes_a_delivered_batch(validate, delivered):
    report = validate("raw", delivered[0])
    assert report["success"], report["failed"]
    assert report["evaluated"] >= 2  # the skeleton's raw suite: the columns and the row count


def test_the_clean_suite_passes_the_cleaned_batch(validate, cleaned, read_back):
    report = validate("clean", read_back(cleaned[0]))
    assert report["success"], report["failed"]


@pytest.mark.parametrize("kind", GROSS)
def test_the_raw_suite_stops_a_batch_that_lost_its_shape(validate, battery, kind):
    report = validate("raw", battery[kind])
    assert not report["success"]
    assert report["failed"] and all(failure["expectation"] for failure in report["failed"])


def test_the_reference_suite_catches_the_whole_battery(validate, battery, params):
    if not SUITES_DONE:
        pytest.skip("set SUITES_DONE = True in this file once your suites catch the battery (stage 2)")
    assert validate("raw", battery["control"])["success"], "the unchanged sample must pass"
    others = [kind for kind in battery if kind != "control" and kind not in GROSS]
    missed = [kind for kind in others if validate("raw", battery[kind])["success"]]
    assert not missed, f"the raw suite let these corrupted batches through: {missed}"


def test_the_reference_suites_cover_every_column(expectations, params, delivered):
    """As the stage 2 checkpoint counts it: a table-level expectation covers no column."""
    if not SUITES_DONE:
        pytest.skip("set SUITES_DONE = True in this file once your suites cover every column (stage 2)")
    for name, found in expectations.items():
        covered = covered_columns(found)
        assert set(delivered[0].columns) <= covered, (name, set(delivered[0].columns) - covered)
