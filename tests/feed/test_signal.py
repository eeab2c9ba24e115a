"""Every domain has a real signal: tuned gradient boosting on the clean data clearly beats a linear
model on the raw numeric columns, which clearly beats a dummy (capstone/feed/quality.py)."""

import pytest
from capstone.feed.quality import measure

from .settings import DOMAINS

# ROC AUC for the binary domains, R^2 for house prices.
MARGINS = dict(binary=(0.05, 0.10), regression=(0.08, 0.30))  # (boosting over linear, linear over dummy)
ROWS = 12_000


@pytest.mark.parametrize("domain", DOMAINS)
def test_boosting_beats_linear_beats_dummy(domain):
    result = measure(domain, rows=ROWS, seed=42, grid="small")
    over_linear, over_dummy = MARGINS["regression" if result["metric"] == "r2" else "binary"]
    summary = (
        f"{domain}: dummy {result['dummy']:.3f}, linear {result['naive']:.3f}, boosting {result['well_built']:.3f}"
    )
    assert result["well_built"] >= result["naive"] + over_linear, summary
    assert result["naive"] >= result["dummy"] + over_dummy, summary
    assert result["with_leak"] > result["well_built"], "the leaky column makes the model look better"
