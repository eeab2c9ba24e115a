"""Every catalogued defect is in the batch at its declared rate, exactly where the answer key says.

Tolerance: the observed share of rows may differ from the declared rate by 20 % of the rate or by
0.1 percentage point, whichever is larger. Counts are exact by construction except for two reasons
the tolerance covers: a unit mix-up affects every row of one source system (a random share), and a
duplicated row inherits the defects of the row it copies.
"""

import math
import re
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from capstone.feed import DOMAINS as SPECS
from capstone.feed import generate_batch
from capstone.feed.defects import KINDS, ROW_KINDS
from capstone.feed.io import dumps, read_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .settings import DOMAINS

RELATIVE_TOLERANCE = 0.20
ABSOLUTE_TOLERANCE = 0.001
ISSUE_KINDS = set(KINDS)  # the issue's list, one kind each: every domain has every kind
TARGETS = dict(
    churn=("churned", "binary"), credit_default=("defaulted", "binary"), house_prices=("sale_price", "regression")
)


def cells(series: pd.Series) -> list:
    """A column as plain Python values, None where missing."""
    return [None if _missing(value) else (value.item() if hasattr(value, "item") else value) for value in series]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def cell_entries(key):
    return [entry for entry in key["defects"] if entry["kind"] not in (*ROW_KINDS, "leaky_column")]


# --- the catalogue -----------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_every_kind_of_defect(domain):
    assert {spec.kind for spec in SPECS[domain].defects} == ISSUE_KINDS


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_schema_is_company_like(domain, batches):
    spec = SPECS[domain]
    clean, dirty, key = batches(domain)
    assert 12 <= len(spec.columns) <= 25
    kinds = {column.kind for column in spec.columns}
    assert {"id", "int", "float", "category", "date", "text", "target"} <= kinds
    assert (spec.target, spec.task) == TARGETS[domain]
    assert list(dirty.columns) == spec.names
    assert clean.isna().sum().sum() == 0, "the clean version has no missing values"
    assert clean[spec.id_column].is_unique, "ids are unique before the id collisions"


def test_credit_default_has_about_5_to_10_percent_positives(batches):
    _, dirty, _ = batches("credit_default")
    assert 0.05 <= dirty["defaulted"].mean() <= 0.10


# --- rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_defect_is_present_at_its_declared_rate(domain, batches):
    _, _, key = batches(domain)
    entries = {(entry["kind"], entry["column"]): entry for entry in key["defects"]}
    for spec in SPECS[domain].defects:
        entry = entries[spec.kind, spec.column]
        assert entry["rate"] == spec.rate
        if spec.kind == "leaky_column":
            assert entry["rows"] is None
            continue
        observed = entry["count"] / key["rows"]
        tolerance = max(RELATIVE_TOLERANCE * spec.rate, ABSOLUTE_TOLERANCE)
        assert abs(observed - spec.rate) <= tolerance, f"{spec.kind} {spec.column}: {observed:.4f} vs {spec.rate}"
        assert entry["count"] == len(entry["rows"]) > 0


# --- exactly where the key says -----------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_answer_key_accounts_for_every_changed_cell(domain, batches):
    """Undo every cell defect with the key's original values: the result is the clean batch, with
    duplicates in place of the rows they overwrote. So no cell changed without the key saying so."""
    clean, dirty, key = batches(domain)
    restored = dict((name, cells(dirty[name])) for name in dirty.columns)
    for entry in cell_entries(key):
        column = restored[entry["column"]]
        for row, original in zip(entry["rows"], entry["original"], strict=True):
            assert column[row] != original, f"{entry['kind']} did not change {entry['column']} row {row}"
            column[row] = original
    expected = dict((name, cells(clean[name])) for name in clean.columns)
    skip = set()
    for entry in key["defects"]:
        if entry["kind"] in ROW_KINDS:
            for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
                for name in expected:
                    expected[name][row] = expected[name][source]
                if entry["kind"] == "near_duplicate":
                    skip |= {(row, name) for name in entry["params"]["changed_columns"]}
    for name in expected:
        for row, (got, want) in enumerate(zip(restored[name], expected[name], strict=True)):
            if (row, name) not in skip:
                assert got == want, f"{name} row {row}: {got!r} != {want!r} and the key does not say why"


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_defect_looks_like_its_kind(domain, batches):
    clean, dirty, key = batches(domain)
    specs = {(spec.kind, spec.column): spec for spec in SPECS[domain].defects}
    for entry in key["defects"]:
        check = CHECKS.get(entry["kind"])
        if check:
            check(entry, dirty, clean, specs[entry["kind"], entry["column"]])


def _check_duplicate(entry, dirty, clean, spec):
    changed = set(entry["params"].get("changed_columns", []))
    for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
        assert row != source
        same = [name for name in dirty.columns if cells(dirty[name].iloc[[row]]) == cells(dirty[name].iloc[[source]])]
        if entry["kind"] == "exact_duplicate":
            assert len(same) == len(dirty.columns), f"row {row} is not an exact copy of row {source}"
        else:
            assert set(dirty.columns) - set(same) <= changed and set(dirty.columns) - set(same), row


def _check_id_collision(entry, dirty, clean, spec):
    ids = dirty[entry["column"]]
    for row, source, original in zip(entry["rows"], entry["source_rows"], entry["original"], strict=True):
        assert ids.iloc[row] == ids.iloc[source] != original
        # a different record behind the same id
        others = dirty.drop(columns=[entry["column"]])
        assert cells(others.iloc[row]) != cells(others.iloc[source])


def _check_unit_mixup(entry, dirty, clean, spec):
    source_rows = set(np.flatnonzero(dirty[spec.params["source_column"]] == spec.params["source"]).tolist())
    assert set(entry["rows"]) <= source_rows
    assert len(entry["rows"]) >= 0.9 * len(source_rows), "nearly every row of the source system is affected"
    got = dirty[entry["column"]].iloc[entry["rows"]].to_numpy(dtype=float)
    original = np.array(entry["original"], dtype=float)
    if "multiply_by" in spec.params:
        np.testing.assert_allclose(got, original * spec.params["multiply_by"], rtol=1e-9)
    else:
        np.testing.assert_array_equal(got, np.floor(original / spec.params["divide_by"]))


def _check_missing(entry, dirty, clean, spec):
    assert dirty[entry["column"]].iloc[entry["rows"]].isna().all()
    if entry["kind"] == "missing_dependent":
        table = dict((name, clean[name].to_numpy()) for name in clean.columns)
        likely = spec.weights(table) > 1
        missing = np.zeros(len(dirty), dtype=bool)
        missing[entry["rows"]] = True
        assert missing[likely].mean() > 3 * missing[~likely].mean(), "missingness depends on the other column"


def _check_variant(entry, dirty, clean, spec):
    synonyms = spec.params.get("synonyms", dict())
    for value, original in zip(cells(dirty[entry["column"]].iloc[entry["rows"]]), entry["original"], strict=True):
        same_words = " ".join(value.split()).casefold() == original.casefold()
        assert same_words or value in synonyms.get(original, []), (value, original)


def _check_impossible(entry, dirty, clean, spec):
    assert (dirty[entry["column"]].iloc[entry["rows"]] < 0).all()


def _check_sentinel(entry, dirty, clean, spec):
    assert (dirty[entry["column"]].iloc[entry["rows"]] == spec.params["value"]).all()


def _check_dates(entry, dirty, clean, spec):
    column = dirty[entry["column"]]
    iso = column.str.fullmatch(r"\d\d\d\d-\d\d-\d\d").fillna(True).to_numpy()
    assert set(np.flatnonzero(~iso).tolist()) == set(entry["rows"]), "exactly the key's rows are not ISO"
    for value, original in zip(column.iloc[entry["rows"]], entry["original"], strict=True):
        parsed = {_parse(value, fmt) for fmt in spec.params["formats"]} - {None}
        assert original in parsed, (value, original)


def _parse(value, fmt):
    try:
        return datetime.strptime(value, fmt).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _check_outlier(entry, dirty, clean, spec):
    ratio = dirty[entry["column"]].iloc[entry["rows"]].to_numpy(dtype=float) / np.array(entry["original"])
    assert ((ratio > 0.95 * spec.params["min_factor"]) & (ratio < 1.05 * spec.params["max_factor"])).all()


def _check_label_noise(entry, dirty, clean, spec):
    got = dirty[entry["column"]].iloc[entry["rows"]].to_numpy(dtype=float)
    original = np.array(entry["original"], dtype=float)
    if spec.params["how"] == "flip":
        np.testing.assert_array_equal(got, 1 - original)
    else:
        ratio = got / original
        assert (((ratio > 0.34) & (ratio < 0.61)) | ((ratio > 1.59) & (ratio < 2.51))).all()


CHECKS = dict(
    exact_duplicate=_check_duplicate,
    near_duplicate=_check_duplicate,
    id_collision=_check_id_collision,
    unit_mixup=_check_unit_mixup,
    missing_random=_check_missing,
    missing_dependent=_check_missing,
    category_variant=_check_variant,
    impossible_value=_check_impossible,
    sentinel=_check_sentinel,
    mixed_date_format=_check_dates,
    outlier=_check_outlier,
    label_noise=_check_label_noise,
)


def test_the_leaky_column_gives_the_answer_away(batches):
    clean, _, _ = batches("churn")
    contacted = clean["retention_team_contacted"] == "yes"
    assert contacted[clean["churned"] == 1].mean() > 0.85 and contacted[clean["churned"] == 0].mean() < 0.1
    clean, _, _ = batches("credit_default")
    assert ((clean["recovery_amount"] > 0) == (clean["defaulted"] == 1)).all()
    clean, _, _ = batches("house_prices")
    implied = clean["price_per_sqft"] * clean["living_area_sqft"]
    assert (abs(implied / clean["sale_price"] - 1) < 0.01).all()


# --- the answer key's format -----------------------------------------------------------------------


ENTRY_KEYS = {"kind", "column", "rate", "description", "params", "rows", "original", "source_rows", "count"}
KEY_KEYS = {"format", "domain", "seed", "batch", "rows", "with_defects", "target", "task", "id_column"}
KEY_KEYS |= {"leaky_columns", "columns", "defects", "drift"}


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_answer_key_has_the_documented_shape(domain, batches, tmp_path):
    _, dirty, key = batches(domain)
    assert set(key) == KEY_KEYS and key["format"] == 1
    assert key["columns"] == dict((column.name, column.kind) for column in SPECS[domain].columns)
    for entry in key["defects"]:
        assert set(entry) == ENTRY_KEYS
        assert entry["kind"] in KINDS
        if entry["rows"] is not None:
            assert entry["rows"] == sorted(entry["rows"]) and all(isinstance(row, int) for row in entry["rows"])
            assert entry["rows"][0] >= 0 and entry["rows"][-1] < len(dirty)
        if entry["original"] is not None:
            assert len(entry["original"]) == len(entry["rows"])
        if entry["kind"] in (*ROW_KINDS, "id_collision"):
            assert len(entry["source_rows"]) == len(entry["rows"])
    path = tmp_path / "key.json"
    path.write_text(dumps(key), encoding="utf-8")
    assert read_json(path) == key
    assert re.search(r"\n    \{\"column\"", path.read_text()), "one line per entry"


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    domain=st.sampled_from(DOMAINS),
    rows=st.integers(100, 800),
    seed=st.integers(0, 2**32),
    batch=st.integers(1, 6),
)
def test_the_key_is_exact_for_any_size_seed_and_batch(domain, rows, seed, batch):
    clean, _ = generate_batch(domain, rows, seed, batch, defects=False)
    dirty, key = generate_batch(domain, rows, seed, batch)
    assert len(dirty) == key["rows"] == rows
    test_the_answer_key_accounts_for_every_changed_cell(domain, lambda *args, **kwargs: (clean, dirty, key))
