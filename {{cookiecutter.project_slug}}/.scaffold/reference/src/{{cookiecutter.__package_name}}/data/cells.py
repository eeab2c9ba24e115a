"""Cell fixes of the cleaning: one spelling per category, ISO dates, one unit per column, flipped
signs, sentinels and outliers made missing (the feature pipeline imputes them, inside the model)."""

import numpy as np
import pandas as pd

from .rows import normalise

# Every date format the source systems use. All are day-first, so 05/03/2024 is the 5th of March.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%Y%m%d")
# A value this many robust standard deviations above its group's median (on the log scale) is an
# outlier. The catalogued outliers are 10-40x the real value, which is 4-9 deviations here.
OUTLIER_Z = 3.5
# Text that stands for "unknown" in real files (pandas already reads "", "NA", "null" ... as missing).
PLACEHOLDERS = {"", ".", "?", "-", "na", "n/a", "nan", "none", "null", "missing", "unknown"}


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


def placeholders(values: pd.Series) -> pd.Series:
    """Text cells that hold a placeholder for "unknown" ("?", ".", " N/A"), whatever their case or spaces."""
    if not pd.api.types.is_string_dtype(values):
        return pd.Series(False, index=values.index)
    return values.str.strip().str.casefold().isin(PLACEHOLDERS)


def to_missing(frame: pd.DataFrame, column: str, rows: pd.Series) -> int:
    """Set the given cells to missing (the feature pipeline imputes them later)."""
    rows = rows.fillna(False).astype(bool)
    if not rows.any():
        return 0  # pandas would still turn a column of whole numbers into floats
    if pd.api.types.is_integer_dtype(frame[column]):
        frame[column] = frame[column].astype("float64")  # an int64 column cannot hold a missing value
    frame.loc[rows, column] = np.nan
    return int(rows.sum())
