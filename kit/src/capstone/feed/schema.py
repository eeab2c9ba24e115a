"""What a domain is: its columns, its target, its defect catalogue and its drift.

While a batch is being built it is a plain dict of numpy arrays (a "table"), because the defects
are injected with numpy; only at the end does `to_frame` turn it into a pandas DataFrame.
Inside a table:
- id, category, date and text columns are object arrays of str (None where a value is missing);
- int and float columns are float64 arrays (NaN where missing), so a missing value never turns
  an int column into something else halfway through; `to_frame` makes ints nullable Int64 again.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

Table = dict[str, np.ndarray]

# Column kinds. "target" is the column to predict (int 0/1 for binary, float for regression).
KINDS = ("id", "int", "float", "category", "date", "text", "target")
TEXT_KINDS = ("id", "category", "date", "text")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    decimals: int = 0  # floats are rounded to this many decimals, so the CSV bytes are stable

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Domain:
    name: str
    title: str
    task: str  # "binary" or "regression"
    target: str
    id_column: str
    leaky_column: str
    columns: tuple[Column, ...]
    # (rng, rows, batch) -> table of clean values, drift for `batch` already applied
    generate: Callable[[np.random.Generator, int, int], Table]
    defects: tuple  # tuple[DefectSpec, ...], see defects.py
    drift: tuple  # tuple[DriftEvent, ...], see drift.py

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def to_frame(table: Table, domain: Domain) -> pd.DataFrame:
    """The finished table as a DataFrame with the domain's column order and stable dtypes.

    The table is emptied on the way: each column is dropped once converted, to keep the peak memory low.
    """
    data = {}
    for column in domain.columns:
        values = table.pop(column.name)
        if column.kind in TEXT_KINDS:
            # through pyarrow directly: five times faster than pd.array(values, dtype="str"), same result
            arrow = pa.array(values, type=pa.large_string(), from_pandas=True)
            data[column.name] = pd.array(arrow, dtype="str")
        elif column.kind == "int":
            data[column.name] = _nullable_int(values)
        elif column.kind == "target" and domain.task != "regression":
            data[column.name] = values.astype("int64")
        else:
            data[column.name] = np.round(values.astype("float64"), column.decimals)
    return pd.DataFrame(data, copy=False)


def _nullable_int(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int64"), missing)


def json_values(values: np.ndarray, column: Column) -> list:
    """Values of one column as plain JSON-ready Python values (for the answer key)."""
    if column.kind in TEXT_KINDS:
        return [None if value is None else str(value) for value in values]
    if column.kind == "int" or (column.kind == "target" and column.decimals == 0):
        return [None if np.isnan(value) else int(value) for value in values]
    return [None if np.isnan(value) else float(value) for value in np.round(values, column.decimals)]
