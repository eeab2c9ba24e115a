"""Stage 1 (reference): clean the raw batch, fixing every catalogued kind of defect.

`python -m <package>.data.clean` reads data/raw/batch.csv and writes
- data/clean/clean.csv: the same columns, the rows in their raw order minus the dropped copies;
  dates as YYYY-MM-DD, categories in one spelling, numbers in one unit; missing values stay
  missing (imputing them is the feature pipeline's job, inside the model);
- reports/cleaning.json: rows in and out, and how many fixes of each kind.

The rules were found by looking at the data (value counts, medians per source system) and by
reading the feed's catalogue (capstone/feed/README.md). The answer key (data/raw/batch.defects.json)
is never read: a real team would not have one. tests/data/test_clean.py measures the result against it.
"""

import numpy as np
import pandas as pd
from capstone.dataset import DatasetSchema

# Every date format the source systems use. All are day-first, so 05/03/2024 is the 5th of March.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%Y%m%d")
# A value this many robust standard deviations above its group's median (on the log scale) is an
# outlier. The catalogued outliers are 10-40x the real value, which is 4-9 deviations here.
OUTLIER_Z = 3.5

# What each company's data needs, found by looking at it. Synonyms are keyed by their normalised
# spelling (see `normalise`), so case and spacing variants need no entry of their own.
RULES = dict(
    churn=dict(
        synonyms=dict(
            plan={
                "basic plan": "Basic",
                "basic 01": "Basic",
                "std": "Standard",
                "standard plan": "Standard",
                "prem": "Premium",
            },
            contract_type={
                "monthly": "Month-to-month",
                "m2m": "Month-to-month",
                "1 year": "One year",
                "12 months": "One year",
                "annual": "One year",
                "2 years": "Two year",
                "24 months": "Two year",
            },
            payment_method={
                "cc": "Credit card",
                "pp": "PayPal",
                "dd": "Direct debit",
                "bank invoice": "Invoice",
            },
        ),
        # partner_api sends the fee in cents; legacy_crm sends tenure in whole years
        units=[
            dict(column="monthly_fee", source="partner_api", divide_by=100),
            dict(column="tenure_months", source="legacy_crm", multiply_by=12, refine=True),
        ],
        sign_flips=["age"],  # a negative age is a sign flipped in a web form
        sentinels=dict(days_since_last_login=[999]),  # 999 = never logged in / unknown
        outliers=dict(avg_session_minutes=None),  # None: one group for all rows
    ),
    credit_default=dict(
        synonyms=dict(
            employment_status={
                "freelancer": "Self-employed",
                "jobless": "Unemployed",
                "not working": "Unemployed",
                "full time": "Employed",
                "employee": "Employed",
                "pensioner": "Retired",
            },
            loan_purpose={
                "consolidation": "Debt consolidation",
                "car loan": "Car",
                "auto": "Car",
                "renovation": "Home improvement",
                "home improvements": "Home improvement",
                "med": "Medical",
            },
        ),
        units=[
            dict(column="loan_amount", source="broker_portal", divide_by=100),
            dict(column="loan_term_months", source="legacy_core", multiply_by=12),  # terms are whole years
        ],
        sign_flips=["borrower_age"],
        sentinels=dict(credit_score=[0], num_late_payments_2y=[999]),
        # income depends strongly on the employment status, so compare like with like
        outliers=dict(annual_income="employment_status"),
    ),
    house_prices=dict(
        synonyms=dict(
            property_type={
                "semi": "Semi-detached",
                "flat": "Apartment",
                "condo": "Apartment",
                "terrace": "Terraced",
                "row house": "Terraced",
                "detached house": "Detached",
            },
            neighborhood={
                "oldtown": "Old Town",
                "univ heights": "University Heights",
                "harbor point": "Harbour Point",
                "mill dist": "Mill District",
            },
            condition={"v good": "Very good", "bad": "Poor"},
        ),
        units=[dict(column="annual_property_tax", source="county_import", divide_by=100)],
        sign_flips=["living_area_sqft"],
        sentinels=dict(year_built=[0], bedrooms=[99]),
        outliers=dict(lot_size_sqft="property_type"),  # apartments have tiny lots
    ),
)


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
        fixes["id_collision"] = new_ids_for_collisions(frame, schema.id_column)
    # Rows without a target cannot be learnt from or scored (the feed never has them; own CSVs may).
    unlabelled = frame[schema.target].isna()
    fixes["missing_target"] = int(unlabelled.sum())
    frame = frame[~unlabelled]

    # Then cells.
    # a text label ("Yes", "yes ") is a category too: one spelling per class
    labels = (schema.target,) if schema.is_classification else ()
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


# --- rows -----------------------------------------------------------------------------------------


def normalise(values: pd.Series) -> pd.Series:
    """A spelling-insensitive key: lower case, '-', '_' and '.' dropped, single spaces, no edges."""
    return (
        values.str.casefold()
        .str.replace(r"[-_]", " ", regex=True)
        .str.replace(".", "", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )


def near_duplicates(frame: pd.DataFrame) -> pd.Series:
    """Rows that repeat another row once text case and spacing and decimals are ignored.

    A clerk re-typing a record changes the case or spacing of a note and rounds a number; the copy
    to drop is the one that looks re-typed (a rounded number, a lower-case or badly spaced text).
    """
    key = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == "str":
            key[column] = normalise(values)
        elif pd.api.types.is_float_dtype(values):
            key[column] = values.round(0)
        else:
            key[column] = values
    group_of_row = key.groupby(list(key.columns), dropna=False, sort=False).ngroup()
    in_group = group_of_row.duplicated(keep=False)
    drop = pd.Series(False, index=frame.index)
    for _, group in frame[in_group].groupby(group_of_row[in_group], sort=False):
        scores = [retyped_score(group.loc[row], group) for row in group.index]
        keep = group.index[int(np.argmin(scores))]  # ties: the first row
        drop[group.index.drop(keep)] = True
    return drop


def retyped_score(row: pd.Series, group: pd.DataFrame) -> int:
    """How re-typed a row looks next to the other rows of its group (0 = looks original)."""
    score = 0
    for column in group.columns:
        values = group[column]
        if values.nunique(dropna=False) < 2:
            continue
        value = row[column]
        if isinstance(value, str):
            score += value != " ".join(value.split())  # stray or double spaces
            score += value == value.lower() and (values != values.str.lower()).any()
            score += not value.endswith(".") and values.str.endswith(".").any()
        elif isinstance(value, float) and not np.isnan(value):
            score += value == round(value) and (values != values.round(0)).any()
    return score


def new_ids_for_collisions(frame: pd.DataFrame, id_column: str) -> int:
    """Two different records with one id: keep both and give the later one a new id (<id>-2, ...).

    The copies are gone by now, so rows that still share an id are different records.
    """
    later = frame[id_column].duplicated(keep="first") & frame[id_column].notna()
    number = frame.groupby(id_column).cumcount() + 1
    frame.loc[later, id_column] = frame.loc[later, id_column] + "-" + number[later].astype(str)
    return int(later.sum())


# --- cells ----------------------------------------------------------------------------------------


def canonical_categories(frame: pd.DataFrame, columns: tuple[str, ...], synonyms: dict) -> int:
    """One spelling per category: the most frequent spelling of each normalised value, synonyms mapped."""
    changed = 0
    for column in columns:
        values = frame[column]
        if values.dtype != "str":
            continue
        keys = normalise(values)
        # the spelling used most often for each key is the canonical one ("Basic" beats "BASIC")
        spelling = values.groupby(keys).agg(lambda spellings: spellings.str.strip().value_counts().index[0])
        for variant, canonical in synonyms.get(column, {}).items():
            spelling[variant] = canonical
        fixed = keys.map(spelling).where(values.notna())
        changed += int((fixed != values).where(values.notna(), False).sum())
        frame[column] = fixed.astype("str")
    return changed


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates written in any of DATE_FORMATS as datetime64; unreadable ones become NaT."""
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    for fmt in DATE_FORMATS:
        todo = parsed.isna() & values.notna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    return parsed


def iso_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> int:
    """Rewrite every date column as YYYY-MM-DD; returns how many values were in another format."""
    changed = 0
    for column in columns:
        values = frame[column]
        iso = parse_dates(values).dt.strftime("%Y-%m-%d")
        changed += int(((iso != values) & values.notna()).sum())
        frame[column] = iso.astype("str")
    return changed


def fix_units(
    frame: pd.DataFrame, column: str, source: str, divide_by=None, multiply_by=None, refine=False
) -> int:
    """Convert the rows of one source system to the column's unit; returns how many values changed.

    Only when that system's typical value shows the wrong unit (about 100x or 1/12 of the other
    systems' median), so a batch where the system sends the right unit is left alone.
    """
    rows = (frame["source_system"] == source) & frame[column].notna()
    values = frame.loc[rows, column]
    ratio = values.median() / frame.loc[~rows, column].median()
    if divide_by and ratio > divide_by / 10:
        fixed = (values / divide_by).round(2)
    elif multiply_by and ratio < 3 / multiply_by:
        fixed = months_since_signup(frame.loc[rows], values) if refine else values * multiply_by
    else:
        return 0
    frame.loc[rows, column] = fixed
    return int((fixed != values).sum())


def months_since_signup(rows: pd.DataFrame, years: pd.Series) -> pd.Series:
    """Tenure in months for rows that only have whole years: recomputed from the signup date.

    The CRM counts a month as 30.44 days and the signup falls up to 30 days before the tenure's
    start, so the days since signup leave one or two candidate months; the years pick between them.
    The export date is the latest last payment (customers pay daily, so someone paid on that day).
    """
    export = parse_dates(rows["last_payment_date"]).max()
    days = (export - parse_dates(rows["signup_date"])).dt.days
    low = np.maximum(np.floor((days - 30) / 30.44) + 1, np.maximum(12 * years, 1))
    high = np.minimum(np.ceil((days + 1) / 30.44) - 1, 12 * years + 11)
    guess = np.clip(np.round((days - 15) / 30.44), low, high)
    # no usable signup date (or an inconsistent one): the middle of the year
    return guess.where(low <= high, np.clip(12 * years + 6, 1, None))


def flip_sign(frame: pd.DataFrame, column: str) -> int:
    """Negative values that can only be positive: the catalogue says the sign flipped in a form."""
    negative = frame[column] < 0
    frame.loc[negative, column] = -frame.loc[negative, column]
    return int(negative.sum())


def outliers(frame: pd.DataFrame, column: str, group: str | None) -> pd.Series:
    """Values far above their group's typical size, measured on the log scale with the median and MAD."""
    logs = np.log(frame[column].where(frame[column] > 0))
    groups = frame[group] if group else pd.Series(0, index=frame.index)
    median = logs.groupby(groups).transform("median")
    spread = (logs - median).abs().groupby(groups).transform("median") * 1.4826
    return (logs - median) > OUTLIER_Z * spread


def to_missing(frame: pd.DataFrame, column: str, rows: pd.Series) -> int:
    """Set the given cells to missing (the feature pipeline imputes them later)."""
    rows = rows.fillna(False).astype(bool)
    if rows.any() and pd.api.types.is_integer_dtype(frame[column]):
        frame[column] = frame[column].astype("float64")  # an int64 column cannot hold a missing value
    frame.loc[rows, column] = np.nan
    return int(rows.sum())


# --- the stage ------------------------------------------------------------------------------------


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
