"""Stage 1: clean the raw batch.

`python -m <package>.data.clean` reads data/raw/batch.csv and writes
- data/clean/clean.csv: the same columns as the raw batch, fewer rows;
- reports/cleaning.json: rows in and out, and how many fixes of each kind.

This first version is naive: it keeps every row it can. It drops only exact duplicates and rows
without a target (nothing to learn from), and tidies the labels of a classification target.
Missing feature values stay missing: the feature pipeline imputes them, inside the model.
Everything else is left in place (see NOT_DONE; for the built-in datasets, the defect catalogue
in capstone/feed/README.md). Improving it is stage 1's job.
"""

import pandas as pd
from capstone.dataset import DatasetSchema

# What this version does not do: stage 1's job (docs/stages/1-data.md).
NOT_DONE = (
    "near duplicates, id collisions, category spellings in the features, unit mix-ups, "
    "impossible values, sentinels (999, 0), outliers, date formats, numbers stored as text"
)
# Labels that mean "no label" (pandas already reads "", "NA", "n/a", "null" ... as missing).
PLACEHOLDERS = {"", ".", "?", "-", "na", "n/a", "nan", "none", "null", "missing", "unknown"}


def clean_frame(frame: pd.DataFrame, schema: DatasetSchema, dataset: str) -> tuple[pd.DataFrame, dict]:
    """The cleaned frame (its index keeps the raw row positions) and the number of fixes per kind."""
    frame = frame.copy()
    fixes: dict[str, int] = {}

    copies = frame.duplicated(keep="first")
    fixes["exact_duplicate"] = int(copies.sum())
    frame = frame[~copies]

    labels = frame[schema.target]
    if schema.is_classification and pd.api.types.is_string_dtype(labels):
        # " Yes", "yes" and "YES" are one class (its most frequent spelling); "." or "?" is no label
        stripped = labels.str.strip()
        key = stripped.str.casefold()
        spelling = stripped.groupby(key).agg(lambda spellings: spellings.value_counts().index[0])
        placeholder = key.isin(PLACEHOLDERS)
        tidy = key.map(spelling).mask(placeholder)
        fixes["placeholder_label"] = int(placeholder.sum())
        fixes["label_spelling"] = int((tidy != labels).where(tidy.notna(), False).sum())
        frame[schema.target] = tidy

    unlabelled = frame[schema.target].isna()
    fixes["missing_target"] = int(unlabelled.sum())
    frame = frame[~unlabelled]

    # --- stage 1 (docs/stages/1-data.md): fix the defects here, not just drop rows. Not done yet:
    # near duplicates, id collisions, category spellings in the features, unit mix-ups, impossible
    # values, sentinels, outliers, date formats, numbers stored as text (see NOT_DONE) ---
    return frame, fixes


if __name__ == "__main__":  # the pipeline's clean stage (dvc.yaml): the kit reads, calls clean_frame, writes
    from capstone.pipeline.clean import main

    main()
    print(f"clean (skeleton): missing feature values kept for the imputer; not done: {NOT_DONE}")
