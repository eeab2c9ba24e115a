"""champion-beats-baseline (stage 4): the champion's score on the hidden holdout minus the baseline's.

The baseline is the dummy model of the champion's training (its run is tagged baseline=true),
loaded from MLflow. Both are scored on the same holdout rows with the metric train.metric names
(capstone.pipeline.scoring.metric_name), through scikit-learn's own scorer. Without the
CAPSTONE_HOLDOUT_SEED secret the holdout is public: the result says so.
"""

from capstone.checkpoints import evidence, runs
from capstone.checkpoints.registry import Outcome, gate, one_thread, threshold
from capstone.checkpoints.text import failure

BRIEF = "docs/stages/4-experiments.md"
ADVICE = dict(
    no_baseline=(
        "no baseline run (tag baseline=true) in the experiment",
        "Keep the dummy model in models/candidates.py (Candidate(..., baseline=True)): it is the bar "
        "every model must clear. Then run `make pipeline`.",
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
        "proves less than it will in the mentors' CI, where the CAPSTONE_HOLDOUT_SEED secret is set."
    ),
)


@gate("champion-beats-baseline")
@one_thread
def champion_beats_baseline(context, thresholds) -> Outcome:
    from sklearn.metrics import get_scorer

    minimum = threshold(thresholds, "min_margin", 0.25)
    expected = f"at least {minimum:.2f}"
    schema, holdout = context.schema, context.holdout
    frame = holdout.frame[holdout.frame[schema.target].notna()]
    X, y = evidence.model_input(context, frame), frame[schema.target].reset_index(drop=True)
    metric = evidence.metric(context)
    scorer = get_scorer(metric)

    baseline_run = runs.baseline_run_for_champion(context)
    if baseline_run is None:
        finding, advice = ADVICE["no_baseline"]
        return failure(finding, advice, BRIEF, expected)
    champion_score = float(scorer(context.champion_model, X, y))
    baseline_score = float(scorer(context.load_model(runs.logged_model_uri(context, baseline_run)), X, y))
    margin = champion_score - baseline_score
    public = "" if holdout.secret else ", holdout not secret"
    measured = (
        f"margin {margin:+.3f} {metric} (champion {champion_score:.3f}, baseline {baseline_score:.3f}; "
        f"{len(frame)} holdout rows{public})"
    )
    note = "" if holdout.secret else ADVICE["not_secret"].format(source=holdout.source)
    if margin >= minimum:
        return Outcome(True, measured, expected, note)
    lines = [
        ADVICE["too_small"].format(version=context.champion.version, margin=margin, metric=metric, minimum=minimum),
        "",
        ADVICE["improve"],
    ]
    if note:
        lines += ["", note]
    return Outcome(False, measured, expected, "\n".join(lines) + f"\n\nSee {BRIEF}.")
