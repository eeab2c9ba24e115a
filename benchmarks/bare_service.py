"""The serving floor: the champion behind a bare uvicorn + Starlette endpoint, one worker, no BentoML.

Run with a baked team repo's Python, from that repo's root, after `make pipeline`:

    PORT=3100 .venv/bin/python <template>/benchmarks/bare_service.py

It loads the same model the bento serves (the champion imported into .bentoml/, see reports/bento.json)
and does the same work per request as the team's service.py: check the records against the same
input contract (capstone.serving), build the same DataFrame, predict (and predict_proba for a
classifier). What BentoML adds on top (its HTTP stack, adaptive batching, metrics, tracing) is the
difference benchmarks/run.py measures. GET /readyz answers 200 once the model is loaded.
"""

import json
import os
from pathlib import Path
from typing import Annotated

import mlflow.sklearn
import pandas as pd
import uvicorn
import yaml
from pydantic import Field, TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

package = yaml.safe_load(Path("params.yaml").read_text())["project"]["package"]
contract_module = __import__("capstone.serving", fromlist=["record_model"])
# One thread per numeric library, as the team's serve.py gives the bento's worker.
__import__("capstone.pipeline.runtime", fromlist=["calm_threads"]).calm_threads()

bento = json.loads(Path("reports/bento.json").read_text())
name, version = bento["model_tag"].split(":")
model = mlflow.sklearn.load_model(str(Path(".bentoml/models") / name / version / "mlflow_model"))
CONTRACT = json.loads(Path("reports/input_schema.json").read_text())
COLUMNS = [column["name"] for column in CONTRACT["columns"]]
STRING_COLUMNS = [
    column["name"]
    for column in CONTRACT["columns"]
    if column["type"] in ("text", "date")
    or (column["type"] == "category" and all(isinstance(value, str) for value in column["categories"]))
]
NUMERIC_COLUMNS = [column["name"] for column in CONTRACT["columns"] if column["type"] in ("integer", "number")]
Record = contract_module.record_model(CONTRACT)
Records = TypeAdapter(Annotated[list[Record], Field(min_length=1, max_length=CONTRACT["max_records"])])


def plain(value):
    """numpy scalars as plain Python values, for JSON."""
    return value.item() if hasattr(value, "item") else value


CLASSES = [] if CONTRACT["task"] == "regression" else [plain(c) for c in model.classes_]


async def predict(request: Request) -> JSONResponse:
    try:
        records = Records.validate_python((await request.json())["records"])
    except (ValueError, KeyError, TypeError, ValidationError) as problem:
        return JSONResponse({"error": str(problem)[:500]}, status_code=400)
    rows = [record.model_dump(mode="json", by_alias=True) for record in records]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in NUMERIC_COLUMNS:
        frame[column] = frame[column].astype("float64")
    for column in STRING_COLUMNS:
        frame[column] = frame[column].astype("str")
    labels = model.predict(frame)
    if not CLASSES:
        return JSONResponse([{"prediction": float(value)} for value in labels])
    probabilities = model.predict_proba(frame)
    return JSONResponse(
        [
            {
                "prediction": plain(label),
                "probabilities": {str(c): round(float(p), 6) for c, p in zip(CLASSES, row, strict=True)},
            }
            for label, row in zip(labels, probabilities, strict=True)
        ]
    )


async def ready(_: Request) -> PlainTextResponse:
    return PlainTextResponse("\n")


app = Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/readyz", ready)])

if __name__ == "__main__":
    # One worker, like the bento (service.py: workers=1); no access log, the floor does the least.
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), workers=1, log_level="warning", access_log=False)
