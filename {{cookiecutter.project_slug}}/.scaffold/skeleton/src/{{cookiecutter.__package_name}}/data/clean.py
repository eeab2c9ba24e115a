"""Stage 1: clean the raw batch.

`python -m <package>.data.clean` reads data/raw/batch.csv and writes
- data/clean/clean.csv: the same columns as the raw batch, fewer rows;
- reports/cleaning.json: rows in and out, and how many fixes of each kind.

This first version is naive: it drops every row with a missing value and every exact duplicate.
That throws good data away and leaves most defects in place (see the defect catalogue in
capstone/feed/README.md). Improving it is stage 1's job.
"""

import pandas as pd
from capstone.dataset import DatasetSchema


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


if __name__ == "__main__":  # the pipeline's clean stage (dvc.yaml): the kit reads, calls clean_frame, writes
    from capstone.pipeline.clean import main

    main()
