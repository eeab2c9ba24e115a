"""The cleaning step (stage 1): same columns, rows in raw order, and the catalogued defects fixed.

The reference cleaning is measured against the feed's answer key here, with the stage 1
checkpoint's own measure (capstone.testing.fixed_shares); the cleaning code itself never reads the
key (a real team would not have one).
"""

import pytest
from capstone.testing import fixed_shares, load_spec, read_back

# The last two tests hold your cleaning to the feed's answer key, as the stage 1 checkpoint does.
# Set this to True once your clean.py fixes the defects your register found: they then run.
CLEANING_DONE = {{ "True" if cookiecutter.scaffold == "reference" else "False" }}


def test_cleaning_keeps_the_columns_and_the_row_order(delivered, cleaned):
    raw, clean = delivered[0], cleaned[0]
    assert list(clean.columns) == list(raw.columns)
    assert clean.index.is_monotonic_increasing and clean.index.isin(raw.index).all()
    assert 0 < len(clean) <= len(raw)


def test_cleaning_leaves_no_exact_duplicates(cleaned):
    assert not cleaned[0].duplicated().any()


def test_the_fixes_are_counted_per_kind(cleaned):
    fixes = cleaned[1]
    assert fixes and all(
        isinstance(kind, str) and isinstance(count, int) and count >= 0 for kind, count in fixes.items()
    )


# --- measured against the answer key (built-in companies, once CLEANING_DONE) ----------------------
# The same measure as the stage 1 checkpoint (gate cleaning-fixes-defects), imported from it.


def test_the_reference_fixes_the_catalogued_defects(params, delivered, cleaned, root):
    if not CLEANING_DONE:
        pytest.skip("set CLEANING_DONE = True in this file once clean.py fixes the defects (stage 1)")
    if delivered[1] is None:
        pytest.skip("a custom CSV has no answer key")
    gate = next(g for s in load_spec(root).stages for g in s.gates if g.id == "cleaning-fixes-defects")
    threshold = float(gate.thresholds["min_fixed_share"])
    shares = fixed_shares(delivered[1], read_back(cleaned[0], keep_index=True))
    assert {"exact_duplicate", "near_duplicate", "id_collision"} <= set(shares)
    too_low = {name: round(share, 3) for name, share in shares.items() if share < threshold}
    assert not too_low, f"fixed less than a share of {threshold} of: {too_low}"


def test_the_reference_drops_only_duplicate_copies(params, delivered, cleaned):
    if not CLEANING_DONE:
        pytest.skip("set CLEANING_DONE = True in this file once clean.py fixes the defects (stage 1)")
    if delivered[1] is None:
        pytest.skip("a custom CSV has no answer key")
    copies = sum(
        e["count"] for e in delivered[1]["defects"] if e["kind"] in ("exact_duplicate", "near_duplicate")
    )
    assert len(delivered[0]) - len(cleaned[0]) == copies
