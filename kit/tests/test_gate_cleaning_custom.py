"""Stage 1 (cleaning-fixes-defects) on a custom CSV: the share of labelled rows kept, and the checks.

The file is like the Palmer penguins' raw export: a mostly-empty comments column, a few missing
measurements, missing and placeholder labels, a label with stray spaces and another case, a copy.
Dropping every row with a hole kept 34 of 344 penguins; the gate must fail that, naming the share.
"""

import numpy as np
import pandas as pd
import pytest
from capstone.checkpoints.registry import load_all

ROWS = 60
CLEANERS = """
import pandas as pd

PLACEHOLDERS = {"", ".", "?", "na", "n/a"}


def clean_frame(frame, schema, dataset):
    frame = frame.drop_duplicates()
    if MODE == "dropna":  # the old skeleton: every row with a hole goes
        return frame.dropna(), {}
    labels = frame["Species"] if MODE == "spellings_kept" else frame["Species"].str.strip().str.casefold()
    if MODE != "placeholders_kept":
        labels = labels.mask(labels.isin(PLACEHOLDERS))
    frame["Species"] = labels
    frame = frame[frame["Species"].notna()]
    if MODE == "emptied":
        frame["Island"] = pd.to_numeric(frame["Island"], errors="coerce")
    return frame, {}
"""


def penguins_like() -> pd.DataFrame:
    """60 penguins, 10 of them with a comment; 2 unlabelled, 1 placeholder label, 1 exact copy."""
    rng = np.random.default_rng(3)
    species = np.array(["Adelie", "Gentoo", "Chinstrap"])[np.arange(ROWS) % 3]
    frame = pd.DataFrame(
        {
            "Sample Number": np.arange(1, ROWS + 1),
            "Species": species.astype(object),
            "Island": np.array(["Torgersen", "Biscoe", "Dream"])[rng.integers(0, 3, ROWS)],
            "Culmen Length (mm)": rng.normal(44, 5, ROWS).round(1),
            "Body Mass (g)": rng.normal(4200, 800, ROWS).round(0),
            "Sex": np.where(rng.random(ROWS) < 0.5, "MALE", "FEMALE").astype(object),
            "Comments": [f"note {i}" if i % 6 == 0 else None for i in range(ROWS)],
        }
    )
    frame.loc[[3, 17], ["Culmen Length (mm)", "Body Mass (g)"]] = np.nan
    frame.loc[[8, 21, 40], "Sex"] = np.nan
    frame.loc[[5, 30], "Species"] = np.nan
    frame.loc[11, "Species"] = "."
    frame.loc[14, "Species"] = " adelie "
    return pd.concat([frame, frame.iloc[[2]]], ignore_index=True)  # an exact copy of a row


def context_with(team_package, make_context, tmp_path, mode: str):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    penguins_like().to_csv(tmp_path / "data" / "raw" / "batch.csv", index=False)
    package = team_package({"data/clean.py": f"MODE = {mode!r}\n" + CLEANERS})
    data = dict(dataset="custom_csv", custom_csv=dict(path="data/raw/batch.csv", target="Species"))
    return make_context(package, data=data)


def check(context, thresholds=None):
    return load_all()["cleaning-fixes-defects"](context, {"min_rows_kept": 0.8} if thresholds is None else thresholds)


def test_dropping_every_row_with_a_hole_fails_naming_the_share_kept(team_package, make_context, tmp_path):
    outcome = check(context_with(team_package, make_context, tmp_path, "dropna"))
    assert not outcome.passed
    # 61 rows, 1 copy, 2 missing and 1 placeholder label: 57 labelled; 9 have no hole at all
    assert outcome.measured == "9 of 57 labelled rows kept (0.16); 6 of 6 checks pass"
    assert outcome.expected.startswith("at least 0.80 of the labelled rows kept; no duplicate rows")
    assert "min_fixed_share" not in outcome.expected and "fixed" not in outcome.measured
    first = outcome.detail.splitlines()[0]
    assert first.startswith("The cleaning of your CSV keeps too few rows: 9 of 57 labelled rows kept (0.16), ")
    assert "at least 0.80 expected" in first and "src/fake_team_" in first and "imputer" in first
    assert "Traceback" not in outcome.detail


def test_a_cleaning_that_keeps_every_labelled_row_passes(team_package, make_context, tmp_path):
    outcome = check(context_with(team_package, make_context, tmp_path, "tidy"))
    assert outcome.passed, outcome.detail
    assert outcome.measured == "57 of 57 labelled rows kept (1.00); 6 of 6 checks pass"


def test_the_threshold_comes_from_capstone_yaml_with_a_default(team_package, make_context, tmp_path):
    context = context_with(team_package, make_context, tmp_path, "dropna")
    assert check(context, {"min_rows_kept": 0.1}).passed
    assert check(context, {}).expected.startswith("at least 0.80 of the labelled rows kept")


@pytest.mark.parametrize(
    "mode, measured, says",
    [
        (
            "placeholders_kept",
            "57 of 57 labelled rows kept (1.00); 5 of 6 checks pass",
            "- 1 row(s) have a placeholder for a label ('.'): set it to missing, then drop those rows.",
        ),
        (
            "emptied",
            "57 of 57 labelled rows kept (1.00); 5 of 6 checks pass",
            "- the cleaning emptied column(s) that had values: `Island`; keep their values (or drop the column).",
        ),
        (
            "spellings_kept",
            "57 of 57 labelled rows kept (1.00); 5 of 6 checks pass",
            "- column(s) with several spellings of one category: `Species` (' adelie ', 'Adelie'); keep one",
        ),
    ],
)
def test_a_placeholder_label_a_second_spelling_or_an_emptied_column_fails(
    team_package, make_context, tmp_path, mode, measured, says
):
    outcome = check(context_with(team_package, make_context, tmp_path, mode))
    assert not outcome.passed
    assert outcome.measured == measured
    assert outcome.detail.startswith("The cleaned data of your CSV fails 1 generic check(s): fix `clean_frame` in src/")
    assert says in outcome.detail
