"""The checkpoint report: reports/checkpoint-N.md (the PR report) and reports/checkpoint-N.json.

The Markdown is what the team and the mentor read in the pull request (job summary and the
sticky comment); the JSON carries the same results for scripts. Both are stable: the same results
give the same bytes, apart from the measured seconds.
"""

import json
from pathlib import Path

from capstone.checkpoints.check import FAILED, MENTOR, PASSED, GateResult, StageResult

REPORTS = Path("reports")
ICONS = {PASSED: "✅", FAILED: "❌", MENTOR: "👀"}
# The hidden marker lets the PR comment workflow find and update its own comment.
MARKER = "<!-- capstone-checkpoint -->"


def write_reports(result: StageResult, meta: dict, folder: Path = REPORTS) -> tuple[Path, Path]:
    """Write checkpoint-N.md and checkpoint-N.json; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / f"checkpoint-{result.stage}.md"
    data = folder / f"checkpoint-{result.stage}.json"
    markdown.write_text(to_markdown(result, meta), encoding="utf-8")
    data.write_text(json.dumps({**result.as_dict(), "meta": meta}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return markdown, data


WAITING = "waiting for the holdout's score"


def headline(result: StageResult) -> str:
    waiting = [gate for gate in result.gates if gate.measured == WAITING]
    if waiting and len(result.blocking_failures) == len(waiting):
        return f"⏳ Checkpoint {result.stage}: {result.title}: {WAITING} (a mentor approves the holdout jobs)"
    failures = len(result.blocking_failures)
    verdict = "passed" if result.passed else f"{failures} blocking gate{'s' if failures > 1 else ''} failed"
    if result.regressions:
        verdict += f" ({len(result.regressions)} of earlier stages)"
    return f"{ICONS[PASSED if result.passed else FAILED]} Checkpoint {result.stage}: {result.title}: {verdict}"


def to_markdown(result: StageResult, meta: dict) -> str:
    lines = [MARKER, f"## {headline(result)}", ""]
    if result.holdout_secret is False:
        lines += [
            "> [!WARNING]\n> **The holdout is not secret.** The mentors' holdout secret is not set here, "
            "so the champion was scored on rows the team can know. In the course's checkpoint the "
            "secret is set (the `holdout` environment); this score proves less.",
            "",
        ]
    if meta.get("kit_mismatch"):
        lines += [f"> [!WARNING]\n> **The team pins another kit.** {meta['kit_mismatch']}.", ""]
    if meta.get("broken"):
        lines += [f"> [!CAUTION]\n> **The team's code did not finish:** {meta['broken']}.", ""]
    if meta.get("this_stage_only"):
        lines += [
            "> [!NOTE]\n> **This stage's gates only** (`ONLY=1`): the earlier stages' blocking gates were not "
            "run. The pull request's checkpoint runs them too, and any that fails blocks this stage.",
            "",
        ]
    if meta.get("waiting_for"):
        lines += [f"> [!NOTE]\n> Not final: waiting for {meta['waiting_for']}.", ""]
    lines += TABLE_HEAD + [_row(gate) for gate in result.own]
    failed = [gate for gate in result.own if gate.status == FAILED and gate.measured != WAITING]
    if failed:
        lines += ["", "### What to fix", ""]
        for gate in failed:
            lines += _failure(gate)
    lines += _earlier(result)
    if result.mentor_checklist or any(gate.status == MENTOR for gate in result.own):
        lines += ["", "### For the mentor", ""]
        lines += [f"- [ ] {gate.check} (`{gate.id}`)" for gate in result.own if gate.status == MENTOR]
        lines += [f"- [ ] {item}" for item in result.mentor_checklist]
    if meta.get("contributions"):
        # Who did what, from git (capstone.contributions): set by `capstone check`, absent when git failed.
        lines += ["", "### Contributions", "", meta["contributions"].rstrip("\n")]
    lines += ["", _footer(result, meta), ""]
    return "\n".join(lines)


TABLE_HEAD = ["| | gate | measured | required | blocking |", "|---|---|---|---|---|"]


def _earlier(result: StageResult) -> list[str]:
    """Grading adds up: the earlier stages' blocking gates, run again; the failing ones are regressions."""
    if not result.earlier:
        return []
    stages = sorted({gate.stage for gate in result.earlier})
    span = f"stage {stages[0]}" if len(stages) == 1 else f"stages {stages[0]}-{stages[-1]}"
    if not result.regressions:
        return ["", f"**Earlier stages:** the {len(result.earlier)} blocking gates of {span} ran again: none fails."]
    lines = [
        "",
        "### Earlier stages' gates that fail",
        "",
        f"This checkpoint runs the blocking gates of {span} again (grading adds up): {len(result.regressions)} "
        f"of {len(result.earlier)} fail. They block this stage too.",
        "",
        *TABLE_HEAD,
        *[_row(gate) for gate in result.regressions],
        "",
    ]
    for gate in result.regressions:
        lines += _failure(gate, regression=True)
    return lines


def _row(gate: GateResult) -> str:
    cells = [
        ICONS[gate.status],
        f"`{gate.id}`<br>{gate.check}",
        gate.measured,
        gate.expected,
        "yes" if gate.blocking else "no",
    ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _failure(gate: GateResult, regression: bool = False) -> list[str]:
    against = f" (required: {gate.expected})" if gate.expected else ""
    return [
        f"**`{gate.id}`**{f' (stage {gate.stage})' if regression else ''}: {gate.measured}{against}. "
        f"{'Blocking.' if gate.blocking else 'Not blocking.'} "
        f"The brief explains it: `{gate.brief}`.",
        "",
        gate.detail or "",
        "",
    ]


def _footer(result: StageResult, meta: dict) -> str:
    facts = [f"{name} `{meta[name]}`" for name in ("commit", "dataset", "scaffold") if meta.get(name)]
    if meta.get("official"):
        # The course's checkpoint: say who graded it and how the team's code ran.
        facts.append(f"graded by {meta.get('grader') or 'capstone-kit ' + result.kit_version}")
        facts.append(f"checked in {result.seconds:.0f} s")
        said = ", ".join(facts) + "."
        if meta.get("team_code"):
            said += f" {meta['team_code'][0].upper()}{meta['team_code'][1:]}."
        return f"<sub>{said} Run it yourself: `make check STAGE={result.stage}`.</sub>"
    facts.append(f"capstone-kit `{result.kit_version}`")
    facts.append(f"checked in {result.seconds:.0f} s")
    return (
        "<sub>" + ", ".join(facts) + ". **Local and unofficial:** the checkpoint that counts is the one the "
        f"course's workflow runs on the pull request. Run it again: `make check STAGE={result.stage}`.</sub>"
    )


def _cell(text: str) -> str:
    # A table cell is one line; a pipe would end it early.
    return " ".join(str(text).split()).replace("|", "\\|")
