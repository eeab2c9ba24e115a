"""cleaning-fixes-defects (stage 1): the team's cleaning fixes the catalogued defects.

The team's `clean` hook runs on a fresh delivery from the feed (a seed the pipeline does not use,
the batch the team works on), read back as from CSV, as the clean stage reads it. The answer key
says, cell by cell, what each defect replaced; probes.fixed_shares compares. Measured: the worst
share among the graded defects (probes.GRADED), each one held to min_fixed_share. Dropping a record
is not fixing it: a defect on a dropped row that is not a duplicate copy counts as not fixed (else
dropping every odd-looking row would score perfectly).

For a custom CSV (no answer key): generic checks of the team's cleaning of their own file.
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
    custom_failed=(f"The cleaned data of your CSV fails {{count}} generic check(s): fix `clean_frame` in {WHERE}."),
    duplicates="{copies} duplicate row(s) remain: drop exact copies",
    target_gone="the target column `{target}` is gone: keep it",
    no_target="{count} row(s) have no target: drop them (nothing to learn from)",
    numbers_as_text=(
        "column(s) of numbers are still text: {columns}; parse them (pd.to_numeric) and set unreadable cells to missing"
    ),
    brief=f"See {BRIEF}.",
)


@gate("cleaning-fixes-defects")
def cleaning_fixes_defects(context, thresholds) -> Outcome:
    if evidence.custom(context):
        return custom_cleaning(context)
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


def custom_cleaning(context) -> Outcome:
    """A custom CSV has no answer key: generic checks of the team's cleaning of their own file.

    No exact duplicate rows, no row without a target, and no column of numbers left as text
    (a column whose values are nearly all numbers but arrived with a few "n/a" or "1,5" cells).
    """
    raw = read_back(evidence.team_raw_frame(context))
    clean = evidence.cleaned(context, raw)
    target = context.schema.target
    problems = []
    copies = int(clean.duplicated().sum())
    if copies:
        problems.append(ADVICE["duplicates"].format(copies=copies))
    if target not in clean.columns:
        problems.append(ADVICE["target_gone"].format(target=target))
    elif clean[target].isna().any():
        problems.append(ADVICE["no_target"].format(count=int(clean[target].isna().sum())))
    unparsed = numbers_as_text(clean)
    if unparsed:
        problems.append(ADVICE["numbers_as_text"].format(columns=", ".join(f"`{name}`" for name in unparsed)))
    checks = 3
    measured = f"{checks - len(problems)} of {checks} generic checks pass"
    expected = "no duplicate rows, no missing target, numbers parsed"
    if not problems:
        return Outcome(True, measured, expected)
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            ADVICE["custom_failed"].format(count=len(problems), package=context.package),
            [f"- {problem}." for problem in problems],
            ADVICE["brief"],
        ),
    )
