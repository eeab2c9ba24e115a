"""`capstone check all` ends with a summary: a line per stage, then what to do for the first stage that fails."""

from types import SimpleNamespace

import capstone.cli as cli
from capstone.checkpoints.text import failure
from rich.console import Console


def gate(gate_id: str, passed: bool) -> SimpleNamespace:
    outcome = failure("the thing is missing", "Do the thing: `make thing`.", "docs/stages/6-operations.md")
    status, detail = ("passed", "") if passed else ("failed", outcome.detail)
    return SimpleNamespace(id=gate_id, blocking=True, status=status, detail=detail, measured="")


def result(number: int, key: str, *gates: SimpleNamespace) -> SimpleNamespace:
    passed = all(item.status == "passed" for item in gates)
    return SimpleNamespace(stage=number, key=key, passed=passed, own=list(gates), regressions=[])


def summary(monkeypatch, results) -> str:
    console = Console(width=80, record=True, force_terminal=False)
    monkeypatch.setattr(cli, "console", console)
    reports = [f"reports/checkpoint-{item.stage}.md" for item in results]
    cli._print_summary(results, reports, {item.stage: f"docs/stages/{item.stage}-{item.key}.md" for item in results})
    return console.export_text()


def test_the_last_stage_failing_says_what_to_do_and_not_that_later_stages_build_on_it(monkeypatch):
    shown = summary(monkeypatch, [result(5, "deployment", gate("a", True)), result(6, "operations", gate("b", False))])
    assert "✓ stage 5 deployment: passed  (reports/checkpoint-5.md)" in shown
    assert "✗ stage 6 operations: failed: b  (reports/checkpoint-6.md)" in shown
    assert "Fix stage 6 (docs/stages/6-operations.md):" in shown and "later stages" not in shown
    assert "  b: Do the thing: `make thing`." in shown  # the advice, not the finding


def test_an_earlier_failing_stage_comes_first(monkeypatch):
    shown = summary(monkeypatch, [result(1, "data", gate("a", False)), result(2, "validation", gate("c", False))])
    assert "Fix stage 1 first: the later stages build on it (docs/stages/1-data.md):" in shown
    assert "  a: Do the thing" in shown and "  c: " not in shown  # one stage's advice: one screen


def test_all_passed_needs_no_advice(monkeypatch):
    shown = summary(monkeypatch, [result(1, "data", gate("a", True))])
    assert "Fix" not in shown


def test_long_advice_is_wrapped_to_the_width_and_a_long_list_is_cut_with_a_pointer_to_the_report():
    from capstone.checkpoints.advice import wrapped

    items = "\n".join(
        f"- `column_{n}`: 0.00 fixed; one spelling per category: strip, case-fold, map synonyms" for n in range(7)
    )
    paragraph = "Your contract tests still pass when the service breaks these promises; add a test for each:\n" + items
    lines = wrapped("✗ contract-tests: ", paragraph, 80, "reports/checkpoint-5.md")
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith("✗ contract-tests: Your contract tests") and lines[1].startswith("    ")
    shown = [line for line in lines if line.startswith("    - ")]
    assert [line.split("`")[1] for line in shown] == ["column_0", "column_1", "column_2"]
    assert lines[-1] == "    (4 more in reports/checkpoint-5.md)"


def test_a_line_that_announces_a_list_shown_elsewhere_points_at_the_report():
    from capstone.checkpoints.advice import wrapped

    lines = wrapped("✗ contract-tests: ", "Add a test for each of these promises:", 80, "reports/checkpoint-5.md")
    assert " ".join(" ".join(lines).split()).endswith("promises: see reports/checkpoint-5.md")
