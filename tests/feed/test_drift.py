"""Later batches drift the way company data does, measurably, and the answer key records it."""

from datetime import datetime

import numpy as np
import pytest
from capstone.feed import DOMAINS as SPECS

from .settings import DOMAINS


def _events(key):
    return {(event["kind"], event["column"]): event for event in key["drift"]}


@pytest.mark.parametrize("domain", DOMAINS)
def test_batch_one_has_no_drift_and_every_event_is_recorded_from_its_batch(domain, batches):
    for batch in (1, 2, 3, 4):
        _, _, key = batches(domain, batch)
        expected = {(e.kind, e.column) for e in SPECS[domain].drift if e.from_batch <= batch}
        assert set(_events(key)) == expected
    assert _events(batches(domain, 1)[2]) == {}
    second = {kind for kind, _ in _events(batches(domain, 2)[2])}
    assert second == {"new_category", "distribution_shift", "concept_drift"}


@pytest.mark.parametrize("domain", DOMAINS)
def test_batch_two_has_a_new_category(domain, batches):
    first, _, _ = batches(domain, 1)
    second, _, key = batches(domain, 2)
    event = _events(key)["new_category", next(c for k, c in _events(key) if k == "new_category")]
    column, value = event["column"], event["params"]["value"]
    assert value not in set(first[column])
    assert (second[column] == value).mean() > 0.05


@pytest.mark.parametrize("domain", DOMAINS)
def test_batch_two_has_a_measurably_shifted_distribution(domain, batches):
    first, _, _ = batches(domain, 1, rows=20_000)
    second, _, key = batches(domain, 2, rows=20_000)
    event = next(event for event in key["drift"] if event["kind"] == "distribution_shift")
    # prices and rates are skewed: compare means on the log scale
    before, after = np.log(first[event["column"]].astype(float)), np.log(second[event["column"]].astype(float))
    standard_error = np.sqrt(before.var() / len(before) + after.var() / len(after))
    assert after.mean() - before.mean() > 4 * standard_error, "the shift is more than 4 standard errors"


@pytest.mark.parametrize("domain", DOMAINS)
def test_batch_three_changes_a_unit_and_batch_four_a_format(domain, batches):
    second, _, _ = batches(domain, 2)
    third, _, key3 = batches(domain, 3)
    unit = next(event for event in key3["drift"] if event["kind"] == "unit_change")
    ratio = third[unit["column"]].median() / second[unit["column"]].median()
    assert ratio == pytest.approx(unit["params"]["multiply_by"], rel=0.15)

    fourth, _, key4 = batches(domain, 4)
    change = next(event for event in key4["drift"] if event["kind"] == "format_change")
    values = fourth[change["column"]].dropna()
    assert all(datetime.strptime(value, change["params"]["format"]) for value in values.head(200))
    assert third[change["column"]].str.fullmatch(r"\d\d\d\d-\d\d-\d\d").all()


@pytest.mark.parametrize("domain", DOMAINS)
def test_batches_never_share_an_id(domain, batches):
    spec = SPECS[domain]
    first, _, _ = batches(domain, 1)
    second, _, _ = batches(domain, 2)
    assert not set(first[spec.id_column]) & set(second[spec.id_column])
