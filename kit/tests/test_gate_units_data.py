"""Stage 1 (cleaning-fixes-defects), a gate run through run_gate, and the hooks' errors."""

import importlib

import pytest
from capstone.checkpoints import evidence
from capstone.checkpoints.check import FAILED, PASSED, run_gate
from capstone.checkpoints.registry import load_all
from capstone.config import Gate, Stage

CLEANERS = '''
KEY = None  # the answer key of the delivery, set by the test
CELL_KINDS = ("unit_mixup", "category_variant", "impossible_value", "sentinel", "mixed_date_format", "outlier")


def clean_frame(frame, schema, dataset):
    """MODE perfect: undo every catalogued defect with the answer key."""
    if MODE == "identity":
        return frame, {}
    if MODE == "reset_index":
        return frame.iloc[1:].reset_index(drop=True), {}
    if MODE == "new_index":
        return frame.set_axis(range(len(frame), 2 * len(frame))), {}
    drop = []
    for entry in KEY["defects"]:
        kind, column = entry["kind"], entry.get("column")
        if kind in ("exact_duplicate", "near_duplicate"):
            drop += list(entry["rows"])
        elif kind == "id_collision":
            for row in entry["rows"]:
                frame.at[row, column] = f"{frame.at[row, column]}-2"
        elif kind in CELL_KINDS and column in frame.columns:
            for row, original in zip(entry["rows"], entry["original"]):
                if original is not None:
                    frame.at[row, column] = original
    return frame.drop(index=drop), {}
'''


def cleaning_team(team_package, mode: str) -> str:
    return team_package({"data/clean.py": f"MODE = {mode!r}\n" + CLEANERS})


def gate(gate_id: str):
    return load_all()[gate_id]


@pytest.fixture
def small_checks(monkeypatch):
    """The checkpoint's deliveries at 2,000 rows instead of 10,000 (same code, quicker)."""
    monkeypatch.setattr(evidence, "CHECK_ROWS", 2000)


def test_a_cleaning_that_fixes_every_defect_passes(team_package, make_context, small_checks):
    package = cleaning_team(team_package, "perfect")
    context = make_context(package)
    raw, key = evidence.delivered_batch(context)
    importlib.import_module(f"{package}.data.clean").KEY = key
    outcome = gate("cleaning-fixes-defects")(context, {"min_fixed_share": 0.9})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("1.00 fixed of the worst-fixed defect")
    assert outcome.expected.startswith("at least 0.90 of each of the ") and outcome.expected.endswith(" graded")


def test_a_cleaning_that_fixes_nothing_fails_and_lists_the_defects(team_package, make_context, small_checks):
    context = make_context(cleaning_team(team_package, "identity"))
    outcome = gate("cleaning-fixes-defects")(context, {"min_fixed_share": 0.9})
    assert not outcome.passed
    assert outcome.measured.startswith("0.00 fixed of the worst-fixed defect")
    assert outcome.detail.startswith("The cleaning fixes too little of ")
    assert "improve `clean_frame` in src/fake_team_" in outcome.detail
    assert "- `exact_duplicate`: 0.00 fixed; drop the second copy of identical rows" in outcome.detail
    assert "Measured on a fresh delivery (2,000 rows, seed 20251, batch 1)" in outcome.detail


@pytest.mark.parametrize(
    "mode, says",
    [
        ("new_index", "`clean_frame` must keep the raw row positions as the index (do not reset_index)."),
        ("reset_index", "the rows of `clean_frame`'s output do not match the raw rows at their index"),
    ],
)
def test_a_cleaning_that_loses_the_raw_index_cannot_be_measured(team_package, make_context, small_checks, mode, says):
    context = make_context(cleaning_team(team_package, mode))
    outcome = gate("cleaning-fixes-defects")(context, {})
    assert not outcome.passed
    assert outcome.measured == "cannot be measured"
    assert outcome.expected == "at least 0.90 of each defect fixed"
    assert outcome.detail.startswith("src/fake_team_") and says in outcome.detail


def test_the_checkpoint_never_uses_the_pipelines_seed(make_context):
    context = make_context(data=dict(feed=dict(seed=20_251)))
    assert evidence.other_seed(context, 0) == 20_252
    assert evidence.other_seed(make_context(), 0) == 20_251


# --- the hooks ------------------------------------------------------------------------------------


def test_a_renamed_hook_function_is_one_line_naming_the_hook_and_capstone_yaml(team_package, make_context):
    renamed = CLEANERS.replace("def clean_frame(", "def clean_the_frame(")
    context = make_context(team_package({"data/clean.py": "MODE = 'identity'\n" + renamed}))
    stage = Stage(number=1, key="data", title="Data", brief="docs/stages/1-data.md", gates=[])
    spec = Gate(id="cleaning-fixes-defects", check="cleans", kind="auto", blocking=True)
    result = run_gate(context, spec, stage)
    assert result.status == FAILED
    assert result.measured == "a hook cannot be called"
    assert "\n" not in result.detail and "Traceback" not in result.detail
    assert result.detail.startswith("hook 'clean': ")
    assert "has no function 'clean_frame' (was it renamed?)" in result.detail
    assert "capstone.yaml (hooks.clean: data.clean:clean_frame)" in result.detail


def test_a_hook_declared_elsewhere_in_capstone_yaml_is_called_there(team_package, make_context, small_checks):
    package = team_package({"cleaning/steps.py": "MODE = 'identity'\n" + CLEANERS.replace("clean_frame", "tidy")})
    context = make_context(package, hooks={"clean": "cleaning.steps:tidy"})
    outcome = gate("cleaning-fixes-defects")(context, {})
    assert not outcome.passed and outcome.measured.startswith("0.00 fixed")


def test_a_missing_hook_module_names_the_module_and_the_declaration(make_context):
    context = make_context("no_team_package")
    stage = Stage(number=1, key="data", title="Data", brief="docs/stages/1-data.md", gates=[])
    spec = Gate(id="cleaning-fixes-defects", check="cleans", kind="auto", blocking=True)
    result = run_gate(context, spec, stage)
    assert result.status == FAILED and result.measured == "a hook cannot be called"
    assert result.detail.startswith("hook 'clean': module no_team_package.data.clean not found")
    assert "capstone.yaml (hooks.clean: data.clean:clean_frame)" in result.detail


def test_a_passing_gate_through_run_gate(make_context, monkeypatch):
    from capstone.checkpoints.approval import ENVIRONMENT

    for name in (*ENVIRONMENT, "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    stage = Stage(number=1, key="data", title="Data", brief="docs/stages/1-data.md", gates=[])
    result = run_gate(make_context(), Gate(id="integrity", check="c", kind="auto", blocking=True), stage)
    assert result.status == PASSED  # outside a git repository there is nothing to compare
    assert result.measured.endswith(": nothing to compare")


# The integrity gate's own tests (a git repository, a stand-in GitHub API): test_gate_integrity.py.


# --- a custom CSV: generic checks instead of the answer key ---------------------------------------

CUSTOM_CSV = """size,rooms,colour,price
10,1,red,cheap
12,2,blue,cheap
12,2,blue,cheap
30,3,red,dear
unknown,4,green,dear
41,4,blue,
50,5,red,dear
14,1,red,cheap
16,2,green,cheap
33,3,blue,dear
45,4,red,dear
"""
CUSTOM_CLEAN = """
import pandas as pd


def clean_frame(frame, schema, dataset):
    if MODE == "identity":
        return frame, {}
    frame = frame.drop_duplicates()
    frame = frame[frame["price"].notna()].copy()
    frame["size"] = pd.to_numeric(frame["size"], errors="coerce")
    return frame, {}
"""


@pytest.mark.parametrize("mode", ["identity", "tidy"])
def test_a_custom_csv_gets_generic_checks(team_package, make_context, tmp_path, mode):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "batch.csv").write_text(CUSTOM_CSV)
    package = team_package({"data/clean.py": f"MODE = {mode!r}\n" + CUSTOM_CLEAN})
    context = make_context(
        package, data=dict(dataset="custom_csv", custom_csv=dict(path="data/raw/batch.csv", target="price"))
    )
    outcome = gate("cleaning-fixes-defects")(context, {})
    assert outcome.expected.startswith("at least 0.80 of the labelled rows kept; no duplicate rows, no missing target")
    if mode == "tidy":
        assert outcome.passed, outcome.detail
        assert outcome.measured == "9 of 9 labelled rows kept (1.00); 6 of 6 checks pass"
        return
    assert not outcome.passed
    assert outcome.measured == "9 of 9 labelled rows kept (1.00); 3 of 6 checks pass"
    assert outcome.detail.startswith("The cleaned data of your CSV fails 3 generic check(s): fix `clean_frame` in src/")
    assert "- 1 duplicate row(s) remain: drop exact copies." in outcome.detail
    assert "- 1 row(s) have no target: drop them (nothing to learn from)." in outcome.detail
    assert "- column(s) of numbers are still text: `size`; parse them" in outcome.detail
