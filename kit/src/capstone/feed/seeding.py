"""Random number generators derived from (domain, seed, batch).

The same three values always give the same generators, on every machine, so the data and its
answer key are byte-identical for every teammate and in CI (and DVC sees the same hash).
"""

import zlib

import numpy as np

# Separate streams: the clean rows do not depend on whether defects are injected, so the clean
# and the defective version of a batch line up row by row (the tests rely on that).
STREAMS = ("clean", "defects")


def generators(domain: str, seed: int, batch: int) -> dict[str, np.random.Generator]:
    """One independent generator per stream, e.g. generators("churn", 42, 1)["clean"]."""
    # crc32 rather than hash(): Python's str hash changes from one process to the next.
    entropy = [int(seed), int(batch), zlib.crc32(domain.encode("utf-8"))]
    children = np.random.SeedSequence(entropy).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


def generator(*parts: int | str) -> np.random.Generator:
    """A generator for any other job (the defect battery), seeded from a few ints or strings."""
    entropy = [part if isinstance(part, int) else zlib.crc32(part.encode("utf-8")) for part in parts]
    return np.random.default_rng(np.random.SeedSequence(entropy))
