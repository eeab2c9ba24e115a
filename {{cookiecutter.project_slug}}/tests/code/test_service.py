"""The service's contract, tested in-process through BentoML's ASGI app (no server, no port).

A good request gets 200 and one answer per record; a malformed one gets 400 with an error that names
the field. The tests serve the model the built bento names (reports/bento.json), which the pipeline's
bento stage puts in the BentoML store (`make pipeline`); before that they are skipped.
"""

import copy
import importlib
import json
import os
import warnings
from pathlib import Path

import pytest
from capstone.testing import load_params

ROOT = Path(__file__).resolve().parents[2]
BENTO = ROOT / "reports/bento.json"
EXAMPLE = ROOT / "reports/example_request.json"
os.environ.setdefault("BENTOML_HOME", str(ROOT / ".bentoml"))
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")


def _service_module():
    """The service module, imported; when there is no champion to serve yet, every test here is skipped."""
    if not BENTO.is_file() or not EXAMPLE.is_file():
        pytest.skip("no bento yet (reports/bento.json): run `make pipeline` first", allow_module_level=True)
    import bentoml
    from bentoml.exceptions import NotFound

    model_tag = json.loads(BENTO.read_text())["model_tag"]
    try:
        bentoml.models.get(model_tag)
    except NotFound:
        pytest.skip(
            f"model {model_tag} is not in the BentoML store (.bentoml/): run `make pipeline`",
            allow_module_level=True,
        )
    # The model the built bento serves, not the newest champion in the store: as `bentoml serve --arg
    # model=<tag>` passes it (BentoML keeps the --arg values in its container).
    from bentoml._internal.configuration.containers import BentoMLContainer

    BentoMLContainer.bento_arguments.set({"model": model_tag})
    package = load_params(ROOT).project.package
    module = importlib.import_module(f"{package}.serving.service")
    assert model_tag == module.MODEL_TAG, (module.MODEL_TAG, model_tag)
    return module


with warnings.catch_warnings():  # deprecation noise from inside BentoML's imports, not from this code
    warnings.simplefilter("ignore", DeprecationWarning)
    service = _service_module()
# the same noise when requests are served
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CONTRACT = service.CONTRACT
GOOD = json.loads(EXAMPLE.read_text())
RECORD = GOOD["records"][0]


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():  # Starlette asks for httpx2; httpx works the same here
        warnings.simplefilter("ignore", UserWarning)
        from starlette.testclient import TestClient

    with TestClient(service.ChampionService.to_asgi()) as test_client:  # `with` loads the model
        yield test_client


def _column(*types: str, bounded: bool = False, required: bool = False) -> str:
    for column in CONTRACT["columns"]:
        if (
            column["type"] in types
            and (not bounded or "minimum" in column)
            and (not required or column["required"])
        ):
            return column["name"]
    pytest.skip(f"the contract has no {'/'.join(types)} column")


def _with(**changes) -> dict:
    record = copy.deepcopy(RECORD)
    record.update(changes)
    return {"records": [record]}


def _error_fields(response) -> list[str]:
    return [str(part) for error in response.json()["detail"] for part in error["loc"]]


def test_the_service_is_ready(client):
    assert client.get("/readyz").status_code == 200


def test_a_good_request_gets_one_answer_per_record(client):
    response = client.post("/predict", json=GOOD)
    assert response.status_code == 200, response.text
    answers = response.json()
    assert len(answers) == len(GOOD["records"])
    for answer in answers:
        if CONTRACT["task"] == "regression":
            assert isinstance(answer["prediction"], float)
        else:
            assert answer["prediction"] in CONTRACT["classes"]
            probabilities = answer["probabilities"]
            assert sorted(probabilities) == sorted(str(label) for label in CONTRACT["classes"])
            assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_optional_columns_may_be_left_out(client):
    optional = [column["name"] for column in CONTRACT["columns"] if not column["required"]]
    record = {name: value for name, value in RECORD.items() if name not in optional}
    assert client.post("/predict", json={"records": [record]}).status_code == 200


def test_a_missing_column_is_named(client):
    name = _column("integer", "number", "category", "date", "text", required=True)
    body = {"records": [{key: value for key, value in RECORD.items() if key != name}]}
    response = client.post("/predict", json=body)
    assert response.status_code == 400 and name in _error_fields(response)


@pytest.mark.parametrize(
    "case, kinds, bad_value",
    [
        ("wrong type", ("integer", "number"), "not a number"),
        ("number as text", ("integer", "number"), "42"),
        ("number for a category", ("category",), 12345),
        ("impossible date", ("date",), "2024-02-30"),
        ("wrong type for text", ("text",), 12345),
    ],
)
def test_a_bad_value_is_named(client, case, kinds, bad_value):
    name = _column(*kinds)
    response = client.post("/predict", json=_with(**{name: bad_value}))
    assert response.status_code == 400, case
    assert name in _error_fields(response), case


def test_an_out_of_range_value_is_named(client):
    name = _column("integer", "number", bounded=True)
    low = next(column["minimum"] for column in CONTRACT["columns"] if column["name"] == name)
    response = client.post("/predict", json=_with(**{name: low - 1}))
    assert response.status_code == 400 and name in _error_fields(response)


def test_an_unknown_field_is_refused(client):
    response = client.post("/predict", json=_with(not_a_column=1))
    assert response.status_code == 400 and "not_a_column" in _error_fields(response)


@pytest.mark.parametrize("size", [0, CONTRACT["max_records"] + 1])
def test_the_number_of_records_is_bounded(client, size):
    response = client.post("/predict", json={"records": [RECORD] * size})
    assert response.status_code == 400 and "records" in _error_fields(response)


def test_invalid_json_is_refused(client):
    response = client.post("/predict", content=b'{"records": [', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
