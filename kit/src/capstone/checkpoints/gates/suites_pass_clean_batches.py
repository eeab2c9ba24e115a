"""suites-pass-clean-batches (stage 2): both suites pass good deliveries the team has not seen.

No false alarms. The raw suite runs on each delivery, the clean suite on the team's cleaning of it:
- the team's batch with another seed (new customers, the same catalogued defects);
- the next `later_batches` batches, which bring the feed's legitimate drift (a new category,
  a price rise). From batch 3 on the feed also has incidents (a unit or a date format that
  switched); those are undone here with the answer key, because a good suite stops them.
A custom CSV has no feed: its deliveries are two random 70 % samples of the team's own file.

Speed: each suite run costs 0.3-1 s whatever the number of rows (GX's overhead is per expectation).
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import describe_failures, read_back, without_incidents
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.text import detail_text

BRIEF = "docs/stages/2-validation.md"
LATER_ROWS = 5_000  # rows of each later delivery: enough for the suites' `mostly` to mean something
# Drift a good suite lets through: the business changed (a new product, higher prices). The feed's
# other drift kinds are incidents a suite should stop (a unit or a date format switched under the
# same column name, capstone/feed/README.md "Drift"), so they are undone before validating.
LEGITIMATE_DRIFT = ("new_category", "distribution_shift")
EXPECTED = "every run passes"
ADVICE = dict(
    first="The {suite} suite rejects a good delivery ({label}): relax the expectations below in {where}.",
    item="- {suite} suite, {label}: {failures}",
    why=(
        "Good data changes over time (new categories, prices that rise): write business rules, not "
        f"this batch's minimum and maximum (see {BRIEF}; capstone/feed/README.md lists the drift)."
    ),
    # A custom CSV has no feed and no drift: its good deliveries are samples of the team's own file.
    why_custom=(
        "Each good delivery is a random 70 % sample of your own file: its rows are your rows, so a rule "
        "that rejects it pins this one file (its exact row count, a mean or a share measured on it, a set "
        "of values every sample must show) instead of saying what a good row is. Write rules any good file "
        "of this kind meets: ranges and categories from what the columns mean, a row count with room, "
        f"`mostly` for the rare exception (see {BRIEF})."
    ),
)


@gate("suites-pass-clean-batches")
def suites_pass_clean_batches(context, thresholds) -> Outcome:
    later = int(threshold(thresholds, "later_batches", 2))
    failures, runs = [], 0
    for label, raw in good_deliveries(context, later):
        for name, frame in (("raw", raw), ("clean", evidence.cleaned(context, raw))):
            report = evidence.run_suite(context, name, frame)
            runs += 1
            if not report["success"]:
                failures.append((name, label, report))
    measured = f"{runs - len(failures)} of {runs} suite runs pass"
    if not failures:
        return Outcome(True, measured, EXPECTED)
    where = f"src/{context.package}/validation/suites.py"
    name, label, _ = failures[0]
    return Outcome(
        False,
        measured,
        EXPECTED,
        detail_text(
            ADVICE["first"].format(suite=name, label=label, where=where),
            [
                ADVICE["item"].format(suite=name, label=label, failures=describe_failures(report))
                for name, label, report in failures
            ],
            ADVICE["why_custom"] if evidence.custom(context) else ADVICE["why"],
        ),
    )


def good_deliveries(context, later: int) -> list[tuple[str, object]]:
    """(label, raw frame) of the good deliveries the suites must pass."""
    if evidence.custom(context):
        frame = read_back(evidence.team_raw_frame(context))
        return [
            (f"a 70 % sample of your data (seed {seed})", frame.sample(frac=0.7, random_state=seed).sort_index())
            for seed in (1, 2)
        ]
    batch = evidence.feed_batch(context)
    raw, key = evidence.delivered_batch(context, index=0)
    deliveries = [(f"batch {batch}, seed {key['seed']}", raw)]
    for later_batch in range(batch + 1, batch + 1 + later):
        frame, key = evidence.delivered_batch(context, index=1, batch=later_batch, rows=LATER_ROWS)
        frame = without_incidents(frame, key)
        drift = ", ".join(
            f"{event['kind']} of {event['column']}" for event in key["drift"] if event["kind"] in LEGITIMATE_DRIFT
        )
        deliveries.append((f"batch {later_batch}, seed {key['seed']}" + (f", with {drift}" if drift else ""), frame))
    return deliveries
