"""Shared test fixtures. Tests run from the repository root (`make test`)."""

import os
from pathlib import Path

import pytest

# The tests' requests are not production traffic: keep them out of the request log (logs/requests.jsonl).
os.environ["CAPSTONE_REQUEST_LOG"] = "off"


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
