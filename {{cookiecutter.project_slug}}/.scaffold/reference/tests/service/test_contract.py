"""Contract tests: what a client of the service may rely on, checked over HTTP on a running server.

`capstone check 5` runs them against the real service and then against broken copies of it (one
answers a client's mistake with 500, one ignores unknown fields, one answers only the first record);
each broken copy must make at least one of these tests fail.
"""

import math

import pytest

UNKNOWN_FIELD = "not_a_column"


def post(client, records: list, key: str = "records"):
    return client.post("/predict", json={key: records})


def test_each_record_gets_an_answer_of_the_right_shape(client, example, contract):
    records = (next(iter(example.values())) * 3)[:3]  # a batch: one answer per record, in order
    response = post(client, records)
    assert response.status_code == 200, response.text
    answers = response.json()
    assert len(answers) == len(records)
    classes = [str(value) for value in contract.get("classes", [])]
    for answer in answers:
        if contract["task"] == "regression":
            assert math.isfinite(answer["prediction"])
            continue
        assert str(answer["prediction"]) in classes
        assert sorted(answer["probabilities"]) == sorted(classes)
        assert math.isclose(sum(answer["probabilities"].values()), 1.0, abs_tol=1e-3)


def test_an_unknown_field_is_refused_by_name(client, record):
    # Why refuse it: a client that misspells a column would otherwise get a prediction without it.
    response = post(client, [{**record, UNKNOWN_FIELD: 1}])
    assert 400 <= response.status_code < 500, response.text
    assert UNKNOWN_FIELD in response.text


def test_a_missing_required_field_is_refused_by_name(client, record, contract):
    required = [
        column["name"] for column in contract["columns"] if column["required"] and column["name"] in record
    ]
    if not required:
        pytest.skip("every field is optional in this contract")
    del record[required[0]]
    response = post(client, [record])
    assert 400 <= response.status_code < 500, response.text
    assert required[0] in response.text


def test_a_field_of_the_wrong_type_is_refused_by_name(client, record, contract):
    numbers = [column["name"] for column in contract["columns"] if column["type"] in ("integer", "number")]
    if not numbers:
        pytest.skip("no numeric field in this contract")
    record[numbers[0]] = "not a number"
    response = post(client, [record])
    assert 400 <= response.status_code < 500, response.text
    assert numbers[0] in response.text


@pytest.mark.parametrize("size", ["empty", "too long"])
def test_a_batch_of_the_wrong_size_is_refused(client, record, contract, size):
    records = [] if size == "empty" else [record] * (contract["max_records"] + 1)
    response = post(client, records)
    assert 400 <= response.status_code < 500, response.text


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post(
        "/predict", content=b'{"records": [{', headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
