"""champion-after-drift (stage 6): after retraining on a drifted delivery, the new champion beats the old one.

The old one is the version the champion replaced (its model version tag previous_champion, which
register sets when the alias moves). Both answer the same fresh rows of the team's current delivery
(data.feed.batch, an unseen seed, without the catalogued defects: the post-drift world), scored with
train.metric. A champion that never replaced another, or that is still trained on the first delivery,
has not been retrained.
"""

from capstone.checkpoints import drift_cases, evidence
from capstone.checkpoints.registry import Outcome, gate, one_thread, threshold
from capstone.checkpoints.text import failure
from capstone.operations import PREVIOUS, rolled_back_from
from capstone.pipeline.monitor import quality_of

BRIEF = "docs/stages/6-operations.md"
ADVICE = dict(
    first=(
        "the team still works on delivery 1 (data.feed.batch), before any drift",
        "Retrain on a drifted delivery: `make retrain BATCH=2` (it sets data.feed.batch and runs the pipeline; "
        "the champion moves only when the new model is better).",
    ),
    never=(
        "the champion (version {version}) replaced no earlier champion: no retraining has promoted a model yet",
        "Retrain on the drifted delivery (`make retrain BATCH={batch}`); if register keeps the old champion, "
        "improve the model until it wins on the new data.",
    ),
    rolled=(
        "the champion is version {version}, where a rollback left it; the retrained version {later} is not serving",
        "Go forward again with `make rollback UNDO=1` (or retrain on a newer delivery), then check again.",
    ),
    worse=(
        "on delivery {batch}'s rows the new champion (version {version}) scores {new:.3f} {metric}, the old one "
        "(version {old}) {previous:.3f}",
        "The retrained model must do better on the data after the drift than the model it replaced: check that it "
        "was trained on the new delivery and that register compared them on the same rows.",
    ),
)


@gate("champion-after-drift")
@one_thread
def champion_after_drift(context, thresholds) -> Outcome:
    minimum = threshold(thresholds, "min_gain", 0.0)
    expected = f"the new champion ahead of the old by more than {minimum:.2f} on post-drift rows"
    batch = evidence.feed_batch(context)
    if batch < 2:
        return failure(*ADVICE["first"], BRIEF, expected)
    champion = context.champion
    earlier = champion.tags.get(PREVIOUS)
    name = context.params.mlflow.registered_model
    if not earlier:
        later = rolled_back_from(context.mlflow, name, champion.version)
        finding, advice = ADVICE["rolled" if later else "never"]
        text = finding.format(version=champion.version, later=later.version if later else None)
        return failure(text, advice.format(batch=batch), BRIEF, expected)
    frame, _ = drift_cases.delivery_rows(context, batch)
    X, y = evidence.model_input(context, frame), frame[context.schema.target]
    metric = evidence.metric(context)
    old = context.load_model(f"models:/{name}/{earlier}")
    scored = quality_of(context.champion_model, context.schema, metric, (X, y), (X, y))
    previous = quality_of(old, context.schema, metric, (X, y), (X, y))
    gain = scored.current - previous.current
    measured = f"{scored.current:.3f} against {previous.current:.3f} {metric} (version {champion.version} vs {earlier})"
    values = dict(champion=scored.current, previous=previous.current)
    if gain > minimum:
        return Outcome(True, measured, expected, values=values)
    finding, advice = ADVICE["worse"]
    text = finding.format(
        batch=batch, version=champion.version, new=scored.current, metric=metric, old=earlier, previous=previous.current
    )
    outcome = failure(text, advice, BRIEF, expected, measured)
    return Outcome(False, measured, expected, outcome.detail, values)
