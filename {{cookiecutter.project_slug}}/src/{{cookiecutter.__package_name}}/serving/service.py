"""The BentoML service: the champion model behind POST /predict, with every request checked first.

`python -m <package>.serving.build` (the pipeline's bento stage) imports the champion into the
project's BentoML store (.bentoml/) together with its input contract (contract.py), then builds a
bento of this file. Serve it with `make serve`; try it with `make predict-example`.

A request is {"records": [record, ...]}, 1 to max_records records, each an object with one key per
feature column (reports/example_request.json is one). The answer is a list with one object per record:
"prediction", plus "probabilities" (class -> probability) for a classifier.
A malformed request gets 400 with the field errors, from pydantic, before the model sees it;
a body declared as anything but JSON (Content-Type) gets 415.
/readyz answers 200 once the model is loaded.

Every record answered is logged, one JSON line each (features, prediction, model version, time), in
logs/requests.jsonl: serve.request_log in params.yaml; stage 6's monitoring reads it.
"""

import json
from typing import Annotated

import bentoml
from capstone.requestlog import RequestLog
from capstone.serving import MODEL_NAME, prediction_model, record_model
from pydantic import Field

with bentoml.importing():  # only needed where the service runs, not to build it
    import mlflow.sklearn
    import pandas as pd

# A built bento names the exact model it was built with (build.py passes --arg model=<tag>);
# from source (`bentoml serve <package>.serving.service`) it is the champion imported last.
MODEL_TAG = getattr(bentoml.use_arguments(), "model", None) or f"{MODEL_NAME}:latest"
champion = bentoml.models.BentoModel(MODEL_TAG)
if champion.stored is None:
    raise RuntimeError(
        f"ERROR: model {MODEL_TAG} is not in the BentoML store ($BENTOML_HOME, .bentoml/ in the repo); "
        "run: make pipeline (its bento stage imports the champion)"
    )
CONTRACT = champion.stored.info.metadata["input_schema"]
COLUMNS = [column["name"] for column in CONTRACT["columns"]]
# Columns read_csv gave as strings in training: dates, text, and categories whose values are text.
STRING_COLUMNS = [
    column["name"]
    for column in CONTRACT["columns"]
    if column["type"] in ("text", "date")
    or (column["type"] == "category" and all(isinstance(value, str) for value in column["categories"]))
]
NUMERIC_COLUMNS = [
    column["name"] for column in CONTRACT["columns"] if column["type"] in ("integer", "number")
]
MAX_RECORDS = CONTRACT["max_records"]

Record = record_model(CONTRACT)
Prediction = prediction_model(CONTRACT)
# min_length: an empty list would reach the model and fail there (500); max_length bounds the work.
Records = Annotated[list[Record], Field(min_length=1, max_length=MAX_RECORDS)]


@bentoml.service(resources={"cpu": "1"}, traffic={"timeout": 30}, workers=1)
class ChampionService:
    model_ref = champion

    def __init__(self) -> None:
        # The MLflow model as logged by training: the whole scikit-learn Pipeline, features included.
        self.model = mlflow.sklearn.load_model(self.model_ref.path_of("mlflow_model"))
        # the class labels in the order of predict_proba's columns
        self.classes = [] if CONTRACT["task"] == "regression" else [_plain(c) for c in self.model.classes_]
        # What is served, and by which model: written by a background thread (capstone.requestlog).
        self.request_log = RequestLog.for_service(model_version=str(champion.stored.tag))

    # batchable: requests that arrive together are predicted in one call (adaptive batching)
    @bentoml.api(batchable=True, max_batch_size=MAX_RECORDS)
    def predict(self, records: Records) -> list[Prediction]:
        rows = [record.model_dump(mode="json", by_alias=True) for record in records]  # dates -> "YYYY-MM-DD"
        answers = self._predict(self._frame(rows))
        self.request_log.write(rows, answers)
        return answers

    def _predict(self, frame: "pd.DataFrame") -> list[Prediction]:
        if CONTRACT["task"] == "regression":
            return [Prediction(prediction=float(value)) for value in self.model.predict(frame)]
        labels = self.model.predict(frame)
        if not hasattr(self.model, "predict_proba"):
            return [Prediction(prediction=_plain(label)) for label in labels]
        probabilities = self.model.predict_proba(frame)
        return [
            Prediction(
                prediction=_plain(label),
                probabilities={
                    str(cls): round(float(p), 6) for cls, p in zip(self.classes, row, strict=True)
                },
            )
            for label, row in zip(labels, probabilities, strict=True)
        ]

    @staticmethod
    def _frame(rows: list[dict]) -> "pd.DataFrame":
        """The records as the DataFrame the model was trained on: the feature columns, in order."""
        frame = pd.DataFrame(rows, columns=COLUMNS)
        for name in NUMERIC_COLUMNS:
            frame[name] = frame[name].astype("float64")  # a missing value (None) becomes NaN
        for name in STRING_COLUMNS:
            frame[name] = frame[name].astype("str")  # pandas' string dtype, as read_csv gives
        return frame


def _plain(value):
    """numpy scalars (numpy.int64, ...) as plain Python values, for the JSON answer."""
    return value.item() if hasattr(value, "item") else value


class JsonBodiesOnly:
    """ASGI middleware: a POST whose Content-Type names anything but JSON gets 415 before BentoML parses it.

    Why: BentoML answered `Content-Type: multipart/form-data` on /predict with a 500 and a traceback
    (found by schemathesis in the template's reliability tests). No Content-Type at all is accepted.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            declared = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
            if declared and not declared.endswith(b"json"):
                error = f"send the request as JSON (Content-Type: application/json), not {declared.decode()}"
                body = json.dumps({"error": error}).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
                await send({"type": "http.response.start", "status": 415, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


ChampionService.add_asgi_middleware(JsonBodiesOnly)
