"""Fixtures for the data feed's tests: the feed package from the template folder, and cached batches."""

import sys

import pytest

from .settings import PROJECT

# The feed lives inside the template folder; import it from there (no bake needed).
# No __pycache__ inside the template folder, or every bake would copy it into the team repository.
sys.dont_write_bytecode = True


import capstone.feed  # noqa: E402
from capstone.feed import generate_batch  # noqa: E402

ROWS = 6_000  # enough rows for every defect to appear many times, small enough to be fast
SEED = 7


@pytest.fixture(scope="session")
def feed():
    return capstone.feed


@pytest.fixture(scope="session")
def batches():
    """(clean frame, dirty frame, answer key) per (domain, batch), generated once per test session."""
    cache = {}

    def get(domain: str, batch: int = 1, rows: int = ROWS, seed: int = SEED):
        if (domain, batch, rows, seed) not in cache:
            clean, _ = generate_batch(domain, rows, seed, batch, defects=False)
            dirty, key = generate_batch(domain, rows, seed, batch)
            cache[domain, batch, rows, seed] = (clean, dirty, key)
        return cache[domain, batch, rows, seed]

    return get
