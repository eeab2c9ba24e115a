"""champion-beats-baseline (stage 4): the champion's score on the hidden holdout minus the baseline's.

The baseline is the dummy model of the champion's training (its run is tagged baseline=true),
loaded from MLflow. Both answer the same holdout rows; the answers are scored with the metric
train.metric names (capstone.pipeline.scoring.metric_name), through scikit-learn's own scorer.

The measuring and the judging are apart (`answers` and `judge`): in the course's checkpoint the
team's models answer in a job without the holdout's labels, and a job without team code judges
(capstone.grading). `capstone check 4` does both in one process. Without the CAPSTONE_HOLDOUT_SEED
secret the holdout is public: the result says so. A mentors' holdout file that cannot be used is the
mentors' problem: the gate is then left to a mentor, not failed.
"""

from __future__ import annotations

from capstone.checkpoints import evidence, runs
from capstone.checkpoints.holdout import Holdout, HoldoutProblem, check_columns
from capstone.checkpoints.registry import MentorsProblem, NotReady, Outcome, gate, one_thread, threshold

GATE_ID = "champion-beats-baseline"
BRIEF = "docs/stages/4-experiments.md"
ADVICE = dict(
    no_baseline=(
        "No baseline run (tag baseline=true) in the experiment.\n\n"
        "Keep the dummy model in models/candidates.py (Candidate(..., baseline=True)): it is the bar "
        "every model must clear. Then run `make pipeline`."
    ),
    too_small=(
        "The champion (version {version}) beats the baseline by {margin:+.3f} {metric} on the holdout; "
        "at least {minimum:.2f} is needed."
    ),
    improve=(
        "Improve the features (docs/stages/3-features.md: encode every column, add durations) and the "
        "model families and their search spaces in models/candidates.py, then run `make pipeline`. A model "
        "that only looks good on the validation split will not pass here: the holdout rows are new."
    ),
    not_secret=(
        "**The holdout is not secret:** {source}. The team can generate these rows, so this score "
        "proves less than it does in the course's checkpoint, where the mentors' secret is set."
    ),
    mentors=(
        "{problem}.\n\nThis is for the mentors to fix (the team's gate is not failed for it): correct the "
        "holdout file, then re-run the checkpoint."
    ),
)


@gate(GATE_ID)
@one_thread
def champion_beats_baseline(context, thresholds) -> Outcome:
    """One process: the models answer the holdout, then the answers are judged."""
    from capstone.grading import outputs

    try:
        holdout = context.holdout
        answered = answers(context, holdout.labelled())
    except HoldoutProblem as problem:
        raise MentorsProblem(ADVICE["mentors"].format(problem=problem)) from None
    if answered is None:
        raise NotReady(ADVICE["no_baseline"])
    y = holdout.labelled()[holdout.target]
    metric = evidence.metric(context)
    scores = {model: outputs.score(metric, answered[model], y) for model in outputs.MODELS}
    return judge(scores, metric, len(y), holdout, context.champion.version, thresholds)


def answers(context, frame) -> dict | None:
    """What the champion and its baseline answer for the holdout rows `frame` (None: no baseline run)."""
    from capstone.grading import outputs

    if context.params.data.dataset == "custom_csv":  # the mentors' file must have the team's columns
        check_columns(frame.columns, context.schema.feature_columns)
    baseline_run = runs.baseline_run_for_champion(context)
    if baseline_run is None:
        return None
    X = evidence.model_input(context, frame)
    baseline = context.load_model(runs.logged_model_uri(context, baseline_run))
    return {"champion": outputs.capture(context.champion_model, X), "baseline": outputs.capture(baseline, X)}


def judge(scores: dict, metric: str, rows: int, holdout: Holdout, version, thresholds) -> Outcome:
    """The verdict from the two scores: the margin against min_margin (capstone.yaml)."""
    minimum = threshold(thresholds, "min_margin", 0.25)
    expected = f"at least {minimum:.2f}"
    margin = scores["champion"] - scores["baseline"]
    public = "" if holdout.secret else ", holdout not secret"
    measured = (
        f"margin {margin:+.3f} {metric} (champion {scores['champion']:.3f}, baseline {scores['baseline']:.3f}; "
        f"{rows} holdout rows{public})"
    )
    note = "" if holdout.secret else ADVICE["not_secret"].format(source=holdout.source)
    values = {"metric": metric, "champion": scores["champion"], "baseline": scores["baseline"], "margin": margin}
    if margin >= minimum:
        return Outcome(True, measured, expected, note, values)
    lines = [
        ADVICE["too_small"].format(version=version, margin=margin, metric=metric, minimum=minimum),
        "",
        ADVICE["improve"],
    ]
    if note:
        lines += ["", note]
    return Outcome(False, measured, expected, "\n".join(lines) + f"\n\nSee {BRIEF}.", values)
