"""suites-catch-defects (stage 2): the raw suite stops corrupted deliveries.

It must fail on each file of the defect battery. The battery (capstone/feed/battery.py,
`capstone data battery`) corrupts a fresh delivery one way per file: 20 % nulls in one column, 5 %
of a numeric column far out of range, 10 % of a text column a new category, a numeric column turned
to text, 10 % duplicated rows, and a dropped, renamed or reordered column, or no rows. Its `control`
file is the same sample unchanged: the suite must pass it (a suite that rejects everything catches
nothing).

Which files must be caught: a suite with params.yaml validate.mostly = m lets a share 1 - m of a
column's rows break an expectation (plus the catalogued defect rate of that column), so it cannot be
asked to notice a corruption of fewer rows than that. A file counts when its corrupted share of rows
is above 1 - m: with the default m = 0.99 that is every file (the smallest corruption is 5 %), so
min_caught_share = 1.0 means "every file". A mentor who lowers `mostly` to 0.9 makes the 5 % file
optional, and the report says so.
"""

import tempfile
from pathlib import Path

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import columns_of, corrupted_share, describe_corruption, describe_failures, read_back
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.text import detail_text

BRIEF = "docs/stages/2-validation.md"
BATTERY_ROWS = 2_000  # rows of each battery file (as the team's tests/data/test_suites.py)
ADVICE = dict(
    missed="The raw suite lets {count} corrupted file(s) through: add expectations to {where} (see {BRIEF}).",
    control=(
        "The raw suite also fails the unchanged control sample of a good delivery: {failures}. "
        "A suite must pass good data: relax these in {where}."
    ),
    item="- `{kind}`: {corruption}",
    try_it=("Try it: `capstone data battery --in data/raw/batch.csv --out data/battery`, then validate each file."),
    optional="Not required at mostly = {mostly}: {kinds}.",
    skipped="Not in the battery for this data: {reasons}.",
)


@gate("suites-catch-defects")
def suites_catch_defects(context, thresholds) -> Outcome:
    minimum = threshold(thresholds, "min_caught_share", 1.0)
    mostly = float((context.params.model_extra.get("validate") or {}).get("mostly", 0.99))
    files, skipped = battery(context)
    expectations = evidence.team_suites(context)["raw"]
    control = files.pop("control", None)
    control_report = evidence.run_suite(context, "raw", control[1]) if control is not None else None
    required = {kind: item for kind, item in files.items() if corrupted_share(*item) > 1 - mostly}
    missed = [kind for kind, (entry, frame) in required.items() if not suite_fails(context, expectations, frame, entry)]
    caught = len(required) - len(missed)
    share = caught / len(required) if required else 1.0
    measured = f"{caught} of {len(required)} corrupted files caught"
    if control_report is not None:
        measured += ", control " + ("passes" if control_report["success"] else "fails")
    rate = f"{(1 - mostly) * 100:.0f}%"
    expected = f"at least {minimum:.2f} of the files corrupted above {rate} of rows; control passes"
    optional = sorted(set(files) - set(required))
    note = ADVICE["optional"].format(mostly=mostly, kinds=", ".join(optional)) if optional else ""
    if skipped:
        reasons = "; ".join(f"`{entry['kind']}` ({entry['reason']})" for entry in skipped)
        note = " ".join(filter(None, [note, ADVICE["skipped"].format(reasons=reasons)]))
    control_ok = control_report is None or control_report["success"]
    if share >= minimum and control_ok:
        return Outcome(True, measured, expected, note)
    where = f"src/{context.package}/validation/suites.py"
    control_text = (
        "" if control_ok else ADVICE["control"].format(failures=describe_failures(control_report), where=where)
    )
    first = (
        ADVICE["missed"].format(count=len(missed), where=where, BRIEF=BRIEF)
        if missed
        else control_text.replace(" also ", " ", 1)
    )
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            first,
            [ADVICE["item"].format(kind=kind, corruption=describe_corruption(files[kind][0])) for kind in missed],
            control_text if missed else "",
            ADVICE["try_it"],
            note,
        ),
    )


def battery(context) -> tuple[dict[str, tuple[dict, object]], list[dict]]:
    """{kind: (manifest entry, frame read back from its file)} for a fresh delivery's battery, and the
    kinds the battery skipped for this data (kind, reason)."""
    import pandas as pd

    from capstone.feed import make_battery

    if evidence.custom(context):
        source = read_back(evidence.team_raw_frame(context))
    else:
        source = evidence.delivered_batch(context, index=2, rows=BATTERY_ROWS)[0]
    schema = context.schema
    protect = tuple(name for name in (schema.target, schema.id_column) if name)
    with tempfile.TemporaryDirectory(prefix="capstone-battery-") as folder:
        manifest = make_battery(source, folder, rows=BATTERY_ROWS, seed=0, protect=protect)
        files = {entry["kind"]: (entry, pd.read_csv(Path(folder) / entry["file"])) for entry in manifest["batches"]}
        return files, manifest["skipped"]


def suite_fails(context, expectations: list, frame, entry: dict) -> bool:
    """Whether the suite fails on `frame`, running the likeliest failures first.

    A suite fails when any one of its expectations fails, and each expectation is judged on its
    own. So the expectations on the corrupted column and on the table's shape run first; only if
    they all pass does the rest run. The answer is the same as one run of the whole suite, and a
    caught file costs a fraction of it.
    """
    # duplicated rows break no column but the id's uniqueness
    focus = entry.get("column") or context.schema.id_column
    first = [e for e in expectations if not columns_of(e) or focus in columns_of(e)]
    rest = [e for e in expectations if not any(e is chosen for chosen in first)]
    for part, name in ((first, "raw-first"), (rest, "raw-rest")):
        if part and not evidence.run_suite(context, name, frame, part)["success"]:
            return True
    return False
