"""Stage 2: what good data looks like, as Great Expectations expectations in code.

`raw_expectations(schema, params)` and `clean_expectations(schema, params)` return lists of
expectations; validate.py stores them as the suites `raw` and `clean` in gx/ and runs them.

This first version checks only three things: the columns are there, the batch is not (nearly)
empty, and, after cleaning (which drops the rows without one), every row has a target. It lets a
column of the wrong type, a wrong unit, an unknown category or a flood of missing values straight
through to the model.
"""

import great_expectations.expectations as gxe
from capstone.config import Params
from capstone.dataset import DatasetSchema

MIN_ROWS = 100  # a delivery with fewer rows is a failed export (params: validate.min_rows)


def raw_expectations(schema: DatasetSchema, params: Params, profile: dict | None = None) -> list:
    # --- stage 2 (docs/stages/2-validation.md): cover every column: types, ranges, categories, nulls ---
    return _basic(schema, params, profile, clean=False)  # a raw row may lack its target: clean.py drops it


def clean_expectations(schema: DatasetSchema, params: Params, profile: dict | None = None) -> list:
    # --- stage 2 (docs/stages/2-validation.md): a stricter suite: canonical values, unique ids ---
    # clean.py dropped the rows without a target
    every_target = gxe.ExpectColumnValuesToNotBeNull(column=schema.target)
    return [*_basic(schema, params, profile, clean=True), every_target]


def _basic(schema: DatasetSchema, params: Params, profile: dict | None, clean: bool) -> list:
    """profile: a custom CSV's first good delivery (gx/custom_csv_profile.json) lists its columns
    and counts its rows (rows_clean: without copies and rows without a target)."""
    settings = params.model_extra.get("validate") or {}
    if profile:
        columns = profile["columns"]
        rows = profile.get("rows_clean", profile["rows"]) if clean else profile["rows"]
        min_rows = min(int(settings.get("min_rows", MIN_ROWS)), max(1, rows // 2))
    else:
        columns = [schema.id_column, *schema.feature_columns, *schema.leaky_columns, schema.target]
        min_rows = int(settings.get("min_rows", MIN_ROWS))
    return [
        # a set, not a list: columns in another order pass (should they?)
        gxe.ExpectTableColumnsToMatchSet(column_set=[name for name in columns if name], exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=min_rows),
    ]
