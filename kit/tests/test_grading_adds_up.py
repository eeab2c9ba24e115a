"""Grading adds up: stage N's checkpoint runs the blocking automatic gates of stages 1..N-1 again.

A cheat that an earlier stage's gate catches (training on every split, caught by stage 3's
fit-on-train-only) must fail the later checkpoints too, shown as a regression in a section of its own.
"""

import pytest
from capstone.checkpoints.check import FAILED, run_stage
from capstone.checkpoints.registry import REGISTRY, Outcome, gate
from capstone.checkpoints.report import headline, to_markdown
from capstone.config import CapstoneSpec
from capstone.grading.grade import graded_gates
from kitdata import spec_document

CALLS: dict[str, int] = {}
FAILING: set[str] = set()


@pytest.fixture
def fake_gates():
    made = ["t-one", "t-advice", "t-two", "t-three"]
    for gate_id in made:

        def measure(context, thresholds, gate_id=gate_id) -> Outcome:
            CALLS[gate_id] = CALLS.get(gate_id, 0) + 1
            passed = gate_id not in FAILING
            return Outcome(passed, "fine" if passed else "broken", detail="" if passed else f"Fix {gate_id}.")

        gate(gate_id)(measure)
    CALLS.clear()
    FAILING.clear()
    yield
    for gate_id in made:
        REGISTRY.pop(gate_id)


def spec(extra: dict | None = None) -> CapstoneSpec:
    document = spec_document()
    auto = dict(check="a check", kind="auto", blocking=True)
    document["stages"][0]["gates"] += [dict(id="t-one", **auto), dict(auto, id="t-advice", blocking=False)]
    document["stages"][1]["gates"].append(dict(id="t-two", **auto))
    document["stages"][2]["gates"].append(dict(id="t-three", **auto))
    for number, gates in (extra or {}).items():
        document["stages"][number - 1]["gates"] += gates
    return CapstoneSpec.model_validate(document)


def test_a_stage_grades_its_own_gates_and_the_earlier_blocking_automatic_ones():
    graded = spec().graded(spec().stage(3))
    assert [(gate.id, owner.number) for gate, owner in graded] == [
        ("t-one", 1),
        ("t-two", 2),
        ("gate-3", 3),  # the stage's own mentor gate
        ("t-three", 3),
    ]  # not stage 1's mentor gate nor its advice


def test_an_earlier_gate_that_fails_now_is_a_regression_and_blocks(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    FAILING.add("t-one")
    result = run_stage(context, context.spec.stage(3))
    assert not result.passed
    assert [gate.id for gate in result.regressions] == ["t-one"] and result.regressions[0].stage == 1
    assert [gate.id for gate in result.own] == ["gate-3", "t-three"]
    assert headline(result).endswith("1 blocking gate failed (1 of earlier stages)")
    markdown = to_markdown(result, {})
    assert "### Earlier stages' gates that fail" in markdown
    assert "**`t-one`** (stage 1): broken. Blocking." in markdown and "Fix t-one." in markdown
    assert "### What to fix" not in markdown  # the stage's own gates pass


def test_earlier_gates_that_pass_are_one_line(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    markdown = to_markdown(run_stage(context, context.spec.stage(3)), {})
    assert "**Earlier stages:** the 2 blocking gates of stages 1-2 ran again: none fails." in markdown
    assert "gates that fail" not in markdown


def test_check_all_runs_each_gate_once(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    done = {}
    for number in (1, 2, 3):
        run_stage(context, context.spec.stage(number), done=done)
    assert CALLS == {"t-one": 1, "t-advice": 1, "t-two": 1, "t-three": 1}


def test_the_official_grader_leaves_an_earlier_holdout_gate_to_its_own_stage(fake_gates):
    holdout = dict(id="champion-beats-baseline", check="a check", kind="auto", blocking=True)
    course = spec({4: [holdout]})
    assert "champion-beats-baseline" in [gate.id for gate, _ in graded_gates(course, course.stage(4))]
    later = [gate.id for gate, _ in graded_gates(course, course.stage(5))]
    assert "champion-beats-baseline" not in later and "t-one" in later


def test_a_failed_earlier_gate_is_failed_not_mentor(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    FAILING.update({"t-one", "t-two"})
    result = run_stage(context, context.spec.stage(2))
    assert [(gate.id, gate.status) for gate in result.regressions] == [("t-one", FAILED)]
    assert [gate.id for gate in result.blocking_failures] == ["t-one", "t-two"]


def test_this_stage_only_skips_the_earlier_gates(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    FAILING.add("t-one")
    result = run_stage(context, context.spec.stage(3), earlier=False)
    assert result.passed and not result.earlier and "t-one" not in CALLS


def test_a_report_of_this_stage_only_says_the_earlier_gates_were_not_run(make_context, fake_gates):
    context = make_context()
    context.spec = spec()
    result = run_stage(context, context.spec.stage(3), earlier=False)
    assert "**This stage's gates only** (`ONLY=1`)" in to_markdown(result, {"this_stage_only": True})
    assert "This stage's gates only" not in to_markdown(result, {})
