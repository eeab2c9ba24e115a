"""Small helpers the three domain generators share."""

import numpy as np


def choice(rng: np.random.Generator, levels: list[str], n: int, p: list[float] | None = None) -> np.ndarray:
    """n values drawn from `levels` (with probabilities p), as an object array of str."""
    return np.array(levels, dtype=object)[rng.choice(len(levels), size=n, p=p)]


def yes_no(flags: np.ndarray) -> np.ndarray:
    return np.where(flags, "yes", "no").astype(object)


def ids(rng: np.random.Generator, prefix: str, batch: int, n: int) -> np.ndarray:
    """Unique ids such as CUS-010000042: the batch number leads, so batches never share an id."""
    numbers = batch * 10_000_000 + rng.permutation(n) + 1
    digits = np.strings.zfill(numbers.astype("T"), 9)
    return np.strings.add(prefix, digits).astype(object)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def is_in(values: np.ndarray, levels: list[str]) -> np.ndarray:
    return np.isin(values, np.array(levels, dtype=object))


def sentences(rng: np.random.Generator, pools: list[list[str]], pool_of_row: np.ndarray) -> np.ndarray:
    """A short free-text note per row, drawn from the pool that fits the row (pool_of_row[i])."""
    out = np.empty(len(pool_of_row), dtype=object)
    for index, pool in enumerate(pools):
        rows = np.flatnonzero(pool_of_row == index)
        out[rows] = np.array(pool, dtype=object)[rng.integers(0, len(pool), len(rows))]
    return out
