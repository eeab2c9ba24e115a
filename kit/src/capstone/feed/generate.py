"""Build one delivery (batch) of a domain: clean rows, then defects, then the answer key."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from capstone.feed import defects as defect_catalogue
from capstone.feed import drift, io, seeding
from capstone.feed.domains import get_domain
from capstone.feed.errors import FeedError
from capstone.feed.schema import to_frame

MIN_ROWS = 100
MAX_ROWS = 10_000_000  # the ids have room for 10 million rows per batch
KEY_FORMAT = 1


def generate_batch(
    domain: str, rows: int, seed: int = 42, batch: int = 1, *, defects: bool = True, unlabelled: bool = False
) -> tuple[pd.DataFrame, dict]:
    """Batch `batch` of `domain` with `rows` rows, and its answer key (see README.md).

    The same arguments always give the same data. defects=False gives the clean version of the same
    batch: the same rows before any defect was injected (drift and the leaky column are still there).
    unlabelled=True empties the target column, as production sees the rows before the labels arrive
    (labels.labels_for gives them); the answer key still records everything, plus "unlabelled": true.
    """
    spec = get_domain(domain)
    _check(rows, seed, batch)
    streams = seeding.generators(domain, seed, batch)
    table = spec.generate(streams["clean"], rows, batch)
    if defects:
        table, entries = defect_catalogue.inject(table, spec, streams["defects"])
    else:
        entries = [defect_catalogue.leak_entry(spec)]
    key = dict(
        format=KEY_FORMAT,
        domain=spec.name,
        seed=seed,
        batch=batch,
        rows=rows,
        with_defects=defects,
        target=spec.target,
        task=spec.task,
        id_column=spec.id_column,
        leaky_columns=[spec.leaky_column],
        columns=dict((column.name, column.kind) for column in spec.columns),
        defects=defect_catalogue.finish(entries),
        drift=drift.key_entries(spec.drift, batch),
    )
    frame = to_frame(table, spec)
    if unlabelled:
        frame[spec.target] = _missing(spec.task, len(frame))
        key["unlabelled"] = True  # only in an unlabelled batch's key: the others keep their bytes
    return frame, key


def _missing(task: str, n: int) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A target column with every value missing: nullable Int64 for a binary task, NaN floats otherwise."""
    if task == "binary":
        return pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))
    return np.full(n, np.nan)


def _check(rows: int, seed: int, batch: int) -> None:
    for name, value in (("rows", rows), ("seed", seed), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise FeedError(f"{name} must be a whole number, got {value!r}; fix data.feed.{name} in params.yaml.")
    if not MIN_ROWS <= rows <= MAX_ROWS:
        raise FeedError(f"rows must be between {MIN_ROWS} and {MAX_ROWS:,}, got {rows:,}; fix data.feed.rows.")
    if seed < 0:
        raise FeedError(f"seed must be 0 or more, got {seed}; fix data.feed.seed in params.yaml.")
    if batch < 1:
        raise FeedError(f"batch must be 1 or more (1 is the first delivery), got {batch}; fix data.feed.batch.")


def write_batch(
    frame: pd.DataFrame, key: dict, out: str | Path, progress: Callable[[int], None] | None = None
) -> tuple[Path, Path]:
    """Write the data (CSV or Parquet, by the extension of `out`) and its answer key beside it.

    Returns (data path, answer-key path); the key is <stem of out>.defects.json.
    """
    out = Path(out)
    io.table_format(out)  # fail on a bad extension before writing anything
    data_path = io.write_table(frame, out, progress)
    return data_path, io.write_json(key, io.key_path(out))
