"""Fixtures for the contract tests: a client of the running service, and a valid request to vary.

The tests reach a real server over HTTP at SERVICE_URL, which `make contract-test` sets (the service
`make serve` started) and `capstone check 5` sets (the real service, then broken copies of it).
Without SERVICE_URL they are skipped, so `make test` needs no server.
"""

import copy
import json
import os
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _read(relative: str) -> dict:
    path = ROOT / relative
    if not path.is_file():
        pytest.fail(f"{relative} is missing: run `make pipeline` (its bento stage writes it)", pytrace=False)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def client():
    """An HTTP client on the service at SERVICE_URL; fails with what to do when nothing answers there."""
    url = os.environ.get("SERVICE_URL")
    if not url:
        pytest.skip("no SERVICE_URL: the contract tests need a running service; run `make contract-test`")
    # trust_env=False: a proxy set in the environment must not sit between the tests and 127.0.0.1.
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
        try:
            client.get("/readyz").raise_for_status()
        except httpx.HTTPError as error:
            pytest.fail(f"no service ready at {url} ({error}): start it with `make serve`", pytrace=False)
        yield client


@pytest.fixture(scope="session")
def example() -> dict:
    """A valid request of real rows: {"records": [...]}."""
    return _read("reports/example_request.json")


@pytest.fixture(scope="session")
def contract() -> dict:
    """The input contract: the task, the classes, each column's type and bounds, max_records."""
    return _read("reports/input_schema.json")


@pytest.fixture
def record(example) -> dict:
    """One valid record, a copy the test may change."""
    return copy.deepcopy(next(iter(example.values()))[0])
