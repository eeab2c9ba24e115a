"""Stage 6 gates on a hand-made team package: drift-detected and retrain-decision.

The reference scaffold's monitor passes; the cheats fail: a monitor that always says "drift", one
that never does, one that always retrains, one that never does. A monitor that answers in the wrong
shape is one clear line.
"""

from pathlib import Path

import pytest
from capstone.checkpoints.registry import load_all
from capstone.config import ConfigError

TEMPLATE = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}"
REFERENCE = TEMPLATE / ".scaffold/reference/src/{{cookiecutter.__package_name}}/monitoring/monitor.py"
SKELETON = TEMPLATE / ".scaffold/skeleton/src/{{cookiecutter.__package_name}}/monitoring/monitor.py"

ALWAYS_DRIFT = """
def monitor(reference, current, schema, settings, quality):
    columns = {name: dict(drifted=True, test="none", statistic=1.0) for name in schema.feature_columns}
    return dict(columns=columns, retrain=True, why="always")
"""
NEVER_DRIFT = """
def monitor(reference, current, schema, settings, quality):
    columns = {name: dict(drifted=False, test="none", statistic=0.0) for name in schema.feature_columns}
    return dict(columns=columns, retrain=False, why="never")
"""
WRONG_SHAPE = """
def monitor(reference, current, schema, settings, quality):
    return dict(columns={"age": "drifted"}, retrain="maybe")
"""


def gate(gate_id: str):
    return load_all()[gate_id]


@pytest.fixture
def stage6(make_context, team_package, tmp_path, champion, schema):
    """stage6(monitor source) -> a Context whose team package has that monitor and whose split is written."""
    from capstone.feed import generate_batch

    frame, _ = generate_batch("churn", rows=3000, seed=11, batch=1, defects=False)
    split = tmp_path / "data" / "split"
    split.mkdir(parents=True)
    frame.iloc[:2000].to_csv(split / "train.csv", index=False)
    frame.iloc[2000:].to_csv(split / "test.csv", index=False)

    def make(source: str):
        package = team_package({"monitoring/monitor.py": source})
        context = make_context(package, hooks={"monitor": "monitoring.monitor:monitor"})
        context.champion_model = champion
        return context

    return make


def test_the_reference_monitor_finds_the_drift_and_only_it(stage6):
    outcome = gate("drift-detected")(stage6(REFERENCE.read_text()), {"min_recall": 0.75, "max_false_alarms": 0.1})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("recall 1.00 (4 of 4 events), false alarms 0.0")
    assert outcome.values["recall"] == 1.0


def test_a_monitor_that_always_says_drift_fails_on_false_alarms(stage6):
    outcome = gate("drift-detected")(stage6(ALWAYS_DRIFT), {})
    assert not outcome.passed and outcome.measured.endswith("false alarms 1.00")
    assert outcome.detail.startswith("The monitor flags ") and "(clean batch)" in outcome.detail
    assert "docs/stages/6-operations.md" in outcome.detail


def test_a_monitor_that_never_says_drift_fails_on_recall(stage6):
    outcome = gate("drift-detected")(stage6(NEVER_DRIFT), {})
    assert not outcome.passed and outcome.measured.startswith("recall 0.00 (0 of 4 events)")
    assert outcome.detail.startswith("The monitor misses 4 of the 4 drift events: ")
    assert "`plan (new_category)`" in outcome.detail


def test_the_skeleton_monitor_runs_and_fails_with_advice(stage6):
    outcome = gate("drift-detected")(stage6(SKELETON.read_text()), {})
    assert not outcome.passed and "src/fake_team_" in outcome.detail and "monitoring/monitor.py" in outcome.detail


def test_the_reference_monitor_retrains_on_concept_drift_only(stage6):
    outcome = gate("retrain-decision")(stage6(REFERENCE.read_text()), {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "right on both batches"
    assert "- concept batch: roc_auc " in outcome.detail and "it said retrain" in outcome.detail


@pytest.mark.parametrize(("source", "wrong"), [(ALWAYS_DRIFT, "clean"), (NEVER_DRIFT, "concept")])
def test_a_monitor_that_always_or_never_retrains_fails(stage6, source, wrong):
    outcome = gate("retrain-decision")(stage6(source), {})
    assert not outcome.passed and outcome.measured == f"wrong on the {wrong} batch"
    assert "monitor.max_quality_drop" in outcome.detail


def test_a_report_in_the_wrong_shape_is_one_clear_line(stage6):
    with pytest.raises(ConfigError) as raised:
        gate("drift-detected")(stage6(WRONG_SHAPE), {})
    message = str(raised.value)
    assert message.startswith("the monitor (fake_team_") and "columns.age is wrong" in message
    assert "\n" not in message
