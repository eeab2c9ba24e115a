"""Bring your own CSV: load the team's file, check it, and settle the task.

With `dataset: custom_csv` in params.yaml, ingest calls `load_custom_csv` with the values of
data.custom_csv (path, target, task, and the roles ids, dates, text, drop). Column names are kept
exactly as in the file, spaces, units and punctuation included ("Monthly Charges ($)"), because
renaming them would make the team's code disagree with their own data dictionary.

Ingest rejects only what no code could fix (no file, not a CSV, no target column, a target with
fewer than two real values). A dirty target (placeholders such as "." or "?", missing labels,
"Yes"/"yes"/" YES") is accepted and left for clean.py; the task inference ignores placeholders
and case, and says so.
"""

import csv
import io
import re
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np
import pandas as pd

from capstone.feed.errors import FeedError

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 50  # more distinct text values than this is not a class label
MAX_INTEGER_CLASSES = 10  # a whole-number target with at most this many values is taken as classes
WHERE = "data.custom_csv"
# Values that stand for "no value" in exported files. pandas already reads "", "NA", "n/a", "null",
# "None" and "NaN" as missing; these are the ones it keeps as text. Compared stripped, in lower case.
PLACEHOLDERS = frozenset({"", ".", "..", "?", "??", "-", "--", "na", "n/a", "n.a.", "#n/a", "nan", "null", "none"})
ROLES = ("ids", "dates", "text", "drop")
SHOWN_VALUES = 6  # how many distinct values an error lists (most common first)
DATE_SHARE = 0.9  # a text column whose values parse as dates this often looks like dates
TEXT_LENGTH = 20  # a text column with many distinct values this long on average looks like free text
SAMPLE = 2000  # the profile looks at this many values of a column for dates and lengths

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
    # The roles params.yaml gives (ids, dates, text, drop), each a list of column names.
    roles: dict = field(default_factory=dict)
    # More lines for the log: what clean.py must fix in the target, dates that did not parse.
    notes: tuple[str, ...] = ()


def load_custom_csv(
    path: str | Path, target: str, task: str | None = None, root: Path | None = None, roles: dict | None = None
) -> CustomData:
    """Read and check the team's CSV (a path, relative to `root`, or an http(s) URL).

    `roles` (optional) maps ids, dates, text and drop to column names: the drop columns are left
    out of the frame and the date columns are rewritten as ISO dates (YYYY-MM-DD), which is what
    the pipeline reads; a value that is not a date is kept as it is, for clean.py.

    Raises FeedError with one line for: no path, a missing file, an empty file, a file that is not
    CSV, a missing target or role column, a target with fewer than two real values, and a task that
    no cleaning could make fit the target.
    """
    frame, where = read_csv_file(path, root)
    target = _check_target(frame, str(target or "").strip(), where)
    roles = {role: [str(name) for name in (roles or {}).get(role) or []] for role in ROLES}
    _check_roles(frame, roles, where)
    frame = frame.drop(columns=roles["drop"])
    notes = []
    empty = [name for name in frame.columns if name != target and frame[name].isna().all()]
    if empty and len(frame):
        # No value to learn from, and some estimators fail on a column with none (gradient boosting does).
        frame = frame.drop(columns=empty)
        shown = ", ".join(repr(name) for name in empty[:6]) + (f" and {len(empty) - 6} more" if len(empty) > 6 else "")
        notes.append(f"empty in every row, left out: {shown} (give them the drop role to say so)")
    for name in roles["dates"]:
        frame[name], unreadable = as_iso_dates(frame[name])
        if unreadable:
            notes.append(
                f"dates: {unreadable:,} value(s) of {name!r} are not dates (kept as they are; clean.py can fix them)"
            )
    for name in true_false_columns(frame, target):
        # pandas reads TRUE/FALSE as booleans, which a missing value, a model's encoder and a JSON request
        # each treat differently: 1/0 is a number everywhere.
        words = frame[name].astype("str").str.strip().str.lower().where(frame[name].notna())
        frame[name] = words.map({"true": 1, "false": 0}).astype("Int64" if words.isna().any() else "int64")
        notes.append(f"{name!r} holds true/false: written as 1/0")
    task, inferred, note, more = _settle_task(frame[target], target, (task or "").strip().lower(), where)
    return CustomData(
        frame=frame, target=target, task=task, task_inferred=inferred, note=note, roles=roles, notes=(*more, *notes)
    )


def true_false_columns(frame: pd.DataFrame, target: str = "") -> list[str]:
    """The columns (not the target) whose values are only true and false (any case), missing values aside."""
    found = []
    for name in frame.columns:
        values = frame[name].dropna()
        if name != target and len(values):
            words = set(values.astype("str").str.strip().str.lower())
            if words <= {"true", "false"}:
                found.append(name)
    return found


def read_csv_file(path: str | Path, root: Path | None = None) -> tuple[pd.DataFrame, str]:
    """The file as a frame (any delimiter, UTF-8 or Windows encoding), and how to name it in messages."""
    path = str(path or "").strip()
    if not path:
        raise FeedError(
            f"{WHERE}.path is empty in params.yaml; set it to your CSV file (for example data/external/data.csv)."
        )
    raw, where = _read_bytes(path, root)
    _check_is_csv(raw, where)
    return _parse(raw, where), where


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
            f"data file not found: {path} ({WHERE}.path in params.yaml); put your CSV there or fix the path "
            "(commit it with git, up to 50 MB, so the checkpoint's checkout has it: data/external/README.md)."
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
    return target


def _check_roles(frame: pd.DataFrame, roles: dict[str, list[str]], where: str) -> None:
    columns = [str(column) for column in frame.columns]
    for role in ROLES:
        for name in roles[role]:
            if name not in columns:
                near = [column for column in columns if column.strip().lower() == name.strip().lower()]
                near = near or get_close_matches(name, columns, n=1, cutoff=0.6)
                hint = f"did you mean {near[0]!r}? " if near else ""
                raise FeedError(
                    f"{WHERE}.{role} names {name!r}, which is not a column of {where}; {hint}"
                    f"fix the name in params.yaml (capstone data profile lists the columns)."
                )


def _settle_task(
    target_values: pd.Series, target: str, task: str, where: str
) -> tuple[str, bool, str, tuple[str, ...]]:
    """The task (given or inferred), whether it was inferred, the note, and what clean.py must fix."""
    seen = seen_values(target_values)
    real = target_values[~is_placeholder(target_values)]
    if real.empty:
        raise FeedError(
            f"target column {target!r} in {where} has no values (seen: {seen}); choose another {WHERE}.target."
        )
    classes = _classes(real)
    distinct = classes.nunique()
    if distinct < 2:
        raise FeedError(
            f"target column {target!r} in {where} has only one class ({real.iloc[0]!r}); values seen: {seen}; "
            "a model needs at least two, so check the column or the file."
        )
    numbers = pd.to_numeric(real, errors="coerce")
    numeric_share = float(numbers.notna().mean())
    fixes = _target_fixes(target_values, real, classes, target, seen)
    if task:
        if task not in TASKS:
            raise FeedError(
                f"{WHERE}.task must be binary, multiclass or regression (or empty to infer it), got {task!r}."
            )
        if task == "regression" and numeric_share < 0.5:
            raise FeedError(
                f"{WHERE}.task is regression but target {target!r} in {where} holds text (seen: {seen}); "
                "choose a target of numbers, or set the task to binary or multiclass."
            )
        if task == "binary" and distinct > 2:
            fixes.append(
                f"target {target!r}: the task is binary but it has {distinct} classes (seen: {seen}); "
                "clean.py must map them to two"
            )
        if task == "regression" and numeric_share < 1:
            fixes.append(_not_numbers(real, numbers, target))
        note = f"task: {task} (from params.yaml), target {target!r} with {distinct} distinct values"
        return task, False, note, tuple(fixes)
    whole = numeric_share == 1 and _whole_numbers(numbers)
    if distinct == 2:
        inferred, why = "binary", "2 distinct values"
    elif whole and distinct <= MAX_INTEGER_CLASSES:
        inferred, why = "multiclass", f"{distinct} distinct whole numbers"
    elif numeric_share == 1:
        inferred, why = "regression", f"{distinct} distinct numbers"
    elif numeric_share >= 0.9 and distinct > MAX_INTEGER_CLASSES:
        inferred, why = "regression", f"{numbers.nunique()} distinct numbers"
        fixes.append(_not_numbers(real, numbers, target))
    elif distinct <= MAX_CLASSES:
        inferred, why = "multiclass", f"{distinct} distinct labels"
    else:
        raise FeedError(
            f"target {target!r} in {where} is text with {distinct} distinct values, too many for classes "
            f"(seen: {seen}); choose another {WHERE}.target or set {WHERE}.task."
        )
    ignored = len(target_values) - len(real)
    if ignored or classes.nunique() != real.nunique():
        why += " once placeholders, missing values, case and spaces are ignored"
    note = f"task: {inferred} (inferred: target {target!r} has {why}; set {WHERE}.task to override)"
    return inferred, True, note, tuple(fixes)


def is_placeholder(values: pd.Series) -> pd.Series:
    """True where a value is missing or a placeholder such as ".", "?", "-", "NA", "n/a" or "null"."""
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    text = values.astype("str").str.strip().str.lower()
    return (values.isna() | text.isin(PLACEHOLDERS)).astype(bool)


def seen_values(values: pd.Series, shown: int = SHOWN_VALUES) -> str:
    """The values of a column with their counts, most common first, shortened: "'yes' 120, 'no' 80, ..."."""
    counts = values.astype("object").where(values.notna(), None).value_counts(dropna=False)
    parts = [f"{_short(value)} {count:,}" for value, count in counts.head(shown).items()]
    if len(counts) > shown:
        parts.append(f"... ({len(counts) - shown:,} more)")
    return ", ".join(parts)


def _short(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 24 else text[:20] + "...'"


def _classes(real: pd.Series) -> pd.Series:
    """The labels as a model should see them: text stripped and in lower case ("Yes", " YES" -> "yes")."""
    if pd.api.types.is_numeric_dtype(real):
        return real
    return real.astype("str").str.strip().str.casefold()


def _target_fixes(values: pd.Series, real: pd.Series, classes: pd.Series, target: str, seen: str) -> list[str]:
    """What clean.py must do to the target before training: one line each."""
    fixes = []
    unlabelled = len(values) - len(real)
    if unlabelled:
        fixes.append(
            f"target {target!r}: {unlabelled:,} row(s) are missing or hold a placeholder "
            f"(seen: {seen}); clean.py must drop them (or map them to missing)"
        )
    if classes.nunique() != real.nunique():
        spellings = real.groupby(classes.to_numpy()).unique()
        mixed = [" / ".join(repr(value) for value in group) for group in spellings if len(group) > 1]
        fixes.append(
            f"target {target!r}: some labels differ only by case or spaces ({'; '.join(mixed[:3])}); "
            "clean.py must write each one way"
        )
    return fixes


def _not_numbers(real: pd.Series, numbers: pd.Series, target: str) -> str:
    bad = real[numbers.isna()]
    return (
        f"target {target!r}: {len(bad):,} value(s) are not numbers (seen: {seen_values(bad)}); "
        "clean.py must fix or drop them"
    )


def _whole_numbers(values: pd.Series) -> bool:
    numbers = values.to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


# --- dates and the roles a profile suggests -------------------------------------------------------


def as_iso_dates(values: pd.Series) -> tuple[pd.Series, int]:
    """The column with every date written as ISO (YYYY-MM-DD, with the time when there is one),
    and how many present values are not dates (those are kept as they are)."""
    present = values.notna() & ~is_placeholder(values)
    parsed = _parse_dates(values[present])
    if parsed is None:
        return values, int(present.sum())
    times = parsed.dropna()
    has_time = bool(len(times) and ((times - times.dt.normalize()) != pd.Timedelta(0)).any())
    iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d")
    out = values.astype("object").copy()
    readable = iso.notna()
    out.loc[iso.index[readable]] = iso[readable]
    return out, int((~readable).sum())


def _parse_dates(values: pd.Series) -> pd.Series | None:
    """Dates in the format of the first value, or else each value in its own format; None if none parse."""
    text = values.astype("str").str.strip()
    best = None
    for how in (None, "mixed"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format": the next try handles it
            try:
                parsed = pd.to_datetime(text, errors="coerce", format=how)
            except (ValueError, TypeError, OverflowError):  # mixed time zones and the like
                continue
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        if best is None or parsed.notna().sum() > best.notna().sum():
            best = parsed
        if best.notna().all():
            break
    return best if best is not None and best.notna().any() else None


def suggest_roles(frame: pd.DataFrame, target: str) -> list[tuple[str, str, str]]:
    """(column, role, why) for the columns that look like ids, dates, free text, or nothing worth keeping.

    Only a suggestion: the team decides, in params.yaml (data.custom_csv).
    """
    found = []
    for name in frame.columns:
        if name == target:
            continue
        role, why = _looks_like(frame[name])
        if role:
            found.append((str(name), role, why))
    return found


def _looks_like(values: pd.Series) -> tuple[str, str]:
    present = values[values.notna() & ~is_placeholder(values)]
    if present.empty:
        return "drop", "no values"
    distinct = present.nunique()
    if distinct == 1:
        return "drop", f"one value only ({_short(present.iloc[0])})"
    unique_per_row = distinct == len(values) and len(values) >= 20
    sample = present.sample(SAMPLE, random_state=0) if len(present) > SAMPLE else present
    if pd.api.types.is_numeric_dtype(values):
        if unique_per_row and _whole_numbers(present):
            return "ids", "a different whole number in every row"
        return "", ""
    text = sample.astype("str").str.strip()
    if text.str.contains(r"\d").mean() >= DATE_SHARE and not _numeric_text(text):
        parsed = _parse_dates(text)
        if parsed is not None and parsed.notna().mean() >= DATE_SHARE:
            return "dates", f"{parsed.notna().mean():.0%} of the values parse as dates"
    length = float(text.str.len().mean())
    many = distinct > MAX_CLASSES or (len(present) >= 10 and distinct >= len(present) / 2)
    if many and length >= TEXT_LENGTH and text.str.contains(" ").mean() >= 0.5:
        return "text", f"{distinct:,} distinct values, {length:.0f} characters on average"
    if unique_per_row:
        return "ids", "a different value in every row"
    return "", ""


def _numeric_text(text: pd.Series) -> bool:
    return bool(text.map(lambda value: re.fullmatch(r"[-+]?[\d.,]+", value) is not None).mean() >= DATE_SHARE)
