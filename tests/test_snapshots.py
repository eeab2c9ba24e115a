"""The template snapshots the tests and `make demo` bake from do not pile up in the temporary folder."""

import os
import time

import teamrepo


def test_snapshots_unused_for_a_day_are_deleted_and_recent_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(teamrepo, "SNAPSHOTS", tmp_path)
    old, recent = tmp_path / "0123456789abcdef", tmp_path / "fedcba9876543210"
    for folder in (old, recent):
        (folder / ".git").mkdir(parents=True)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    assert teamrepo.prune_snapshots() == [old]
    assert not old.exists() and recent.is_dir()
