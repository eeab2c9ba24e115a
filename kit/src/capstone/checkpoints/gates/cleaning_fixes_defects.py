"""cleaning-fixes-defects (stage 1): the team's cleaning fixes the catalogued defects.

The team's `clean` hook runs on a fresh delivery from the feed (a seed the pipeline does not use,
the batch the team works on), read back as from CSV, as the clean stage reads it. The answer key
says, cell by cell, what each defect replaced; probes.fixed_shares compares. Measured: the worst
share among the graded defects (probes.GRADED), each one held to min_fixed_share. Dropping a record
is not fixing it: a defect on a dropped row that is not a duplicate copy counts as not fixed (else
dropping every odd-looking row would score perfectly).

For a custom CSV (no answer key): the share of the labelled rows the cleaning keeps, held to
min_rows_kept (dropping every row with a hole fails), and generic checks of the cleaned file.
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import GRADED, fixed_shares, lost_records, numbers_as_text, read_back
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.text import detail_text

BRIEF = "docs/stages/1-data.md"
WHERE = "src/{package}/data/clean.py"
# What a fix looks like, per kind (from the catalogue in capstone/feed/README.md).
HOW_TO_FIX = dict(
    exact_duplicate="drop the second copy of identical rows",
    near_duplicate="drop the re-typed copy (same record, other case or spacing, a rounded number)",
    id_collision="two different records share an id: keep both and give one a new id",
    category_variant="one spelling per category: strip, case-fold, map synonyms",
    unit_mixup="convert the rows of the source system that sends another unit",
    impossible_value="set to missing, or fix the sign if you can justify it",
    sentinel="a placeholder number for 'unknown': set it to missing",
    mixed_date_format="parse every date format the column has (all are day-first)",
    outlier="set to missing or cap",
)
# A custom CSV: what the generic checks of the cleaning demand (the gate's `expected`), and the text
# that stands for "no value" in a label (pandas already reads "", "NA", "null" ... as missing).
CUSTOM_CHECKS = (
    "no duplicate rows",
    "no missing target",
    "no placeholder label",
    "one spelling per category",
    "numbers parsed",
    "no column emptied",
)
PLACEHOLDERS = {"", ".", "?", "-", "na", "n/a", "nan", "none", "null", "missing", "unknown"}
ADVICE = dict(
    index_reset="`clean_frame` must keep the raw row positions as the index (do not reset_index).",
    rows_moved=(
        "the rows of `clean_frame`'s output do not match the raw rows at their index; "
        "keep the raw index (do not reset_index)."
    ),
    too_little=(
        "The cleaning fixes too little of {count} of {graded} catalogued defects: "
        f"improve `clean_frame` in {WHERE} (see {BRIEF})."
    ),
    item="- `{name}`: {share:.2f} fixed; {how}",
    measured_on=(
        "Measured on a fresh delivery ({rows:,} rows, seed {seed}, batch {batch}) "
        "against the feed's answer key (capstone/feed/README.md lists every defect)."
    ),
    ungraded="Also measured, not graded: {shares}.",
    lost="{lost} record(s) were dropped, not just a duplicate copy: say why in the PR.",
    # custom CSV
    too_few_rows=(
        "The cleaning of your CSV keeps too few rows: {kept}, at least {minimum:.2f} expected; "
        f"in `clean_frame` ({WHERE}) drop only exact copies and rows without a target, and leave missing "
        "feature values to the feature pipeline's imputer."
    ),
    custom_failed=(f"The cleaned data of your CSV fails {{count}} generic check(s): fix `clean_frame` in {WHERE}."),
    duplicates="{copies} duplicate row(s) remain: drop exact copies",
    target_gone="the target column `{target}` is gone: keep it",
    no_target="{count} row(s) have no target: drop them (nothing to learn from)",
    placeholder_label=(
        "{count} row(s) have a placeholder for a label ({values}): set it to missing, then drop those rows"
    ),
    spellings=(
        "column(s) with several spellings of one category: {columns}; keep one spelling (strip spaces, one case)"
    ),
    emptied="the cleaning emptied column(s) that had values: {columns}; keep their values (or drop the column)",
    numbers_as_text=(
        "column(s) of numbers are still text: {columns}; parse them (pd.to_numeric) and set unreadable cells to missing"
    ),
    brief=f"See {BRIEF}.",
)


@gate("cleaning-fixes-defects")
def cleaning_fixes_defects(context, thresholds) -> Outcome:
    if evidence.custom(context):
        return custom_cleaning(context, thresholds)
    minimum = threshold(thresholds, "min_fixed_share", 0.9)
    raw, key = evidence.delivered_batch(context)
    clean = evidence.cleaned(context, raw)
    problem = index_problem(raw, clean, key["id_column"])
    where = WHERE.format(package=context.package)
    if problem:
        return Outcome(
            False, "cannot be measured", f"at least {minimum:.2f} of each defect fixed", f"{where}: {problem}"
        )
    shares = fixed_shares(key, clean)
    graded = {name: share for name, share in shares.items() if name.split(":")[0] in GRADED}
    worst = min(graded, key=graded.get)
    measured = f"{graded[worst]:.2f} fixed of the worst-fixed defect ({worst})"
    expected = f"at least {minimum:.2f} of each of the {len(graded)} graded"
    too_low = {name: share for name, share in sorted(graded.items()) if share < minimum}
    notes = cleaning_notes(shares, graded, lost_records(key, raw, clean))
    if not too_low:
        return Outcome(True, measured, expected, notes)
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            ADVICE["too_little"].format(count=len(too_low), graded=len(graded), package=context.package),
            [
                ADVICE["item"].format(name=name, share=share, how=HOW_TO_FIX[name.split(":")[0]])
                for name, share in too_low.items()
            ],
            ADVICE["measured_on"].format(rows=len(raw), seed=key["seed"], batch=key["batch"]),
            notes,
        ),
    )


def index_problem(raw, clean, id_column: str | None) -> str | None:
    """Why clean's index cannot be the raw row positions (the measurement relies on it), or None."""
    if not clean.index.is_unique or not clean.index.isin(raw.index).all():
        return ADVICE["index_reset"]
    if id_column and id_column in clean.columns and len(clean):
        # a collided id gets a suffix (CUS-...-2); otherwise the id of a row must not change
        same = [
            str(new).startswith(str(old))
            for new, old in zip(clean[id_column], raw.loc[clean.index, id_column], strict=True)
        ]
        if sum(same) < 0.99 * len(same):
            return ADVICE["rows_moved"]
    return None


def cleaning_notes(shares: dict, graded: dict, lost: int) -> str:
    """What the mentor may want to see besides the grade: the ungraded defects, the dropped records."""
    notes = []
    others = {name: share for name, share in shares.items() if name not in graded}
    if others:
        notes.append(ADVICE["ungraded"].format(shares=", ".join(f"`{n}` {s:.2f}" for n, s in others.items())))
    if lost:
        notes.append(ADVICE["lost"].format(lost=lost))
    return " ".join(notes)


def custom_cleaning(context, thresholds) -> Outcome:
    """A custom CSV has no answer key: generic checks of the team's cleaning of their own file.

    Graded: the share of rows kept (labelled rows after / before cleaning) at least
    min_rows_kept, so dropping every row with a hole fails; and no exact duplicate rows, no row
    without a target, no placeholder label, no column of numbers left as text (a column whose
    values are nearly all numbers but arrived with a few "n/a" or "1,5" cells), no column the
    cleaning emptied.
    """
    minimum = threshold(thresholds, "min_rows_kept", 0.8)
    raw = read_back(evidence.team_raw_frame(context))
    clean = evidence.cleaned(context, raw)
    target = context.schema.target
    labelled, rows_kept = labelled_rows(raw, target), labelled_rows(clean, target)
    share = rows_kept / max(labelled, 1)
    kept = f"{rows_kept:,} of {labelled:,} labelled rows kept ({share:.2f})"
    problems = custom_problems(raw, clean, target, context.schema)
    checks = len(CUSTOM_CHECKS)
    measured = f"{kept}; {checks - len(problems)} of {checks} checks pass"
    expected = f"at least {minimum:.2f} of the labelled rows kept; " + ", ".join(CUSTOM_CHECKS)
    if share >= minimum and not problems:
        return Outcome(True, measured, expected)
    if share < minimum:
        first = ADVICE["too_few_rows"].format(kept=kept, minimum=minimum, package=context.package)
    else:
        first = ADVICE["custom_failed"].format(count=len(problems), package=context.package)
    return Outcome(
        False, measured, expected, detail_text(first, [f"- {problem}." for problem in problems], ADVICE["brief"])
    )


def placeholders(values):
    """Text cells holding a placeholder for "unknown" ("?", ".", " N/A"), whatever their case or spaces."""
    import pandas as pd

    if not pd.api.types.is_string_dtype(values) and values.dtype != object:
        return pd.Series(False, index=values.index)
    return values.astype("str").str.strip().str.casefold().isin(PLACEHOLDERS) & values.notna()


def labelled_rows(frame, target: str) -> int:
    """How many distinct rows have a label (a target neither missing nor a placeholder); an exact copy
    is not a row of its own, so dropping it loses nothing."""
    if target not in frame.columns:
        return 0
    distinct = frame.drop_duplicates()
    return int((distinct[target].notna() & ~placeholders(distinct[target])).sum())


def spelled_twice(values, name: str) -> str:
    """When a text column spells one category two ways (case, spaces): its name and the spellings,
    like `Island` ('Dream', 'dream '); else ""."""
    import pandas as pd

    if not pd.api.types.is_string_dtype(values) and values.dtype != object:
        return ""
    spellings = values.dropna().astype("str").drop_duplicates()
    keys = spellings.str.casefold().str.split().str.join(" ")
    twice = spellings[keys.duplicated(keep=False)]
    if twice.empty:
        return ""
    shown = ", ".join(repr(value) for value in sorted(twice)[:4])
    return f"`{name}` ({shown}{', ...' if len(twice) > 4 else ''})"


def custom_problems(raw, clean, target: str, schema) -> list[str]:
    """What the generic checks find wrong in the cleaned frame, one phrase per failed check."""
    problems = []
    copies = int(clean.duplicated().sum())
    if copies:
        problems.append(ADVICE["duplicates"].format(copies=copies))
    if target not in clean.columns:
        problems.append(ADVICE["target_gone"].format(target=target))
    else:
        if clean[target].isna().any():
            problems.append(ADVICE["no_target"].format(count=int(clean[target].isna().sum())))
        found = placeholders(clean[target]) if schema.is_classification else None
        if found is not None and found.any():
            values = ", ".join(repr(value) for value in sorted(set(clean.loc[found, target])))
            problems.append(ADVICE["placeholder_label"].format(count=int(found.sum()), values=values))
    labels = (target,) if schema.is_classification else ()
    variants = [spelled_twice(clean[name], name) for name in (*schema.categorical, *labels) if name in clean.columns]
    if any(variants):
        problems.append(ADVICE["spellings"].format(columns="; ".join(found for found in variants if found)))
    unparsed = numbers_as_text(clean)
    if unparsed:
        problems.append(ADVICE["numbers_as_text"].format(columns=", ".join(f"`{name}`" for name in unparsed)))
    emptied = [
        name for name in clean.columns if name in raw.columns and clean[name].isna().all() and raw[name].notna().any()
    ]
    if emptied and len(clean):
        problems.append(ADVICE["emptied"].format(columns=", ".join(f"`{name}`" for name in emptied)))
    return problems
