"""The generic defect battery: one corrupted copy of a table per kind of defect, plus a manifest.

It works on any table (a built-in batch or the team's own CSV). The stage 2 checkpoint runs the
team's validation suites on every file: a good suite passes the control and fails all the others.
manifest.json says, for every file, what it breaks (kind, column, rows) and whether a suite
should fail on it (expect_fail).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from capstone.feed import io, seeding
from capstone.feed.errors import FeedError

KINDS = {
    "control": "an unchanged sample of the input: a good suite passes it",
    "nulls_injected": "20 % of one column's values are missing (a column that had none, if there is one)",
    "out_of_range": "5 % of one numeric column's values lie far outside the column's range",
    "unseen_categories": "10 % of one text column's values are a category the input never had",
    "type_changed": "one numeric column arrives as text with a unit ('42 units')",
    "duplicated_rows": "10 % of the rows arrive twice",
    "dropped_column": "one column is missing",
    "renamed_column": "one column has a new name (suffix _v2)",
    "reordered_columns": "the columns arrive in reverse order",
    "empty_batch": "the header and no rows",
}
MANIFEST = "manifest.json"
DUPLICATED_SHARE = 0.1  # duplicated_rows adds this share of copies
NEW_CATEGORY = "NEW-CATEGORY"


def make_battery(
    frame: pd.DataFrame,
    out_dir: str | Path,
    *,
    rows: int = 5_000,
    seed: int = 0,
    suffix: str = ".csv",
    protect: tuple[str, ...] = (),
    source: str = "",
) -> dict:
    """Write one file per kind into out_dir plus manifest.json; return the manifest.

    rows: at most this many input rows are used (a random sample, in input order).
    protect: columns never broken (the target and the id), so every file breaks a feature.
    """
    if frame.empty:
        raise FeedError(f"cannot build a battery from {source or 'the input'}: it has no rows; use a batch with data.")
    if suffix not in io.FORMATS:
        raise FeedError(f"battery format {suffix!r} is not supported; use .csv or .parquet.")
    rng = seeding.generator("battery", seed)
    # Judged on the whole input: a sample of a file full of copies holds fewer of them.
    unfit = {"duplicated_rows": _many_copies(frame)}
    sampled = np.arange(len(frame))
    if len(frame) > rows:
        sampled = np.sort(rng.choice(len(frame), rows, replace=False))
    frame = frame.iloc[sampled].reset_index(drop=True)
    columns = [column for column in frame.columns if column not in protect] or list(frame.columns)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    batches, skipped = [], []
    for kind, build in BUILDERS.items():
        result = unfit.get(kind) or build(frame, columns, rng)
        if isinstance(result, str):
            skipped.append(dict(kind=kind, reason=result))
            continue
        broken, details = result
        name = f"{kind}{suffix}"
        io.write_table(broken, out_dir / name)
        entry = dict(file=name, kind=kind, expect_fail=kind != "control", description=KINDS[kind])
        entry.update(dict(column=None, rows=None, params=dict()))
        entry.update(details)
        batches.append(entry)
    manifest = dict(
        format=1,
        source=str(source),
        rows=len(frame),
        sampled_rows=sampled.tolist(),  # which input rows (0-based) the files are made of, in order
        seed=seed,
        protected=list(protect),
        batches=batches,
        skipped=skipped,
    )
    io.write_json(manifest, out_dir / MANIFEST)
    return manifest


# --- choosing columns ----------------------------------------------------------------------------


def _numeric(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [
        column
        for column in columns
        if pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
        and frame[column].notna().any()
    ]


def _categorical(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Text columns that look like categories: 2 to 50 distinct values."""
    text = [column for column in columns if not pd.api.types.is_numeric_dtype(frame[column])]
    return [column for column in text if 2 <= frame[column].nunique() <= 50]


def _some_rows(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    candidates = np.flatnonzero(eligible)
    count = max(1, round(share * len(eligible)))
    return np.sort(rng.choice(candidates, min(count, len(candidates)), replace=False))


# --- one builder per kind: (frame, columns, rng) -> (broken frame, manifest details) or a reason to skip


def _many_copies(frame) -> str | None:
    """Why duplicated_rows cannot be graded on this input, or None: it already repeats many rows."""
    repeats = float(frame.duplicated().mean())
    if repeats <= DUPLICATED_SHARE:
        return None
    return (
        f"the input already repeats {repeats:.0%} of its rows, more than the {DUPLICATED_SHARE:.0%} this file "
        "would add: copies are normal in this data, so no suite can tell new ones apart"
    )


def _control(frame, columns, rng):
    return frame, dict()


def _nulls_injected(frame, columns, rng):
    # the column with the fewest missing values, so the new nulls stand out
    column = min(columns, key=lambda name: (frame[name].isna().sum(), columns.index(name)))
    rows = _some_rows(rng, frame[column].notna().to_numpy(), 0.2)
    broken = frame.copy()
    broken.loc[rows, column] = None
    return broken, dict(column=column, rows=rows.tolist())


def _out_of_range(frame, columns, rng):
    numeric = _numeric(frame, columns)
    if not numeric:
        return "no numeric column to push out of range"
    column = numeric[0]
    values = frame[column].astype("float64")
    low, high = float(values.min()), float(values.max())
    span = high - low + 1.0
    rows = _some_rows(rng, values.notna().to_numpy(), 0.05)
    # half far above the largest value, half far below the smallest
    new = np.where(np.arange(len(rows)) % 2 == 0, high + 10 * span, low - 10 * span)
    broken = frame.copy()
    broken[column] = values
    broken.loc[rows, column] = new
    return broken, dict(column=column, rows=rows.tolist(), params=dict(input_min=low, input_max=high))


def _unseen_categories(frame, columns, rng):
    categorical = _categorical(frame, columns)
    if not categorical:
        return "no text column with 2 to 50 distinct values"
    column = categorical[0]
    rows = _some_rows(rng, frame[column].notna().to_numpy(), 0.1)
    broken = frame.copy()
    broken.loc[rows, column] = NEW_CATEGORY
    return broken, dict(column=column, rows=rows.tolist(), params=dict(value=NEW_CATEGORY))


def _type_changed(frame, columns, rng):
    numeric = _numeric(frame, columns)
    if not numeric:
        return "no numeric column whose type could change"
    column = numeric[-1]
    values = frame[column]
    text = values.astype("str") + " units"
    broken = frame.copy()
    broken[column] = text.where(values.notna(), None)
    return broken, dict(column=column, params=dict(was=str(values.dtype), now="text"))


def _duplicated_rows(frame, columns, rng):
    sources = _some_rows(rng, np.ones(len(frame), dtype=bool), DUPLICATED_SHARE)
    broken = pd.concat([frame, frame.iloc[sources]], ignore_index=True)
    rows = list(range(len(frame), len(frame) + len(sources)))
    return broken, dict(rows=rows, params=dict(source_rows=sources.tolist()))


def _dropped_column(frame, columns, rng):
    column = columns[len(columns) // 2]
    return frame.drop(columns=[column]), dict(column=column)


def _renamed_column(frame, columns, rng):
    column = columns[0]
    new_name = f"{column}_v2"
    return frame.rename(columns={column: new_name}), dict(column=column, params=dict(new_name=new_name))


def _reordered_columns(frame, columns, rng):
    if len(frame.columns) < 2:
        return "only one column: nothing to reorder"
    order = list(reversed(frame.columns))
    return frame[order], dict(params=dict(order=[str(name) for name in order]))


def _empty_batch(frame, columns, rng):
    return frame.iloc[0:0], dict()


BUILDERS = dict(
    control=_control,
    nulls_injected=_nulls_injected,
    out_of_range=_out_of_range,
    unseen_categories=_unseen_categories,
    type_changed=_type_changed,
    duplicated_rows=_duplicated_rows,
    dropped_column=_dropped_column,
    renamed_column=_renamed_column,
    reordered_columns=_reordered_columns,
    empty_batch=_empty_batch,
)
