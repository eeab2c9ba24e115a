"""Stage 1: split the clean rows into training, validation and test sets.

`python -m <package>.data.split` reads data/clean/clean.csv and writes data/split/train.csv,
valid.csv and test.csv (the same columns), with the shares and the seed of `split` in params.yaml.
The same clean data and params always give the same three files.

How the rows are divided:
- time-aware where a record has the date it happened (credit_default: application_date,
  house_prices: sale_date): the oldest rows train, the newest test, as in production, where the
  model always predicts records newer than the ones it learnt from;
- otherwise stratified for classification (every split gets the same share of each class) and
  random for regression.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from capstone.config import ConfigError, load_params
from capstone.dataset import DatasetSchema, load_schema

CLEAN = Path("data/clean/clean.csv")
OUT_DIR = Path("data/split")
SPLITS = ("train", "valid", "test")

# The column that says when a record happened, for the built-in companies that have one.
# churn has none on purpose: every row is the same end-of-quarter snapshot, and signup_date is when
# the customer joined, not when the record was made. Ordering by it would put all the newest
# customers into the test set, a different population rather than "the future", so churn (and a
# custom CSV) keep a stratified random split.
EVENT_DATE = dict(credit_default="application_date", house_prices="sale_date")


def split_positions(
    frame: pd.DataFrame, schema: DatasetSchema, dataset: str, valid_size: float, test_size: float, seed: int
) -> dict[str, np.ndarray]:
    """Row positions of each split, each in the clean file's order."""
    rng = np.random.default_rng(seed)
    date_column = EVENT_DATE.get(dataset)
    if date_column in frame.columns:
        # shuffle first so rows of the same day are cut at random, then a stable sort by date
        shuffled = rng.permutation(len(frame))
        dates = pd.to_datetime(frame[date_column].iloc[shuffled], format="%Y-%m-%d", errors="coerce")
        # clean.csv holds ISO dates; a row whose date is missing or unreadable goes to training
        dates = dates.fillna(dates.min())
        order = shuffled[np.argsort(dates.to_numpy(), kind="stable")]
        return _cut(order, valid_size, test_size)
    if schema.is_classification:
        parts = [
            _cut(rng.permutation(np.flatnonzero(labels)), valid_size, test_size)
            for labels in _class_masks(frame[schema.target])
        ]
        return {name: np.sort(np.concatenate([part[name] for part in parts])) for name in SPLITS}
    return _cut(rng.permutation(len(frame)), valid_size, test_size)


def _class_masks(target: pd.Series) -> list[np.ndarray]:
    return [(target == label).to_numpy() for label in sorted(target.dropna().unique())]


def _cut(order: np.ndarray, valid_size: float, test_size: float) -> dict[str, np.ndarray]:
    """The first rows of `order` train, the next validate, the last test."""
    n_test = round(len(order) * test_size)
    n_valid = round(len(order) * valid_size)
    n_train = len(order) - n_valid - n_test
    return dict(
        train=np.sort(order[:n_train]),
        valid=np.sort(order[n_train : n_train + n_valid]),
        test=np.sort(order[n_train + n_valid :]),
    )


def check_sizes(valid_size: float, test_size: float) -> None:
    if not (0 < valid_size < 1 and 0 < test_size < 1 and valid_size + test_size < 1):
        sys.exit(
            f"ERROR: split.valid_size ({valid_size}) and split.test_size ({test_size}) in params.yaml "
            "must be between 0 and 1 and leave rows for training (their sum below 1)."
        )


def main() -> None:
    try:
        params = load_params(Path("."))
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    settings = params.model_extra.get("split") or {}
    valid_size, test_size = settings.get("valid_size", 0.2), settings.get("test_size", 0.2)
    check_sizes(valid_size, test_size)
    if not CLEAN.is_file():
        sys.exit(f"ERROR: {CLEAN} not found; run the clean stage first (dvc repro clean).")
    schema = load_schema(params)
    frame = pd.read_csv(CLEAN)
    positions = split_positions(frame, schema, params.data.dataset, valid_size, test_size, settings.get("seed", 42))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        part = frame.iloc[positions[name]]
        if part.empty:
            sys.exit(f"ERROR: the {name} split is empty ({len(frame)} clean rows); lower the other shares.")
        if schema.is_classification and part[schema.target].nunique() < 2:
            sys.exit(
                f"ERROR: the {name} split has only one class of {schema.target}; "
                "use more rows or larger split shares in params.yaml."
            )
        part.to_csv(OUT_DIR / f"{name}.csv", index=False)
    how = (
        "by " + EVENT_DATE[params.data.dataset]
        if params.data.dataset in EVENT_DATE
        else ("stratified" if schema.is_classification else "random")
    )
    sizes = ", ".join(f"{name} {len(positions[name]):,}" for name in SPLITS)
    print(f"split ({how}, seed {settings.get('seed', 42)}): {sizes} -> {OUT_DIR}/")


if __name__ == "__main__":
    main()
