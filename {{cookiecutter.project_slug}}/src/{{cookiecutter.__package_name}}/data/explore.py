"""Stage 1: look at the raw delivery before cleaning it (the pipeline's `explore` stage).

    python -m {{ cookiecutter.__package_name }}.data.explore     # writes reports/eda/

reports/eda/profile.md shows each column as delivered (empty cells, distinct values, the share that
reads as numbers, the range, the most common values) and reports/eda/plots/ one plot per column.
Read them, ask the data your own questions (add them to `explore` below, or use a notebook), and
write each problem you find in reports/data-issues.yaml: its column, its kind, the evidence (a
count, an example value) and the fix you plan (docs/stages/1-data.md). Cleaning comes after.
"""

from pathlib import Path

import pandas as pd
from capstone.exploration import write_report

RAW = Path("data/raw/batch.csv")
OUT = Path("reports/eda")


def explore(frame: pd.DataFrame) -> list[str]:
    """Your own looks at the data, one line each in the report."""
    notes = [f"{frame.duplicated().sum():,} rows are exact copies of an earlier row"]
    # TODO (stage 1): what else would you check? Values that cannot be true, spellings of one
    # category, numbers in another unit, dates in another format, a column that gives the answer away...
    return notes


def main() -> None:
    # As delivered: every value as text, nothing turned into a missing value or a float yet.
    frame = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    path = write_report(frame, OUT, explore(frame))
    print(f"explore: {len(frame):,} rows x {frame.shape[1]} columns -> {path} (and {OUT}/plots/)")


if __name__ == "__main__":
    main()
