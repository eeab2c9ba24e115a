"""Read a split (data/split/<name>.csv) as the model sees it: input columns X and target y.

The model's input is exactly the schema's feature columns, so the id, the target and the leaky
column never reach it, in training or in production. Numbers are float64, so a missing value is
allowed in any numeric column; everything else is text (pandas' str dtype).
"""

import sys
from pathlib import Path

import pandas as pd

SPLIT_DIR = Path("data/split")


def read_split(name: str, schema, folder: Path = SPLIT_DIR) -> tuple[pd.DataFrame, pd.Series]:
    path = folder / f"{name}.csv"
    if not path.is_file():
        sys.exit(f"ERROR: {path} not found; run the stages before this one first: dvc repro split")
    frame = pd.read_csv(path)
    needed = [*schema.feature_columns, schema.target]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        sys.exit(f"ERROR: {path} lacks the columns {missing}; rerun the stages that write it: dvc repro split")
    unlabelled = frame[schema.target].isna()
    if unlabelled.all():
        sys.exit(f"ERROR: {path} has no rows with a value in the target column {schema.target!r}")
    # A row without a label can neither teach nor test a model.
    frame = frame[~unlabelled]
    return model_input(frame, schema), frame[schema.target].reset_index(drop=True)


def model_input(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """The schema's feature columns of `frame`, in order, with the types the model expects."""
    columns = {}
    for name in schema.feature_columns:
        if name in schema.numeric:
            columns[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        else:
            columns[name] = frame[name].astype("str")
    return pd.DataFrame(columns).reset_index(drop=True)
