"""suites-cover-columns (stage 2): every column of the data has an expectation on its values, in both suites.

Covered means a column-level expectation names the column (type, range, set, nulls, regex, ...).
Table-level expectations (the column list, the row count) and expectations over a list of columns
do not count: a single ExpectTableColumnsToMatchSet names every column and checks none of their
values. ExpectColumnToExist does not count either, for the same reason (probes.covered_columns).
Measured: covered/total columns per suite; both must be complete.

Which suites: the ones the team's code builds (the hooks raw_expectations and clean_expectations),
called as the validate stage calls them. Which columns: those of a fresh delivery, raw or cleaned.
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import covered_columns
from capstone.checkpoints.registry import Outcome, gate
from capstone.checkpoints.text import detail_text, listing

BRIEF = "docs/stages/2-validation.md"
SUITES = ("raw", "clean")
EXPECTED = "every column in both suites"
ADVICE = dict(
    first=(
        "Columns without an expectation on their values: add them to src/{package}/validation/suites.py "
        f"(see {BRIEF})."
    ),
    item="- `{suite}_expectations` ({count} expectations) leaves out {missing}: {columns}",
    table_level=(
        "A table-level expectation (the column list, the row count) does not cover a column: "
        "give each column a type, range, set or null check."
    ),
)


@gate("suites-cover-columns")
def suites_cover_columns(context, thresholds) -> Outcome:
    suites = evidence.team_suites(context)
    columns = {name: list(evidence.suite_input(context, name).columns) for name in SUITES}
    missing = {
        name: [column for column in columns[name] if column not in covered_columns(suites[name])] for name in SUITES
    }
    measured = ", ".join(f"{name} {len(columns[name]) - len(missing[name])}/{len(columns[name])}" for name in SUITES)
    if not any(missing.values()):
        return Outcome(True, measured + " columns covered", EXPECTED)
    items = [
        ADVICE["item"].format(
            suite=name, count=len(suites[name]), missing=len(missing[name]), columns=listing(missing[name])
        )
        for name in SUITES
        if missing[name]
    ]
    return Outcome(
        False,
        measured + " columns covered",
        EXPECTED,
        detail_text(ADVICE["first"].format(package=context.package), items, ADVICE["table_level"]),
    )
