"""Stage 1 (reference): clean the raw batch, fixing every catalogued kind of defect.

`python -m <package>.data.clean` (the pipeline's clean stage) reads data/raw/batch.csv, calls
clean_frame and writes
- data/clean/clean.csv: the same columns, the rows in their raw order minus the dropped copies;
  dates as YYYY-MM-DD, categories in one spelling, numbers in one unit; missing values stay
  missing (imputing them is the feature pipeline's job, inside the model);
- reports/cleaning.json: rows in and out, and how many fixes of each kind.

The fixes are in rows.py and cells.py, the per-company rules in rules.py. The answer key
(data/raw/batch.defects.json) is never read: a real team would not have one.
tests/data/test_cleaning.py measures the result against it.
"""

import numpy as np
import pandas as pd
from capstone.dataset import DatasetSchema

from .cells import canonical_categories, fix_units, flip_sign, iso_dates, outliers, placeholders, to_missing
from .rows import near_duplicates, new_ids_for_collisions
from .rules import RULES


def clean_frame(frame: pd.DataFrame, schema: DatasetSchema, dataset: str) -> tuple[pd.DataFrame, dict]:
    """The cleaned frame (its index keeps the raw row positions) and the number of fixes per kind."""
    rules = RULES.get(dataset, {})
    frame = frame.copy()
    fixes: dict[str, int] = {}

    # Rows first: copies are easiest to spot before any value is changed.
    copies = frame.duplicated(keep="first")
    fixes["exact_duplicate"] = int(copies.sum())
    frame = frame[~copies]
    if schema.id_column:
        # Near duplicates only with an id: without one, "equal after rounding" is too loose a test.
        copies = near_duplicates(frame)
        fixes["near_duplicate"] = int(copies.sum())
        frame = frame[~copies]
        if dataset != "custom_csv":  # a team's own ids may repeat on purpose (a number per group)
            fixes["id_collision"] = new_ids_for_collisions(frame, schema.id_column)
    # A placeholder ("?", ".", " N/A") is no value: missing. In the target that makes the row unlabelled.
    labels = (schema.target,) if schema.is_classification else ()
    fixes["placeholder"] = sum(
        to_missing(frame, column, placeholders(frame[column])) for column in schema.categorical + labels
    )
    # Rows without a target cannot be learnt from or scored (the feed never has them; own CSVs may).
    unlabelled = frame[schema.target].isna()
    fixes["missing_target"] = int(unlabelled.sum())
    frame = frame[~unlabelled]

    # Then cells.
    # a text label ("Yes", "yes ") is a category too: one spelling per class
    fixes["category_variant"] = canonical_categories(
        frame, schema.categorical + labels, rules.get("synonyms", {})
    )
    fixes["mixed_date_format"] = iso_dates(frame, schema.dates)
    fixes["unit_mixup"] = sum(fix_units(frame, **rule) for rule in rules.get("units", []))
    fixes["impossible_value"] = sum(flip_sign(frame, column) for column in rules.get("sign_flips", []))
    fixes["sentinel"] = sum(
        to_missing(frame, column, frame[column].isin(values))
        for column, values in rules.get("sentinels", {}).items()
    )
    fixes["outlier"] = sum(
        to_missing(frame, column, outliers(frame, column, group))
        for column, group in rules.get("outliers", {}).items()
    )
    # Infinity is never a measurement (own CSVs sometimes carry inf from a spreadsheet division).
    fixes["infinite_value"] = sum(
        to_missing(frame, column, np.isinf(frame[column])) for column in frame.select_dtypes("float")
    )
    return whole_numbers_as_int(frame, dataset), fixes


def whole_numbers_as_int(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Write whole-number columns as 42, not 42.0 (a missing value turned them into floats)."""
    if dataset == "custom_csv":
        return frame
    from capstone.feed import get_domain

    for column in get_domain(dataset).columns:
        if column.kind == "int":
            frame[column.name] = frame[column.name].round().astype("Int64")
    return frame


if __name__ == "__main__":  # the pipeline's clean stage (dvc.yaml): the kit reads, calls clean_frame, writes
    from capstone.pipeline.clean import main

    main()
