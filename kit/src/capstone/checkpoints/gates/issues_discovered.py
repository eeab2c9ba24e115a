"""issues-discovered (stage 1): the team's data-issues register finds the problems the feed put in the data.

The register (reports/data-issues.yaml, capstone.discovery) is graded against the answer key of a fresh
delivery, a seed the team never saw, of the batch the team works on: the recall of its problems, as
(column, kind) pairs (whole-row kinds without a column; missing values at random or depending on another
column are one kind here, since telling them apart needs more than a look). Wrong label values cannot be
seen without the truth and are not counted. Findings that match nothing are counted and shown, not
punished: a team that looks hard finds odd things that are fine. The exploration's output
(reports/eda/profile.md, the pipeline's explore stage) must be there too.

For a custom CSV there is no answer key: the register must be well-formed and name columns of the data;
a mentor reads the findings.
"""

import csv

from capstone.checkpoints import evidence
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.text import counted, failure, names
from capstone.config import ConfigError
from capstone.discovery import KINDS, REGISTER, ROW_KINDS, load_register

BRIEF = "docs/stages/1-data.md"
EDA = "reports/eda/profile.md"
UNSEEN = ("label_noise",)  # needs the truth to be seen
SAME = {"missing_dependent": "missing_random"}  # graded as one kind
ADVICE = dict(
    register=("{problem}", "Explore the raw data (reports/eda/) and write each problem you find in {register}."),
    eda=(
        f"the exploration's output {EDA} is missing",
        "Run `make pipeline` (its explore stage writes reports/eda/ from data/explore.py) and commit reports/eda/.",
    ),
    columns=(
        "the register names column(s) the raw data does not have: {columns}",
        "Use the raw data's column names (the first line of data/raw/batch.csv); leave `column` out for "
        "whole-row problems (duplicates).",
    ),
    recall=(
        "the register finds {hit} of the {total} problems this delivery has ({recall:.2f})",
        "Look again, column by column: reports/eda/profile.md and its plots, then your own questions of the "
        "data. The kinds to look for: {kinds}. Each finding needs evidence from your data (a count, an "
        "example value).",
    ),
)


def _pair(column, kind: str) -> tuple:
    kind = SAME.get(kind, kind)
    return (None if kind in ROW_KINDS else column, kind)


@gate("issues-discovered")
def issues_discovered(context, thresholds) -> Outcome:
    minimum = threshold(thresholds, "min_recall", 0.6)
    custom = evidence.custom(context)
    expected = "a well-formed register of your data's problems" if custom else f"recall at least {minimum:.2f}"
    try:
        register = load_register(context.root)
    except ConfigError as problem:
        _, advice = ADVICE["register"]
        return failure(f"the register: {problem}", advice.format(register=REGISTER), BRIEF, expected)
    if not (context.root / EDA).is_file():
        return failure(*ADVICE["eda"], BRIEF, expected)
    raw_columns = set(_raw_columns(context))
    unknown = sorted({f.column for f in register.findings if f.column and f.column not in raw_columns})
    if raw_columns and unknown:
        finding, advice = ADVICE["columns"]
        return failure(finding.format(columns=names(unknown)), advice, BRIEF, expected)
    found = {_pair(column, kind) for column, kind in register.found()}
    if custom:
        measured = f"{counted(len(register.findings), 'finding')} (no answer key for your data: a mentor reads them)"
        return Outcome(True, measured, expected)
    _, key = evidence.delivered_batch(context)
    problems = set()
    for entry in key["defects"]:
        if entry["kind"] in UNSEEN or entry.get("count") == 0:
            continue
        # the key names a leaky column under leaky_columns, not on its entry
        leaky = entry["kind"] == "leaky_column"
        columns = (key.get("leaky_columns") or [None]) if leaky else [entry.get("column")]
        problems |= {_pair(column, entry["kind"]) for column in columns}
    hit = found & problems
    recall = len(hit) / len(problems) if problems else 1.0
    others = sorted(found - problems, key=lambda pair: (pair[0] or "", pair[1]))
    extra = len(others)
    measured = f"{len(hit)} of {len(problems)} problems found ({recall:.2f}); {extra} other finding(s)"
    listed = ", ".join(f"`{kind}` on `{column}`" if column else f"`{kind}`" for column, kind in others[:8])
    note = ""
    if extra:
        verb = "matches" if extra == 1 else "match"
        note = f"{counted(extra, 'finding')} {verb} no catalogued problem ({listed}): not counted against you."
    if recall >= minimum:
        return Outcome(True, measured, f"recall at least {minimum:.2f}", note)
    finding, advice = ADVICE["recall"]
    kinds = ", ".join(f"`{kind}`" for kind in KINDS if kind not in UNSEEN)
    text = finding.format(hit=len(hit), total=len(problems), recall=recall)
    outcome = failure(text, advice.format(kinds=kinds), BRIEF, expected, measured)
    return Outcome(False, measured, expected, outcome.detail + (f"\n\n{note}" if note else ""))


def _raw_columns(context) -> list[str]:
    """The raw data's column names (the header of data/raw/batch.csv; [] when it is not there yet)."""
    path = context.root / "data" / "raw" / "batch.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", errors="replace") as raw:
        return next(csv.reader(raw), [])
