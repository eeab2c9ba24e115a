"""The feed belongs to the course kit, not to the team's template, and the mentors' README is complete."""

from pathlib import Path

import pytest
from capstone.feed import DOMAINS as SPECS
from capstone.feed.battery import KINDS as BATTERY_KINDS
from capstone.feed.defects import KINDS
from capstone.feed.drift import KINDS as DRIFT_KINDS

from .settings import DOMAINS, KIT, PROJECT

FEED = KIT / "capstone" / "feed"
README = (FEED / "README.md").read_text(encoding="utf-8")


def test_the_feed_is_the_installed_kits_not_a_copy_in_the_team_template():
    import capstone.feed

    assert Path(capstone.feed.__file__).resolve().parent == FEED.resolve()
    assert not (PROJECT / "capstone").exists(), "the course's code belongs in kit/, not in the team repository"


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_readme_documents_every_column_and_defect(domain):
    for column in SPECS[domain].columns:
        assert f"`{column.name}`" in README, column.name
    for spec in SPECS[domain].defects:
        assert spec.description in README, spec.description
    for event in SPECS[domain].drift:
        assert event.description in README, event.description


def test_the_readme_documents_every_kind_and_the_measured_numbers():
    for kind in (*KINDS, *BATTERY_KINDS, *DRIFT_KINDS):
        assert f"`{kind}`" in README, kind
    assert "benchmarks/feed_generate.py" in README and "python -m capstone.feed.quality" in README
    assert "python -m capstone.feed.concept" in README and "--labels-for" in README and "--unlabelled" in README


@pytest.mark.full
def test_the_quality_table_in_the_readme_is_current():
    """The numbers mentors read are the numbers the code gives (about 20 s: the full grid on 20 000 rows)."""
    from capstone.feed.quality import measure

    for domain in DOMAINS:
        result = measure(domain, rows=20_000, seed=42, grid="full")
        scores = " | ".join(f"{result[name]:.3f}" for name in ("dummy", "naive", "well_built", "with_leak"))
        row = f"| {domain} | {'R^2' if result['metric'] == 'r2' else 'ROC AUC'} | {scores} |"
        assert row.replace("-0.000", "0.000") in README, row
