"""The same domain, rows, seed and batch give byte-identical files; a different seed or batch does not."""

import hashlib
import os
import subprocess
import sys

import pytest
from capstone.feed import generate_batch, write_batch

from .settings import DOMAINS, PROJECT


def _files(tmp_path, name, domain, rows=2_000, seed=1, batch=1, suffix=".csv"):
    frame, key = generate_batch(domain, rows, seed, batch)
    data, answer_key = write_batch(frame, key, tmp_path / name / f"{domain}{suffix}")
    return data.read_bytes(), answer_key.read_bytes()


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_inputs_give_the_same_bytes(tmp_path, domain, suffix):
    first = _files(tmp_path, "a", domain, suffix=suffix)
    second = _files(tmp_path, "b", domain, suffix=suffix)
    assert first[0] == second[0], "data files differ"
    assert first[1] == second[1], "answer keys differ"


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_different_seed_or_batch_gives_different_data(tmp_path, domain):
    base = _files(tmp_path, "base", domain)
    assert _files(tmp_path, "seed", domain, seed=2)[0] != base[0]
    assert _files(tmp_path, "batch", domain, batch=2)[0] != base[0]


def test_the_bytes_do_not_depend_on_the_process(tmp_path):
    """Another interpreter with another hash seed writes the same file (no hash(), no clock, no uuid)."""
    script = (
        "import sys, hashlib; sys.dont_write_bytecode = True; sys.path.insert(0, sys.argv[1]);"
        "from capstone.feed import generate_batch, write_batch;"
        "f, k = generate_batch('churn', 1500, 3, 2); d, a = write_batch(f, k, sys.argv[2]);"
        "print(hashlib.sha256(d.read_bytes() + a.read_bytes()).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    project = str(PROJECT)
    child = subprocess.run(
        [sys.executable, "-c", script, project, str(tmp_path / "child" / "c.csv")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    here = _files(tmp_path, "here", "churn", rows=1500, seed=3, batch=2)
    assert child.stdout.strip() == hashlib.sha256(here[0] + here[1]).hexdigest()


def test_the_clean_version_has_the_same_rows_before_defects(batches):
    clean, dirty, key = batches("churn")
    assert list(clean.columns) == list(dirty.columns)
    assert len(clean) == len(dirty) == key["rows"]
    # untouched columns of untouched rows agree (the full cell-by-cell check is in test_defects.py)
    assert (clean["signup_date"] == dirty["signup_date"]).mean() > 0.9
