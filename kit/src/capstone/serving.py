"""The service's input contract: which columns a request must carry, their types, bounds and categories.

`derive` (run by build.py) writes it down from the dataset schema and the training split, as a plain
dict that is saved as reports/input_schema.json and inside the BentoML model. `record_model` (run by
service.py) turns it back into the pydantic class that checks every request. So the rules live in one
place, and a bento always checks its requests against the data its own model was trained on.

Improve the rules here, for example with business limits instead of the training range.
"""

import datetime
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

# BentoML model name of the imported champion. The store is per project (.bentoml/), so it is unique.
MODEL_NAME = "champion"
# The most records one request may hold, unless params.yaml sets bento.max_records.
MAX_RECORDS = 1000
# Numeric bounds are the training range widened by this share of it on each side (bento.bounds_margin).
BOUNDS_MARGIN = 0.5
# The longest free text a request may send, in characters.
MAX_TEXT_LENGTH = 2000


def derive(schema, train, *, max_records: int = MAX_RECORDS, margin: float = BOUNDS_MARGIN) -> dict:
    """The contract for `schema.feature_columns`, from the training rows (a pandas DataFrame).

    A column that had missing values in training is optional (the model learned to impute it);
    the others are required.
    """
    columns = []
    for name in schema.feature_columns:
        values = train[name]
        column: dict[str, Any] = dict(name=name, required=not bool(values.isna().any()))
        present = values.dropna()
        if name in schema.numeric:
            column.update(_numeric(present, margin))
        elif name in schema.categorical:
            # .tolist() gives plain Python values (str, or bool for a True/False column)
            column.update(type="category", categories=sorted(present.unique().tolist()))
        elif name in schema.dates:
            column.update(type="date")
        else:
            column.update(type="text", max_length=MAX_TEXT_LENGTH)
        columns.append(column)
    contract = dict(task=schema.task, target=schema.target, max_records=max_records, columns=columns)
    if schema.is_classification:
        contract["classes"] = sorted(train[schema.target].dropna().unique().tolist())
    return contract


def _numeric(values, margin: float) -> dict:
    if values.empty:
        return dict(type="number")
    low, high = float(values.min()), float(values.max())
    # Widen the observed range: new data may go a little beyond it; a typo or a unit error will not.
    widen = margin * (high - low) if high > low else margin * max(abs(high), 1.0)
    minimum, maximum = low - widen, high + widen
    if low >= 0:
        minimum = max(minimum, 0.0)  # a column that was never negative stays non-negative
    if bool((values % 1 == 0).all()):
        return dict(type="integer", minimum=math.floor(minimum), maximum=math.ceil(maximum))
    return dict(type="number", minimum=_round(minimum, math.floor), maximum=_round(maximum, math.ceil))


def _round(value: float, direction) -> float:
    """Four decimals, rounded outwards, so the bound never cuts off an observed value."""
    return direction(value * 10_000) / 10_000


# --- from the contract to pydantic classes (service.py) --------------------------------------------


def record_model(contract: dict) -> type[BaseModel]:
    """One request record: every feature column, checked; unknown fields are refused.

    Column names may hold spaces or punctuation ("Monthly Charges ($)"), so each field has a plain
    Python name (c0, c1, ...) and the column name as its alias: requests, errors and the OpenAPI
    schema all use the column name.
    """
    fields = {}
    for index, column in enumerate(contract["columns"]):
        kind, constraints = _field_type(column)
        if column["required"]:
            fields[f"c{index}"] = (kind, Field(alias=column["name"], title=column["name"], **constraints))
        else:
            fields[f"c{index}"] = (
                kind | None,
                Field(default=None, alias=column["name"], title=column["name"], **constraints),
            )
    return create_model("Record", __config__=ConfigDict(extra="forbid"), **fields)


def _field_type(column: dict) -> tuple[Any, dict]:
    kind = column["type"]
    if kind == "integer":
        return Annotated[int, BeforeValidator(_json_number)], _bounds(column)
    if kind == "number":
        return Annotated[float, BeforeValidator(_json_number)], dict(allow_inf_nan=False, **_bounds(column))
    if kind == "category":
        return Literal[tuple(column["categories"])], {}
    if kind == "date":
        return Annotated[datetime.date, BeforeValidator(_json_text)], dict(description="a date, YYYY-MM-DD")
    return str, dict(max_length=column.get("max_length", MAX_TEXT_LENGTH))


# Why: pydantic would turn "42" or true into the number 42 or 1, and 0 into the date 1970-01-01.
# A client that sends those has a bug; it should hear so (400), not get an answer to another question.
def _json_number(value):
    if isinstance(value, str | bool):
        raise ValueError("Input should be a JSON number, not text or true/false")
    return value


def _json_text(value):
    if not isinstance(value, str):
        raise ValueError("Input should be a date as text, YYYY-MM-DD")
    return value


def _bounds(column: dict) -> dict:
    return {key: column[name] for key, name in (("ge", "minimum"), ("le", "maximum")) if name in column}


def prediction_model(contract: dict) -> type[BaseModel]:
    """One answer: the prediction, plus the probability of each class for a classifier."""
    if contract["task"] == "regression":
        return create_model("Estimate", prediction=(float, Field(description="the estimated target")))
    classes = contract["classes"]
    if all(isinstance(value, int) for value in classes):
        label = int
    elif all(isinstance(value, int | float) for value in classes):
        label = float
    else:
        label = str
    return create_model(
        "Prediction",
        prediction=(label, Field(description="the predicted class")),
        probabilities=(
            dict[str, float] | None,
            Field(default=None, description="the probability of each class (None if the model has none)"),
        ),
    )
