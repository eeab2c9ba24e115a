"""Reading and writing tables (CSV or Parquet, chosen by the file extension) and answer keys."""

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from capstone.feed.errors import FeedError

FORMATS = (".csv", ".parquet")
CSV_CHUNK_ROWS = 100_000


def table_format(path: Path) -> str:
    """'.csv' or '.parquet' for a path, or a FeedError naming the path."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise FeedError(f"cannot write {path}: unknown extension {suffix or '(none)'!r}; use .csv or .parquet.")
    return suffix


def key_path(path: Path) -> Path:
    """Where the answer key of a data file goes: beside it, as <stem>.defects.json."""
    path = Path(path)
    return path.with_name(f"{path.stem}.defects.json")


def write_table(frame: pd.DataFrame, path: Path, progress: Callable[[int], None] | None = None) -> Path:
    """Write CSV or Parquet by extension; `progress(rows_written)` is called as the CSV is written."""
    path = Path(path)
    suffix = table_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if suffix == ".parquet":
        pa_parquet.write_table(table, path, compression="zstd")
        if progress:
            progress(len(frame))
        return path
    # pyarrow writes CSV about six times faster than pandas. Floats were rounded to each column's
    # decimals and are written in their shortest exact form, so the bytes are the same everywhere.
    with path.open("wb") as out:
        out.write(_csv_header(frame.columns))
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        for start in range(0, max(len(frame), 1), CSV_CHUNK_ROWS):
            pa_csv.write_csv(table.slice(start, CSV_CHUNK_ROWS), out, options)
            if progress:
                progress(min(start + CSV_CHUNK_ROWS, len(frame)))
    return path


def _csv_header(columns) -> bytes:
    # quote a name only when it needs it, as the csv module does (plain names stay plain)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([str(name) for name in columns])
    return buffer.getvalue().encode("utf-8")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file written by the feed (or any ordinary CSV/Parquet)."""
    path = Path(path)
    if not path.is_file():
        raise FeedError(f"file not found: {path}; check the path (data files live in data/raw/).")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise FeedError(f"cannot read {path}: unknown extension {suffix or '(none)'!r}; use .csv or .parquet.")


def write_json(data: dict, path: Path) -> Path:
    """Write an answer key or manifest: sorted keys, one line per entry of its lists of dicts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data), encoding="utf-8")
    return path


def dumps(data: dict) -> str:
    """JSON that is stable (sorted keys) and readable: each entry of a list of dicts on its own line."""
    parts = []
    for name in sorted(data):
        value = data[name]
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            items = ",\n".join("    " + json.dumps(item, sort_keys=True, allow_nan=False) for item in value)
            text = "[\n" + items + "\n  ]"
        else:
            text = json.dumps(value, sort_keys=True, allow_nan=False)
        parts.append(f"  {json.dumps(name)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
