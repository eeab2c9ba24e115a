"""Bring your own CSV: load the team's file, check it, and settle the task.

With `dataset: custom_csv` in params.yaml, ingest calls `load_custom_csv` with the values of
data.custom_csv (path, target, task). Column names are kept exactly as in the file, spaces, units
and punctuation included ("Monthly Charges ($)"), because renaming them would make the team's
code disagree with their own data dictionary.
"""

import csv
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

import numpy as np
import pandas as pd

from capstone.feed.errors import FeedError

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 50  # more distinct text values than this is not a class label
MAX_INTEGER_CLASSES = 10  # a whole-number target with at most this many values is taken as classes
WHERE = "data.custom_csv"

# The first bytes of files people export by mistake instead of CSV.
SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook is one)",
    b"PAR1": "a Parquet file",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"SQLite format 3": "an SQLite database",
}


@dataclass(frozen=True)
class CustomData:
    frame: pd.DataFrame
    target: str
    task: str
    task_inferred: bool
    note: str  # one line for the log, e.g. "task: binary (inferred: ...)"


def load_custom_csv(path: str | Path, target: str, task: str | None = None, root: Path | None = None) -> CustomData:
    """Read and check the team's CSV (a path, relative to `root`, or an http(s) URL).

    Raises FeedError with one line for: no path, a missing file, an empty file, a file that is not
    CSV, a missing target column, a target with one class, and a task that does not fit the target.
    """
    path = str(path or "").strip()
    if not path:
        raise FeedError(
            f"{WHERE}.path is empty in params.yaml; set it to your CSV file (for example data/external/data.csv)."
        )
    raw, where = _read_bytes(path, root)
    _check_is_csv(raw, where)
    frame = _parse(raw, where)
    target = _check_target(frame, str(target or "").strip(), where)
    task, inferred, note = _settle_task(frame[target], target, (task or "").strip().lower(), where)
    return CustomData(frame=frame, target=target, task=task, task_inferred=inferred, note=note)


def _read_bytes(path: str, root: Path | None) -> tuple[bytes, str]:
    if "://" in path:
        if not path.lower().startswith(("http://", "https://")):
            raise FeedError(
                f"{WHERE}.path {path!r}: only http(s) URLs are supported; "
                "download the file into data/external/ instead."
            )
        try:
            with urllib.request.urlopen(path, timeout=60) as response:  # the scheme was checked above
                return response.read(), path
        except (urllib.error.URLError, OSError, ValueError) as problem:
            reason = getattr(problem, "reason", problem)
            raise FeedError(
                f"could not download {path}: {reason}; check the URL, or save the file in data/external/ "
                f"and set {WHERE}.path to it."
            ) from None
    file = Path(path) if root is None or Path(path).is_absolute() else Path(root) / path
    if not file.exists():
        raise FeedError(
            f"data file not found: {path} ({WHERE}.path in params.yaml); put your CSV there or fix the path."
        )
    if file.is_dir():
        raise FeedError(
            f"{path} is a folder, not a file ({WHERE}.path in params.yaml); point it at the CSV file itself."
        )
    return file.read_bytes(), path


def _check_is_csv(raw: bytes, where: str) -> None:
    if not raw.strip():
        raise FeedError(f"data file is empty: {where} has no header and no rows; export your data again as CSV.")
    for signature, kind in SIGNATURES.items():
        if raw.startswith(signature):
            raise FeedError(f"{where} is not a CSV file, it is {kind}; export it as CSV (comma-separated, UTF-8).")
    head = raw[:8192]
    if b"\x00" in head:
        raise FeedError(
            f"{where} is not a CSV file (it contains binary data); export it as CSV (comma-separated, UTF-8)."
        )
    if head.lstrip()[:1] in (b"{", b"["):
        raise FeedError(f"{where} is not a CSV file, it looks like JSON; export it as CSV (comma-separated, UTF-8).")


def _parse(raw: bytes, where: str) -> pd.DataFrame:
    try:
        text = raw.decode("utf-8-sig")  # -sig: drop the byte-order mark Excel puts in front
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # what older Excel versions write
    try:
        frame = pd.read_csv(io.StringIO(text), sep=_delimiter(text))
    except pd.errors.EmptyDataError:
        raise FeedError(
            f"data file is empty: {where} has no header and no rows; export your data again as CSV."
        ) from None
    except pd.errors.ParserError as problem:
        detail = str(problem).strip().splitlines()[-1]
        raise FeedError(
            f"{where} is not a valid CSV file ({detail}); check that every row has as many fields as the header."
        ) from None
    if len(frame.columns) < 2:
        raise FeedError(
            f"{where} has only one column ({frame.columns[0]!r}); "
            "a CSV needs a target and at least one feature, separated by commas."
        )
    if frame.empty:
        raise FeedError(
            f"data file is empty: {where} has a header but no data rows; export your data again with its rows."
        )
    return frame


def _delimiter(text: str) -> str:
    """Comma, semicolon (European Excel), tab or pipe: whichever splits the header line most."""
    header = text.split("\n", 1)[0]
    counts = {sep: len(next(csv.reader([header], delimiter=sep))) for sep in (",", ";", "\t", "|")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _check_target(frame: pd.DataFrame, target: str, where: str) -> str:
    columns = [str(column) for column in frame.columns]
    listing = ", ".join(repr(column) for column in columns[:12]) + (", ..." if len(columns) > 12 else "")
    if not target:
        raise FeedError(f"{WHERE}.target is empty in params.yaml; set it to the column to predict, one of: {listing}.")
    if target not in columns:
        near = [column for column in columns if column.strip().lower() == target.lower()]
        near = near or get_close_matches(target, columns, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise FeedError(
            f"target column {target!r} is not in {where}; {hint}set {WHERE}.target to one of its columns: {listing}."
        )
    values = frame[target].dropna()
    if values.empty:
        raise FeedError(f"target column {target!r} in {where} has no values; choose another {WHERE}.target.")
    if values.nunique() < 2:
        raise FeedError(
            f"target column {target!r} in {where} has only one class ({values.iloc[0]!r}); "
            "a model needs at least two, so check the column or the file."
        )
    return target


def _settle_task(target_values: pd.Series, target: str, task: str, where: str) -> tuple[str, bool, str]:
    values = target_values.dropna()
    distinct = values.nunique()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if task:
        if task not in TASKS:
            raise FeedError(
                f"{WHERE}.task must be binary, multiclass or regression (or empty to infer it), got {task!r}."
            )
        if task == "binary" and distinct != 2:
            raise FeedError(
                f"{WHERE}.task is binary but target {target!r} has {distinct} distinct values; "
                "set the task to multiclass or regression."
            )
        if task == "regression" and not numeric:
            raise FeedError(
                f"{WHERE}.task is regression but target {target!r} holds text; set the task to binary or multiclass."
            )
        return (
            task,
            False,
            f"task: {task} (from params.yaml), target {target!r} with {distinct} distinct values",
        )
    if distinct == 2:
        inferred, why = "binary", "2 distinct values"
    elif numeric and _whole_numbers(values) and distinct <= MAX_INTEGER_CLASSES:
        inferred, why = "multiclass", f"{distinct} distinct whole numbers"
    elif numeric:
        inferred, why = "regression", f"{distinct} distinct numbers"
    elif distinct <= MAX_CLASSES:
        inferred, why = "multiclass", f"{distinct} distinct labels"
    else:
        raise FeedError(
            f"target {target!r} in {where} is text with {distinct} distinct values, too many for classes; "
            f"choose another {WHERE}.target or set {WHERE}.task."
        )
    return (
        inferred,
        True,
        f"task: {inferred} (inferred: target {target!r} has {why}; set {WHERE}.task to override)",
    )


def _whole_numbers(values: pd.Series) -> bool:
    numbers = values.to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))
