"""Contract tests: what a client of the service may rely on, checked over HTTP on a running server.

`capstone check 5` runs them against the real service and then against broken copies of it; tests
that still pass on a broken copy protect nothing, and the contract-tests gate fails.
"""


def test_the_example_request_gets_an_answer(client, example):
    response = client.post("/predict", json=example)
    assert response.status_code == 200, response.text


# --- stage 5 (docs/stages/5-deployment.md): a test per promise a client relies on: one answer per
# record, with the right shape; a 4xx that names the field for each kind of malformed request
# (a missing field, a wrong type, an unknown field, an empty or too long list, broken JSON) ---
