"""retrain-decision (stage 6): the team's monitor retrains when the model got worse, and only then.

Two labelled batches the monitor has never seen (capstone.checkpoints.drift_cases), each with the
champion's quality on them (capstone.monitoring.Quality: its score on the team's test split, and on
these rows):
- concept: the relation between some features and the target changed, while the inputs look the
  same (the answer key's concept drift): the right decision is to retrain;
- clean: the first delivery again, other customers: the right decision is not to retrain.
A monitor that always retrains fails the clean batch; one that never does, the concept batch.
"""

from capstone.checkpoints import drift_cases, evidence
from capstone.checkpoints.registry import NotReady, Outcome, gate, one_thread
from capstone.checkpoints.text import detail_text
from capstone.pipeline.monitor import assess, monitor_settings, quality_of

BRIEF = "docs/stages/6-operations.md"
EXPECTED = "retrain on the concept-drift batch, not on the clean one"
ADVICE = dict(
    wrong="The monitor decides wrongly on {cases}.",
    case="- {name} batch: {metric} {trained:.3f} -> {current:.3f}; it said {said}: {why}",
    fix=(
        "Decide from the model's quality on newly labelled rows (the `quality` argument: its drop), "
        "not from input drift alone, with the threshold in params.yaml (monitor.max_quality_drop): "
        "src/{package}/monitoring/monitor.py."
    ),
    brief=f"See {BRIEF} (retrain-decision).",
    no_concept="the feed of this dataset has no concept drift to grade the decision on",
)


@gate("retrain-decision")
@one_thread
def retrain_decision(context, thresholds) -> Outcome:
    reference, _ = drift_cases.reference(context)
    settings = monitor_settings(context.params)
    found = drift_cases.cases(context)
    if "concept" not in found:
        raise NotReady(ADVICE["no_concept"])
    model = context.champion_model
    metric = evidence.metric(context)
    trained = drift_cases.split(context, "test")  # the score at training, as the monitor stage measures it
    wrong, lines = [], []
    for name, wanted in (("concept", True), ("clean", False)):
        case = found[name]
        quality = quality_of(model, context.schema, metric, trained, (case.X, case.y))
        report = assess(context.hooks, context.schema, settings, reference, case.X, quality)
        said = "retrain" if report.retrain else "no retraining"
        line = ADVICE["case"].format(
            name=name, metric=metric, trained=quality.trained, current=quality.current, said=said, why=report.why
        )
        lines.append(line)
        if report.retrain != wanted:
            wrong.append(name)
    measured = "right on both batches" if not wrong else f"wrong on the {' and '.join(wrong)} batch"
    if not wrong:
        return Outcome(True, measured, EXPECTED, "\n".join(lines))
    return Outcome(
        False,
        measured,
        EXPECTED,
        detail_text(
            ADVICE["wrong"].format(cases=" and ".join(f"the {name} batch" for name in wrong)),
            lines,
            ADVICE["fix"].format(package=context.package),
            ADVICE["brief"],
        ),
    )
