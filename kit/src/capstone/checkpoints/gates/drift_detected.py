"""drift-detected (stage 6): the team's monitor finds the drift the answer key lists, and only that.

The monitor (hook `monitor`) compares the team's training rows with two fresh batches it has never
seen (capstone.checkpoints.drift_cases): a drifted one, whose answer key names the drifted columns
(new category, distribution shift, unit change, format change), and a clean one without drift.
- recall: the share of the drift events whose column the monitor flags;
- false alarms: the share of the column checks without drift (every column of the clean batch,
  the undrifted columns of the drifted batch) that the monitor flags anyway.
A monitor that always says "drift" fails on false alarms; one that never does, on recall. Drift on
the target itself (a price rise in the sale price) is left out: inputs cannot show it.
"""

from capstone.checkpoints import drift_cases
from capstone.checkpoints.registry import Outcome, gate, one_thread, threshold
from capstone.checkpoints.text import detail_text, names
from capstone.pipeline.monitor import assess, monitor_settings

BRIEF = "docs/stages/6-operations.md"
ADVICE = dict(
    missed="The monitor misses {count} of the {total} drift events: {events}.",
    alarms="The monitor flags {count} column check(s) without drift: {columns}.",
    fix=(
        "Judge every column with a test that fits its kind (numbers, categories, dates), count values "
        "never seen in training, and flag a change only when it is large enough to matter (with thousands "
        "of rows every tiny gap is significant): src/{package}/monitoring/monitor.py. "
        "Try it: `make monitor` with monitor.batch set to a later delivery."
    ),
    brief=f"See {BRIEF} (drift-detected).",
)


@gate("drift-detected")
@one_thread
def drift_detected(context, thresholds) -> Outcome:
    min_recall = threshold(thresholds, "min_recall", 0.75)
    max_alarms = threshold(thresholds, "max_false_alarms", 0.1)
    expected = f"recall at least {min_recall:.2f}, false alarms at most {max_alarms:.2f}"
    reference, _ = drift_cases.reference(context)
    settings = monitor_settings(context.params)
    found = drift_cases.cases(context)
    columns = list(context.schema.feature_columns)
    missed, alarms, checks = [], [], 0
    events = found["drifted"].events
    for name in ("clean", "drifted"):
        case = found[name]
        report = assess(context.hooks, context.schema, settings, reference, case.X, None)
        flagged = set(report.drifted)
        missed += [f"{column} ({kind})" for column, kind in case.events.items() if column not in flagged]
        quiet = [column for column in columns if column not in case.events]
        checks += len(quiet)
        alarms += [f"{column} ({name} batch)" for column in quiet if column in flagged]
    recall = 1 - len(missed) / len(events) if events else 1.0
    alarm_rate = len(alarms) / checks if checks else 0.0
    caught = f"{len(events) - len(missed)} of {len(events)} events"
    measured = f"recall {recall:.2f} ({caught}), false alarms {alarm_rate:.2f}"
    values = dict(recall=round(recall, 4), false_alarms=round(alarm_rate, 4))
    if recall >= min_recall and alarm_rate <= max_alarms:
        return Outcome(True, measured, expected, values=values)
    lines = []
    if recall < min_recall:
        lines.append(ADVICE["missed"].format(count=len(missed), total=len(events), events=names(missed)))
    if alarm_rate > max_alarms:
        lines.append(ADVICE["alarms"].format(count=len(alarms), columns=names(alarms)))
    return Outcome(
        False,
        measured,
        expected,
        detail_text(" ".join(lines), [], ADVICE["fix"].format(package=context.package), ADVICE["brief"]),
        values,
    )
