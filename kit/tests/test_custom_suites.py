"""The reference's suites for a custom CSV, profiled from a file and run by Great Expectations on it.

Real GX runs (an in-memory context) on small frames with a column that is mostly or wholly empty,
targets missing from the raw file, and a file that is nearly all copies: the raw suite passes the
data it was profiled from, the clean suite passes what the reference's cleaning makes of it, and
a column that comes back much emptier than profiled still fails. The suites are the baked
reference's own code (validation/suites.py), as the validate stage calls them.
"""

import importlib

import numpy as np
import pandas as pd
import pytest
from baked import bake_team_repo
from capstone.config import Params
from capstone.dataset import DatasetSchema
from capstone.pipeline.validate import custom_profile, one_line, run_suite
from kitdata import params_document

ROWS = 400
SHARES = (0.0, 0.5, 0.84, 0.99, 1.0)  # of the free-text column `comment` that is missing


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """The reference's (and the skeleton's) modules, from freshly baked custom_csv repositories."""
    modules = {}
    for scaffold in ("reference", "skeleton"):
        package = f"byod_{scaffold}"
        repo = bake_team_repo(
            tmp_path_factory, dataset="custom_csv", scaffold=scaffold, project_slug=package.replace("_", "-")
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.syspath_prepend(str(repo / "src"))
            modules[scaffold] = dict(
                suites=importlib.import_module(f"{package}.validation.suites"),
                clean=importlib.import_module(f"{package}.data.clean"),
            )
    return modules


@pytest.fixture(scope="module")
def context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    made = gx.get_context(mode="ephemeral")
    made.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return made


PARAMS = Params.model_validate(
    params_document(
        "any",
        data=dict(dataset="custom_csv", custom_csv=dict(path="data/external/data.csv", target="label", task="")),
        validate=dict(mostly=0.99, min_rows=100),
    )
)
SCHEMA = DatasetSchema(target="label", task="binary", numeric=("amount",), categorical=("colour",), text=("comment",))


def frame_with(missing_comment: float, missing_label: int = 0, seed: int = 0) -> pd.DataFrame:
    """ROWS distinct rows: a number, a category, a free-text column `comment` missing at the given share."""
    rng = np.random.default_rng(seed)
    comments = pd.Series([f"note {i}: {'long ' * (i % 5)}text" for i in range(ROWS)], dtype="str")
    comments[rng.permutation(ROWS)[: round(missing_comment * ROWS)]] = None
    labels = pd.Series(rng.choice(["yes", "no"], ROWS), dtype="str")
    labels[rng.permutation(ROWS)[:missing_label]] = None
    return pd.DataFrame(
        dict(
            amount=50 + 0.25 * rng.permutation(ROWS),  # distinct: no row is a copy of another
            colour=pd.Series(rng.choice(["red", "green", "blue"], ROWS), dtype="str"),
            comment=comments,
            label=labels,
        )
    )


def read_back(frame: pd.DataFrame, tmp_path, name: str) -> pd.DataFrame:
    """The frame as the next stage reads it from its CSV (an empty column comes back as numbers)."""
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return pd.read_csv(path)


def validate(team, context, scaffold: str, which: str, profile: dict, frame: pd.DataFrame) -> dict:
    suites = team[scaffold]["suites"]
    build = suites.raw_expectations if which == "raw" else suites.clean_expectations
    return run_suite(context, f"{scaffold}-{which}", build(SCHEMA, PARAMS, profile=profile), frame)


def cleaned(team, scaffold: str, frame: pd.DataFrame, tmp_path) -> pd.DataFrame:
    clean, _ = team[scaffold]["clean"].clean_frame(frame, SCHEMA, "custom_csv")
    return read_back(clean, tmp_path, f"{scaffold}-clean")


@pytest.mark.parametrize("share", SHARES)
def test_a_mostly_empty_column_passes_both_suites_it_was_profiled_from(team, context, tmp_path, share):
    # ten unlabelled rows the cleaning drops: the clean suite must not trip over them
    raw = read_back(frame_with(share, missing_label=10), tmp_path, "raw")
    profile = custom_profile(raw, "label", "binary")
    report = validate(team, context, "reference", "raw", profile, raw)
    assert report["success"], report["failed"]
    clean = cleaned(team, "reference", raw, tmp_path)
    assert len(clean) == ROWS - 10
    report = validate(team, context, "reference", "clean", profile, clean)
    assert report["success"], report["failed"]


@pytest.mark.parametrize(("share", "later"), [(0.0, 0.2), (0.5, 0.7), (0.84, 1.0), (0.2, 1.0)])
def test_a_column_much_emptier_than_profiled_fails_the_raw_suite(team, context, tmp_path, share, later):
    profile = custom_profile(read_back(frame_with(share), tmp_path, "profiled"), "label", "binary")
    report = validate(team, context, "reference", "raw", profile, read_back(frame_with(later, seed=1), tmp_path, "new"))
    assert not report["success"]
    assert {failure["column"] for failure in report["failed"]} == {"comment"}
    assert {failure["expectation"] for failure in report["failed"]} >= {"expect_column_values_to_not_be_null"}


def test_a_slightly_emptier_column_in_a_new_delivery_passes(team, context, tmp_path):
    profile = custom_profile(read_back(frame_with(0.5), tmp_path, "profiled"), "label", "binary")
    report = validate(team, context, "reference", "raw", profile, read_back(frame_with(0.53, seed=1), tmp_path, "new"))
    assert report["success"], report["failed"]


@pytest.mark.parametrize("scaffold", ["reference", "skeleton"])
def test_missing_targets_pass_the_raw_suite_but_not_the_clean_one(team, context, tmp_path, scaffold):
    raw = read_back(frame_with(0.1, missing_label=60), tmp_path, "raw")
    profile = custom_profile(raw, "label", "binary")
    assert validate(team, context, scaffold, "raw", profile, raw)["success"]
    assert validate(team, context, scaffold, "clean", profile, cleaned(team, scaffold, raw, tmp_path))["success"]
    # the clean suite still demands every target: data that kept an unlabelled row fails
    report = validate(team, context, scaffold, "clean", profile, raw.drop_duplicates())
    assert not report["success"]
    failed = [(failure["expectation"], failure["column"]) for failure in report["failed"]]
    assert ("expect_column_values_to_not_be_null", "label") in failed


@pytest.mark.parametrize("scaffold", ["reference", "skeleton"])
def test_a_file_of_nearly_all_copies_passes_both_suites(team, context, tmp_path, scaffold):
    """96 % of the rows repeat one of 40 rows: no negative `mostly`, and the cleaned 40 rows pass."""
    distinct = frame_with(0.3).head(40)
    raw = read_back(pd.concat([distinct] * 25, ignore_index=True), tmp_path, "copies")
    profile = custom_profile(raw, "label", "binary")
    assert profile["duplicated"] == 1.0 or profile["duplicated"] > 0.95
    report = validate(team, context, scaffold, "raw", profile, raw)
    assert report["success"], report["failed"]
    clean = cleaned(team, scaffold, raw, tmp_path)
    assert len(clean) == 40 or scaffold == "skeleton"  # the skeleton's cleaning is the team's to improve
    report = validate(team, context, scaffold, "clean", profile, clean)
    assert report["success"], report["failed"]


def test_every_mostly_is_a_share_from_0_to_1(team):
    """Hostile profiles: every column missing, every row a copy, one row."""
    suites = team["reference"]["suites"]
    for share, duplicated, rows in [(1.0, 1.0, 1), (0.0, 0.0, 1), (0.9999, 0.999, 10**6), (1.0, 0.0, 0)]:
        profile = dict(
            columns=["x", "label"],
            target="label",
            rows=rows,
            duplicated=duplicated,
            column_info=dict(
                x=dict(missing=share, kind="number", min=0.0, max=0.0),
                label=dict(missing=share, kind="category", values=["a", "b"]),
            ),
        )
        for build in (suites.raw_expectations, suites.clean_expectations):
            for expectation in build(SCHEMA, PARAMS, profile=profile):
                mostly = getattr(expectation, "mostly", None)
                assert mostly is None or 0 <= mostly <= 1, (expectation, profile)


def test_a_clean_suite_failing_on_the_row_count_says_the_minimum_and_the_rows(team, context, tmp_path):
    raw = read_back(frame_with(0.1), tmp_path, "raw")
    profile = custom_profile(raw, "label", "binary")
    report = validate(team, context, "reference", "clean", profile, raw.head(34))
    line = one_line("clean", report)
    assert "expect_table_row_count_to_be_between (table: 34 rows, at least 100 wanted)" in line, line
    assert "\n" not in line
