"""Fixtures for the data feed's tests: the feed package of the course kit, and cached batches."""

# The kit (kit/src/capstone) is installed in the template's .venv as an editable package: no bake needed.
import capstone.feed
import pytest
from capstone.feed import generate_batch

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
