"""Dates as the company systems deliver them: text in one of a few formats.

All functions are vectorised over numpy datetime64[D] arrays, because formatting a million dates
one by one in Python would take most of the time budget.
"""

import numpy as np

ISO = "%Y-%m-%d"
# The formats other source systems use. Day-first only: a US month-first format would make
# 03/04/2025 ambiguous, and then not even the answer key could say which date was meant.
OTHER_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%Y%m%d")
MONTHS = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])


def days_before(end: np.datetime64, days: np.ndarray) -> np.ndarray:
    """The dates `days` days before `end` (days may be floats; they are rounded down)."""
    return end - np.floor(days).astype("int64").astype("timedelta64[D]")


def format_dates(dates: np.ndarray, fmt: str = ISO) -> np.ndarray:
    """Format datetime64[D] values as an object array of str; fmt uses %Y, %m, %d and %b only."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    if len(dates) == 0:
        return np.array([], dtype=object)
    # Why a lookup table: a million rows cover only a few thousand distinct days, so format each
    # day once and index into the result; that is about ten times faster than formatting every row.
    first = dates.min()
    span = first + np.arange((dates.max() - first).astype("int64") + 1)
    table = _format_each(span, fmt)
    return table[(dates - first).astype("int64")]


def _format_each(dates: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == ISO:
        return np.datetime_as_string(dates, unit="D").astype(object)
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    fields = dict(
        Y=(years.astype("int64") + 1970).astype("T"),
        m=np.strings.zfill(((months - years).astype("int64") + 1).astype("T"), 2),
        d=np.strings.zfill(((dates - months).astype("int64") + 1).astype("T"), 2),
        b=MONTHS[(months - years).astype("int64")].astype("T"),
    )
    out = np.full(len(dates), "", dtype="T")
    rest = fmt
    while rest:
        if rest[0] == "%" and rest[1:2] in fields:
            out = np.strings.add(out, fields[rest[1]])
            rest = rest[2:]
        else:
            out = np.strings.add(out, rest[0])
            rest = rest[1:]
    return out.astype(object)


def parse_iso(values: np.ndarray) -> np.ndarray:
    """ISO date strings (YYYY-MM-DD) back to datetime64[D]."""
    return np.asarray(values, dtype="datetime64[D]")


def quarter_end(batch: int) -> np.datetime64:
    """The last day covered by delivery `batch`: batch 1 is Q1 2025, batch 2 is Q2 2025, and so on."""
    first_day_after = (np.datetime64("2025-01", "M") + 3 * batch).astype("datetime64[D]")
    return first_day_after - np.timedelta64(1, "D")
