"""The service's input contract: which columns a request must carry, their types, bounds and categories.

`derive` (run by build.py) writes it down from the dataset schema and the training split, as a plain
dict that is saved as reports/input_schema.json and inside the BentoML model. `record_model` (run by
service.py) turns it back into the pydantic class that checks every request. So the rules live in one
place, and a bento always checks its requests against the data its own model was trained on.

Improve the rules here, for example with business limits instead of the training range.
"""

import datetime
import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model

# BentoML model name of the imported champion. The store is per project (.bentoml/), so it is unique.
MODEL_NAME = "champion"
# The most records one request may hold, unless params.yaml sets bento.max_records.
MAX_RECORDS = 1000
# Numeric bounds are the training range widened by this share of it on each side (bento.bounds_margin).
BOUNDS_MARGIN = 0.5
# The longest free text a request may send, in characters.
MAX_TEXT_LENGTH = 2000
# How many of a column's known categories the OpenAPI description shows.
SHOWN_CATEGORIES = 20


def derive(schema, train, *, max_records: int = MAX_RECORDS, margin: float = BOUNDS_MARGIN) -> dict:
    """The contract for `schema.feature_columns`, from the training rows (a pandas DataFrame).

    Closed where the world is closed, open where it is not:
    - every column must be sent, unless it had missing values in training (then it may be left
      out); any column may be null (the model imputes a missing value, as robust-inference demands);
    - numbers keep to the training range, widened; a column read as integers takes whole numbers,
      any other numeric column takes any number (88.5 in a column of whole numbers stored as floats);
    - categories, free text, ids and dates take values training never saw: a new customer, a new
      comment, a new day, a new plan (the model handles unseen categories). The known categories
      are listed, not enforced; a text column with more distinct values than a category may have
      is free text.
    """
    from capstone.dataset import MAX_CATEGORIES

    ids = _id_columns(schema)
    limit = getattr(schema, "max_categories", None) or MAX_CATEGORIES
    columns = []
    for name in schema.feature_columns:
        values = train[name]
        column: dict[str, Any] = dict(name=name, required=not bool(values.isna().any()))
        present = values.dropna()
        if name in ids:
            column.update(_identifier(values))
        elif name in schema.numeric:
            column.update(_numeric(values, margin))
        elif name in schema.dates:
            column.update(_date(present))
        elif name in schema.categorical and present.nunique() <= limit:
            # .tolist() gives plain Python values (str, or bool for a True/False column)
            column.update(type="category", categories=sorted(present.unique().tolist()))
        else:
            column.update(type="text", max_length=MAX_TEXT_LENGTH)
        columns.append(column)
    contract = dict(task=schema.task, target=schema.target, max_records=max_records, columns=columns)
    if schema.is_classification:
        contract["classes"] = sorted(train[schema.target].dropna().unique().tolist())
    return contract


def _id_columns(schema) -> set[str]:
    """The schema's id columns (a custom CSV's `ids` role, a domain's id column), if any."""
    found = {*(getattr(schema, "ids", None) or ()), *(getattr(schema, "id_columns", None) or ())}
    single = getattr(schema, "id_column", None)
    return found | ({single} if single else set())


def _identifier(values) -> dict:
    """An id is any value: a new customer has a new one, beyond any range seen in training."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(values):
        return dict(type="integer", role="id")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return dict(type="number", role="id")
    return dict(type="text", role="id", max_length=MAX_TEXT_LENGTH)


def _numeric(values, margin: float) -> dict:
    import pandas as pd

    # Only a column read as integers is an integer column: whole numbers stored as floats
    # (88.0, 92.0) are measurements that may be 88.5 tomorrow.
    kind = "integer" if pd.api.types.is_integer_dtype(values) else "number"
    values = values.dropna()
    if values.empty:
        return dict(type=kind)
    low, high = float(values.min()), float(values.max())
    # Widen the observed range: new data may go a little beyond it; a typo or a unit error will not.
    widen = margin * (high - low) if high > low else margin * max(abs(high), 1.0)
    minimum, maximum = low - widen, high + widen
    if low >= 0:
        minimum = max(minimum, 0.0)  # a column that was never negative stays non-negative
    if kind == "integer":
        return dict(type=kind, minimum=math.floor(minimum), maximum=math.ceil(maximum))
    return dict(type=kind, minimum=_round(minimum, math.floor), maximum=_round(maximum, math.ceil))


def _date(values) -> dict:
    """A checked date when training had plain dates (YYYY-MM-DD); else text the model parses itself.

    A custom CSV may hold timestamps or 03/14/2024: a client sends them as training had them.
    """
    text = values.astype("str")
    if text.empty or bool(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()):
        return dict(type="date")
    return dict(type="text", role="date", max_length=MAX_TEXT_LENGTH)


def _round(value: float, direction) -> float:
    """Four decimals, rounded outwards, so the bound never cuts off an observed value."""
    return direction(value * 10_000) / 10_000


# --- from the contract to pydantic classes (service.py) --------------------------------------------


def record_model(contract: dict) -> type[BaseModel]:
    """One request record: every feature column, checked; unknown fields are refused.

    A required column must be sent, an optional one may be left out; either may be null (a value
    the client does not know, which the model imputes).

    Column names may hold spaces or punctuation ("Monthly Charges ($)"), so each field has a plain
    Python name (c0, c1, ...) and the column name as its alias: requests, errors and the OpenAPI
    schema all use the column name.
    """
    fields = {}
    for index, column in enumerate(contract["columns"]):
        kind, constraints = _field_type(column)
        name, optional = column["name"], {} if column["required"] else dict(default=None)
        fields[f"c{index}"] = (kind | None, Field(alias=name, title=name, **optional, **constraints))
    return create_model("Record", __config__=ConfigDict(extra="forbid"), **fields)


def _field_type(column: dict) -> tuple[Any, dict]:
    kind = column["type"]
    if kind == "integer":
        return Annotated[int, BeforeValidator(_json_number)], _bounds(column)
    if kind == "number":
        return Annotated[float, BeforeValidator(_json_number)], dict(allow_inf_nan=False, **_bounds(column))
    if kind == "category":
        known = column["categories"]
        if known and all(isinstance(value, bool) for value in known):
            return StrictBool, {}  # true or false: there is nothing else to see
        shown = ", ".join(str(value) for value in known[:SHOWN_CATEGORIES])
        more = ", ..." if len(known) > SHOWN_CATEGORIES else ""
        # Open: a new plan or a typo reaches the model, which treats it as an unseen category.
        description = f"a category; seen in training: {shown}{more} (others are accepted)"
        return str, dict(max_length=MAX_TEXT_LENGTH, description=description)
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
