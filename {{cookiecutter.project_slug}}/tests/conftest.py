"""Shared test fixtures. Tests run from the repository root (`make test`)."""

from pathlib import Path

import pytest


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
