"""The gates of stage 2 (validation): the team's Great Expectations suites cover, pass and catch.

suites-cover-columns        the raw and the clean suite each have an expectation on every column.
suites-pass-clean-batches   both suites pass fresh good deliveries: another seed, and later batches
                            with the feed's legitimate drift.
suites-catch-defects        the raw suite fails on every corrupted file of the defect battery, and
                            passes its unchanged control file.

Which suites: the ones the code builds, `validation.suites.raw_expectations/clean_expectations`,
called as validate.py calls them. The pipeline runs exactly those: validate.py rewrites the
saved suites in gx/expectations/ from the code on every run, so a JSON file there can only be
an older copy of them. Every validation runs through the team's `validation.validate.run_suite`
(what the pipeline and tests/data/test_suites.py run) in an in-memory GX context: nothing is
written to gx/.

Speed: importing GX costs 7-10 s, once per `capstone check`; each suite run costs 0.3-1 s whatever
the number of rows (GX's overhead is per expectation), so the gates count runs, not rows.
"""

import tempfile
import warnings
from pathlib import Path

from capstone.checkpoints.data import (
    cleaned,
    delivered_batch,
    detail_text,
    feed_batch,
    read_back,
    team_raw_frame,
)
from capstone.checkpoints.gates import Outcome, gate, threshold

BRIEF = "docs/stages/2-validation.md"
SUITES = ("raw", "clean")
LATER_ROWS = 5_000  # rows of each later delivery: enough for the suites' `mostly` to mean something
BATTERY_ROWS = 2_000  # rows of each battery file (as tests/data/test_suites.py)
# Drift a good suite lets through: the business changed (a new product, higher prices). The feed's
# other drift kinds are incidents a suite should stop (a unit or a date format switched under the
# same column name, capstone/feed/README.md "Drift"), so they are undone before the later batches
# are validated here.
LEGITIMATE_DRIFT = ("new_category", "distribution_shift")
# Expectations that name one or two columns and check their values. An expectation over a list of
# columns (one can list them all) or over the table's shape says nothing about a column's values.
COLUMN_KEYS = ("column", "column_A", "column_B")
NOT_COVERAGE = ("expect_column_to_exist",)  # names a column, checks only that it is there


# --- suites-cover-columns ----------------------------------------------------------------------


@gate("suites-cover-columns")
def suites_cover_columns(context, thresholds) -> Outcome:
    """Every column of the data has at least one expectation about its values, in both suites.

    Covered means a column-level expectation names the column (type, range, set, nulls, regex,
    ...). Table-level expectations (the column list, the row count) and expectations over a list
    of columns do not count: a single ExpectTableColumnsToMatchSet names every column and checks
    none of their values. ExpectColumnToExist does not count either, for the same reason.
    Measured: covered/total columns per suite; both must be complete.
    """
    suites = team_suites(context)
    columns = dict(
        raw=list(suite_input(context, "raw").columns), clean=list(suite_input(context, "clean").columns)
    )
    missing = {
        name: [column for column in columns[name] if column not in covered_columns(suites[name])]
        for name in SUITES
    }
    measured = ", ".join(
        f"{name} {len(columns[name]) - len(missing[name])}/{len(columns[name])}" for name in SUITES
    )
    expected = "every column in both suites"
    if not any(missing.values()):
        return Outcome(True, measured + " columns covered", expected)
    where = f"src/{context.params.project.package}/validation/suites.py"
    items = [
        f"- `{name}_expectations` ({len(suites[name])} expectations) leaves out {len(missing[name])}: "
        + listing(missing[name])
        for name in SUITES
        if missing[name]
    ]
    return Outcome(
        False,
        measured + " columns covered",
        expected,
        detail_text(
            f"Columns without an expectation on their values: add them to {where} (see {BRIEF}).",
            items,
            "A table-level expectation (the column list, the row count) does not cover a column: "
            "give each column a type, range, set or null check.",
        ),
    )


def listing(names: list[str], shown: int = 8) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(f"`{name}`" for name in names[:shown]) + more


def covered_columns(expectations: list) -> set[str]:
    """The columns that at least one column-level expectation checks the values of."""
    covered = set()
    for expectation in expectations:
        if expectation_type(expectation) in NOT_COVERAGE:
            continue
        for key in COLUMN_KEYS:
            name = getattr(expectation, key, None)
            if isinstance(name, str):
                covered.add(name)
    return covered


def expectation_type(expectation) -> str:
    return getattr(expectation, "expectation_type", None) or type(expectation).__name__


# --- suites-pass-clean-batches -----------------------------------------------------------------


@gate("suites-pass-clean-batches")
def suites_pass_clean_batches(context, thresholds) -> Outcome:
    """Both suites pass good deliveries the team has not seen: no false alarms.

    The raw suite runs on each delivery, the clean suite on the team's cleaning of it:
    - the team's batch with another seed (new customers, the same catalogued defects);
    - the next `later_batches` batches, which bring the feed's legitimate drift (a new category,
      a price rise). From batch 3 on the feed also has incidents (a unit or a date format that
      switched); those are undone here with the answer key, because a good suite stops them.
    A custom CSV has no feed: its deliveries are two random 70 % samples of the team's own file.
    """
    later = int(threshold(thresholds, "later_batches", 2))
    failures, runs = [], 0
    for label, raw in good_deliveries(context, later):
        for name, frame in (("raw", raw), ("clean", cleaned(context, raw))):
            report = run(context, name, frame)
            runs += 1
            if not report["success"]:
                failures.append((name, label, report))
    measured = f"{runs - len(failures)} of {runs} suite runs pass"
    expected = "every run passes"
    if not failures:
        return Outcome(True, measured, expected)
    where = f"src/{context.params.project.package}/validation/suites.py"
    name, label, _ = failures[0]
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            f"The {name} suite rejects a good delivery ({label}): relax the expectations below in {where}.",
            [f"- {name} suite, {label}: {describe_failures(report)}" for name, label, report in failures],
            "Good data changes over time (new categories, prices that rise): write business rules, not "
            f"this batch's minimum and maximum (see {BRIEF}; capstone/feed/README.md lists the drift).",
        ),
    )


def good_deliveries(context, later: int) -> list[tuple[str, object]]:
    """(label, raw frame) of the good deliveries the suites must pass."""
    if context.params.data.dataset == "custom_csv":
        frame = read_back(team_raw_frame(context))
        return [
            (
                f"a 70 % sample of your data (seed {seed})",
                frame.sample(frac=0.7, random_state=seed).sort_index(),
            )
            for seed in (1, 2)
        ]
    batch = feed_batch(context)
    raw, key = delivered_batch(context, index=0)
    deliveries = [(f"batch {batch}, seed {key['seed']}", raw)]
    for later_batch in range(batch + 1, batch + 1 + later):
        frame, key = delivered_batch(context, index=1, batch=later_batch, rows=LATER_ROWS)
        frame = without_incidents(frame, key)
        drift = ", ".join(
            f"{event['kind']} of {event['column']}"
            for event in key["drift"]
            if event["kind"] in LEGITIMATE_DRIFT
        )
        deliveries.append(
            (f"batch {later_batch}, seed {key['seed']}" + (f", with {drift}" if drift else ""), frame)
        )
    return deliveries


def without_incidents(frame, key: dict):
    """The delivery with the drift that is not legitimate undone (a unit or a date format switch)."""
    import pandas as pd

    frame = frame.copy()
    for event in key["drift"]:
        column, params = event["column"], event["params"]
        if event["kind"] == "unit_change":
            frame[column] = (frame[column] / float(params["multiply_by"])).round(3)
        elif event["kind"] == "format_change":
            parsed = pd.to_datetime(frame[column], format=params["format"], errors="coerce")
            frame[column] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), frame[column])
    return frame


def describe_failures(report: dict, shown: int = 4) -> str:
    """The failed expectations of a run_suite report, in one line."""
    parts = []
    for failure in report["failed"][:shown]:
        column = failure["column"] if isinstance(failure["column"], str) else "the table"
        count = failure.get("unexpected_count")
        examples = failure.get("examples") or []
        counted = f"{count} unexpected" if count is not None else "failed"
        parts.append(f"`{failure['expectation']}` on `{column}` ({counted}, e.g. {examples[:3]})")
    more = len(report["failed"]) - shown
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


# --- suites-catch-defects ----------------------------------------------------------------------


@gate("suites-catch-defects")
def suites_catch_defects(context, thresholds) -> Outcome:
    """The raw suite stops corrupted deliveries: it fails on each file of the defect battery.

    The battery (capstone/feed/battery.py, `capstone data battery`) corrupts a fresh delivery one
    way per file: 20 % nulls in one column, 5 % of a numeric column far out of range, 10 % of a
    text column a new category, a numeric column turned to text, 10 % duplicated rows, and a
    dropped, renamed or reordered column, or no rows. Its `control` file is the same sample
    unchanged: the suite must pass it (a suite that rejects everything catches nothing).

    Which files must be caught: a suite with params.yaml validate.mostly = m lets a share 1 - m of
    a column's rows break an expectation (plus the catalogued defect rate of that column), so it
    cannot be asked to notice a corruption of fewer rows than that. A file counts when its
    corrupted share of rows is above 1 - m: with the default m = 0.99 that is every file (the
    smallest corruption is 5 %), so min_caught_share = 1.0 means "every file". A mentor who lowers
    `mostly` to 0.9 makes the 5 % file optional, and the report says so.
    """
    minimum = threshold(thresholds, "min_caught_share", 1.0)
    mostly = float((context.params.model_extra.get("validate") or {}).get("mostly", 0.99))
    files = battery(context)
    expectations = team_suites(context)["raw"]
    control = files.pop("control", None)
    control_report = run(context, "raw", control[1]) if control is not None else None
    required = {kind: item for kind, item in files.items() if corrupted_share(*item) > 1 - mostly}
    missed = [
        kind
        for kind, (entry, frame) in required.items()
        if not suite_fails(context, expectations, frame, entry)
    ]
    caught = len(required) - len(missed)
    share = caught / len(required) if required else 1.0
    measured = f"{caught} of {len(required)} corrupted files caught"
    if control_report is not None:
        measured += ", control " + ("passes" if control_report["success"] else "fails")
    rate = f"{(1 - mostly) * 100:.0f}%"
    expected = f"at least {minimum:.2f} of the files corrupted above {rate} of rows; control passes"
    optional = sorted(set(files) - set(required))
    note = f"Not required at mostly = {mostly}: {', '.join(optional)}." if optional else ""
    control_ok = control_report is None or control_report["success"]
    if share >= minimum and control_ok:
        return Outcome(True, measured, expected, note)
    where = f"src/{context.params.project.package}/validation/suites.py"
    control_text = (
        ""
        if control_ok
        else "The raw suite also fails the unchanged control sample of a good delivery: "
        f"{describe_failures(control_report)}. A suite must pass good data: relax these in {where}."
    )
    first = (
        f"The raw suite lets {len(missed)} corrupted file(s) through: "
        f"add expectations to {where} (see {BRIEF})."
        if missed
        else control_text.replace(" also ", " ", 1)
    )
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            first,
            [f"- `{kind}`: {describe_corruption(files[kind][0])}" for kind in missed],
            control_text if missed else "",
            "Try it: `capstone data battery --in data/raw/batch.csv --out data/battery`, "
            "then validate each file.",
            note,
        ),
    )


def battery(context) -> dict[str, tuple[dict, object]]:
    """{kind: (manifest entry, frame read back from its file)} for a fresh delivery's battery."""
    from capstone.feed import make_battery

    if context.params.data.dataset == "custom_csv":
        source = read_back(team_raw_frame(context))
    else:
        source = delivered_batch(context, index=2, rows=BATTERY_ROWS)[0]
    schema = context.schema
    protect = tuple(name for name in (schema.target, schema.id_column) if name)
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="capstone-battery-") as folder:
        manifest = make_battery(source, folder, rows=BATTERY_ROWS, seed=0, protect=protect)
        return {
            entry["kind"]: (entry, pd.read_csv(Path(folder) / entry["file"])) for entry in manifest["batches"]
        }


def corrupted_share(entry: dict, frame) -> float:
    """The share of the file's rows the corruption touches; 1.0 when it is the whole column or table."""
    rows = entry.get("rows")
    if rows is None or len(frame) == 0:
        return 1.0
    return len(rows) / len(frame)


def describe_corruption(entry: dict) -> str:
    column = f" (column `{entry['column']}`)" if entry.get("column") else ""
    return f"{entry['description']}{column}"


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
        if part and not run(context, name, frame, part)["success"]:
            return True
    return False


def columns_of(expectation) -> set[str]:
    return {
        getattr(expectation, key) for key in COLUMN_KEYS if isinstance(getattr(expectation, key, None), str)
    }


# --- running the team's suites -----------------------------------------------------------------


def team_suites(context) -> dict[str, list]:
    """{"raw": [...], "clean": [...]}: what the team's suites.py builds, called as validate.py calls it."""
    cache = _memo(context)
    if "suites" not in cache:
        suites = context.team("validation.suites")
        profile = custom_profile(context) if context.params.data.dataset == "custom_csv" else None
        cache["suites"] = dict(
            raw=list(suites.raw_expectations(context.schema, context.params, profile=profile) or []),
            clean=list(suites.clean_expectations(context.schema, context.params, profile=profile) or []),
        )
    return cache["suites"]


def custom_profile(context) -> dict:
    """A custom CSV's frozen profile (gx/custom_csv_profile.json), else one made in memory (not written)."""
    import json

    path = context.root / "gx" / "custom_csv_profile.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    schema = context.schema
    return context.team("validation.validate").custom_profile(
        read_back(team_raw_frame(context)), schema.target, schema.task
    )


def suite_input(context, name: str):
    """A frame like the one suite `name` validates in the pipeline: a fresh delivery, raw or cleaned."""
    if context.params.data.dataset == "custom_csv":
        raw = read_back(team_raw_frame(context))
    else:
        raw = delivered_batch(context, index=0)[0]
    return raw if name == "raw" else cleaned(context, raw)


def run(context, name: str, frame, expectations: list | None = None) -> dict:
    """The team's run_suite report for `frame` (suite "raw"/"clean" unless `expectations` are given)."""
    cache = _memo(context)
    if "gx" not in cache:
        import great_expectations as gx

        cache["gx"] = gx.get_context(mode="ephemeral")  # in memory: gx/ is never touched
    if expectations is None:
        expectations = team_suites(context)[name.split("-")[0]]
    run_suite = context.team("validation.validate").run_suite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX and pandas deprecation noise; a gate never prints
        return run_suite(cache["gx"], name, expectations, frame)


def _memo(context) -> dict:
    """A per-Context cache (the GX context and the suites are built once per `capstone check`)."""
    return vars(context).setdefault("_validation_gate_cache", {})
