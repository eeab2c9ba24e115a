"""Write docs/data.md from the data feed's README, so the domains page cannot drift from the feed.

    python scripts/docs_data.py          # rewrite docs/data.md (part of `make docs-options`)
    python scripts/docs_data.py --check  # exit 1 if docs/data.md is out of date

The feed's README (kit/src/capstone/feed/README.md) is the mentors' reference,
and the feed's own tests keep it complete (every column, defect and drift event, the measured
quality table). This page takes its sections by heading, in the order below, after a short intro.
tests/test_docs.py compares render() with the committed page.
"""

import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
README = TEMPLATE / "kit" / "src" / "capstone" / "feed" / "README.md"
PAGE = TEMPLATE / "docs" / "data.md"
# The README's "## " sections this page shows, in this order. A missing one is an error, so a renamed
# heading is noticed here rather than silently dropped.
SECTIONS = (
    "The three domains",
    "Defect kinds",
    "Drift",
    "How good can a model get",
    "The answer key",
    "The generic defect battery",
    "Bring your own CSV",
    "Commands",
    "Determinism",
    "Speed and memory",
)

INTRO = """\
# Data domains

<!-- Generated from kit/src/capstone/feed/README.md by scripts/docs_data.py
     (make docs-options). Do not edit: change the feed's README and regenerate. -->

Every team repository installs a simulated company data feed with the course kit (`capstone.feed`).
It delivers a table per quarter (a **batch**) the way real systems do: with duplicates, holes, spelling variants,
a source system in the wrong unit, mixed date formats, a column that gives the answer away, and drift in later batches.
Every injected defect is recorded in an **answer key** beside the data, which the stage 1 and 2 gates grade against.
The same domain, rows, seed and batch always give the same bytes.

The instructor picks the domain with the `dataset` option: `churn`, `credit_default`, `house_prices`,
or `custom_csv` for the team's own file. The first pipeline stage (`ingest`) writes the batch to `data/raw/batch.csv`
and its key to `data/raw/batch.defects.json`, with the settings under `data.feed` in `params.yaml`.

The tables below are the defect catalogue: what the answer key records and what the gates grade against.
The feed is part of the course kit every team repository installs, so a team can print the same catalogue
(`capstone data defects --domain churn`); the work of stage 1 is to find the defects in the data and fix them in code.
What stays hidden from the team is the holdout of stage 4, not the defects.

The rest of this page is the feed's own reference, `kit/src/capstone/feed/README.md` in the template repository.
"""


def sections(markdown: str) -> dict[str, str]:
    """The README's level-2 sections by heading (each with its heading line), ignoring code blocks."""
    found, heading, lines, fenced = {}, None, [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"^## (.+)$", line)
        if match:
            if heading:
                found[heading] = "\n".join(lines).strip() + "\n"
            heading, lines = match.group(1).strip(), []
        lines.append(line)
    if heading:
        found[heading] = "\n".join(lines).strip() + "\n"
    return found


def render() -> str:
    found = sections(README.read_text(encoding="utf-8"))
    missing = [name for name in SECTIONS if name not in found]
    if missing:
        raise SystemExit(f"ERROR: {README.relative_to(TEMPLATE)} has no section '## {missing[0]}'; update SECTIONS.")
    return INTRO + "\n" + "\n".join(found[name] for name in SECTIONS)


def main() -> int:
    page = render()
    if "--check" in sys.argv[1:]:
        if PAGE.read_text(encoding="utf-8") != page:
            print(f"ERROR: {PAGE.relative_to(TEMPLATE)} is out of date; run: make docs-options", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"Wrote {PAGE.relative_to(TEMPLATE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
