"""no-leak-gap (stage 4): the champion's validation score is not far above its score on the hidden holdout.

A leak makes the validation split easy: the target, or something known only after it, reaches the
features. The holdout rows are new and raw (the team's cleaning never touched them), so a leaky
model scores there as it really would. The gap is the champion's score on data/split/valid.csv
(scored again here, not read from a logged metric) minus its score on the holdout, in train.metric.
Small splits score noisily: a gap within 1/sqrt(rows of the smaller of the two) above max_gap is
sampling noise, not a leak (about two standard errors of an AUC or an accuracy).

In the course's checkpoint the holdout is scored apart, as for champion-beats-baseline: the team's
process reports the validation score with the holdout answers, and a job without team code judges.
"""

from __future__ import annotations

import math
from pathlib import Path

from capstone.checkpoints import evidence
from capstone.checkpoints.gates.champion_beats_baseline import ADVICE as HOLDOUT_ADVICE
from capstone.checkpoints.holdout import Holdout, HoldoutProblem, check_columns
from capstone.checkpoints.registry import MentorsProblem, NotReady, Outcome, gate, one_thread, threshold

GATE_ID = "no-leak-gap"
BRIEF = "docs/stages/4-experiments.md"
VALID = Path("data/split/valid.csv")
ADVICE = dict(
    gap=(
        "The champion (version {version}) scores {valid:.3f} {metric} on the validation split but {held:.3f} on "
        "the holdout: a gap of {gap:+.3f}, more than the {maximum:.3f} allowed. Something the model sees in "
        "your splits is not there in new rows."
    ),
    where=(
        "Where leaks hide:\n"
        "- cleaning that reads the target, or a column known only after it (data/clean.py writing one "
        "column from another: the holdout's rows are raw, your cleaning never touches them);\n"
        "- features computed before the split (statistics of all rows, target encoding fit on everything);\n"
        "- duplicated rows that land in both train and valid (drop copies before splitting).\n"
        "Compare the champion's validation and test scores in MLflow (`make report`) and look at its "
        "most important features (the run's features.json)."
    ),
    no_valid=f"{VALID} is missing; run `make pipeline` (its split stage writes it)",
)


@gate(GATE_ID)
@one_thread
def no_leak_gap(context, thresholds) -> Outcome:
    """One process: the champion answers the holdout and the validation split, and the gap is judged."""
    from capstone.grading import outputs

    metric = evidence.metric(context)
    valid, valid_rows = validation_score(context, metric)
    try:
        holdout = context.holdout
        frame = holdout.labelled()
    except HoldoutProblem as problem:
        raise MentorsProblem(HOLDOUT_ADVICE["mentors"].format(problem=problem)) from None
    if context.params.data.dataset == "custom_csv":
        check_columns(frame.columns, context.schema.feature_columns)
    answered = outputs.capture(context.champion_model, evidence.model_input(context, frame))
    held = outputs.score(metric, answered, frame[holdout.target])
    rows = (valid_rows, len(frame))
    return judge_gap(valid, held, metric, rows, holdout, context.champion.version, thresholds)


def validation_score(context, metric: str) -> tuple[float, int]:
    """The champion's score on the validation split, in `metric` (scored here, not read from MLflow), and its rows."""
    from capstone.pipeline.scoring import score
    from capstone.pipeline.splits import read_split

    if not (context.root / VALID).is_file():
        raise NotReady(ADVICE["no_valid"])
    X, y = read_split("valid", context.schema, context.root / VALID.parent)
    return score(context.champion_model, X, y, metric), len(y)


def judge_gap(valid: float, held: float, metric: str, rows: tuple[int, int], holdout: Holdout, version, thresholds):
    """The verdict: validation minus holdout against max_gap (capstone.yaml) plus the noise of `rows`
    (validation rows, holdout rows)."""
    maximum = threshold(thresholds, "max_gap", 0.05)
    noise = 1 / math.sqrt(max(1, min(rows)))
    gap = valid - held
    public = ", holdout not secret" if not holdout.secret else ""
    measured = (
        f"gap {gap:+.3f} {metric} (validation {valid:.3f} on {rows[0]} rows, holdout {held:.3f} on {rows[1]} "
        f"rows{public})"
    )
    expected = f"at most {maximum:.2f} (+{noise:.3f} for the rows' noise)"
    values = {"metric": metric, "validation": valid, "holdout": held, "gap": gap, "allowed": maximum + noise}
    note = "" if holdout.secret else HOLDOUT_ADVICE["not_secret"].format(source=holdout.source)
    if gap <= maximum + noise:
        return Outcome(True, measured, expected, note, values)
    finding = ADVICE["gap"].format(
        version=version, valid=valid, metric=metric, held=held, gap=gap, maximum=maximum + noise
    )
    lines = [finding, "", ADVICE["where"], *(["", note] if note else []), "", f"See {BRIEF}."]
    return Outcome(False, measured, expected, "\n".join(lines), values)
