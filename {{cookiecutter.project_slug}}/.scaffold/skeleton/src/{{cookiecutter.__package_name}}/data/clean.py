"""Stage 1: clean the raw batch.

`python -m <package>.data.clean` reads data/raw/batch.csv and writes
- data/clean/clean.csv: the same columns as the raw batch, fewer rows;
- reports/cleaning.json: rows in and out, and how many fixes of each kind.

This first version is naive: it drops every row with a missing value and every exact duplicate.
That throws good data away and leaves most defects in place (see the defect catalogue in
capstone/feed/README.md). Improving it is stage 1's job.
"""

import json
import sys
from pathlib import Path

import pandas as pd

from capstone.config import ConfigError, load_params
from capstone.dataset import DatasetSchema, load_schema

RAW = Path("data/raw/batch.csv")
CLEAN = Path("data/clean/clean.csv")
REPORT = Path("reports/cleaning.json")


def clean_frame(frame: pd.DataFrame, schema: DatasetSchema, dataset: str) -> tuple[pd.DataFrame, dict]:
    """The cleaned frame (its index keeps the raw row positions) and the number of fixes per kind."""
    fixes: dict[str, int] = {}

    # --- stage 1 (docs/stages/1-data.md): fix the catalogued defects here, not just drop rows ---
    # Near duplicates, id collisions, category spellings, units, impossible values, sentinels and
    # date formats all pass through untouched; rows with a hole are dropped instead of kept.
    copies = frame.duplicated(keep="first")
    fixes["exact_duplicate"] = int(copies.sum())
    frame = frame[~copies]

    incomplete = frame.isna().any(axis=1)
    fixes["rows_with_missing_values"] = int(incomplete.sum())
    frame = frame[~incomplete]
    return frame, fixes


def main() -> None:
    try:
        params = load_params(Path("."))
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    if not RAW.is_file():
        sys.exit(f"ERROR: {RAW} not found; run the ingest stage first (dvc repro ingest).")
    schema = load_schema(params)
    raw = pd.read_csv(RAW)
    clean, fixes = clean_frame(raw, schema, params.data.dataset)
    if clean.empty:
        sys.exit(
            f"ERROR: cleaning left no rows of {len(raw)} in {RAW} (every row has a missing value); "
            "impute or drop the emptiest columns in data/clean.py instead of dropping rows."
        )
    CLEAN.parent.mkdir(parents=True, exist_ok=True)
    clean.to_csv(CLEAN, index=False)
    report = dict(rows_in=len(raw), rows_out=len(clean), fixes=fixes)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    done = ", ".join(f"{kind} {count}" for kind, count in fixes.items() if count)
    print(f"clean: {len(raw)} rows in, {len(clean)} out -> {CLEAN}; dropped: {done or 'nothing'}")


if __name__ == "__main__":
    main()
