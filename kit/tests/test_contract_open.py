"""The service contract (capstone.serving) is open where the world is open, strict where it is closed.

Built from a schema and training rows as the bento stage builds it, and checked with its pydantic
record class, without a server: every record the robust-inference gate sends (probes.robustness_cases)
passes, and so do a new date, a new comment, a new id, 88.5 in a column of whole numbers stored as
floats and a null; a record without a required field, with text for a number or with an unknown
field does not.
"""

import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from capstone.checkpoints.probes import BAD_DATES, ROBUSTNESS_CASES, robustness_cases
from capstone.dataset import DatasetSchema, load_schema
from capstone.serving import derive, record_model
from kitdata import params_document
from pydantic import ValidationError

ROWS = 400


@dataclass(frozen=True)
class WithIds(DatasetSchema):
    """A schema with an id role (the custom CSV's column roles), as the contract builder reads it."""

    ids: tuple[str, ...] = ()


def frame(rows: int, seed: int) -> pd.DataFrame:
    """Rows with every kind of column: an integer count, whole numbers stored as floats, a float with
    holes, a category, an id, a plain date, a timestamp, a mostly empty comment, a reference with many
    values, and a binary target."""
    rng = np.random.default_rng(seed)
    comments = np.array(["late delivery", "great service", "asked for a refund"], dtype=object)
    income = rng.normal(50_000, 9_000, rows).round(2)
    income[rng.random(rows) < 0.2] = np.nan
    day = pd.Timestamp("2023-01-01")
    return pd.DataFrame(
        {
            "customer_id": np.arange(rows) + 1000 * seed,
            "visits": rng.integers(0, 30, rows),
            "score": rng.integers(60, 100, rows).astype("float64"),  # 88.0, 92.0, ...: read as floats
            "income": income,
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "signup_date": (day + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")).strftime("%Y-%m-%d"),
            # a timestamp, as a custom CSV may hold one
            "last_visit": (day + pd.to_timedelta(rng.integers(0, 10**7, rows), unit="s")).strftime("%Y-%m-%d %H:%M"),
            "comment": np.where(rng.random(rows) < 0.85, None, rng.choice(comments, rows)),
            "referrer": [f"campaign-{value}" for value in rng.integers(0, 200, rows)],
            "churned": rng.choice(["yes", "no"], rows),
        }
    )


def as_csv_reads_it(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as the split stage's CSV gives them to the bento stage."""
    return pd.read_csv(io.StringIO(rows.to_csv(index=False)))


@pytest.fixture(scope="module")
def schema() -> WithIds:
    return WithIds(
        target="churned",
        task="binary",
        ids=("customer_id",),
        numeric=("customer_id", "visits", "score", "income"),
        categorical=("plan", "referrer"),  # referrer: 200 values, more than a category may have
        dates=("signup_date", "last_visit"),
        text=("comment",),
    )


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return as_csv_reads_it(frame(ROWS, seed=1))


@pytest.fixture(scope="module")
def contract(schema, train) -> dict:
    return derive(schema, train)


@pytest.fixture(scope="module")
def Record(contract):
    return record_model(contract)


def records(rows: pd.DataFrame, schema) -> list[dict]:
    """Rows as a client sends them: the feature columns, NaN as null."""
    return json.loads(rows[list(schema.feature_columns)].to_json(orient="records"))


def refusals(Record, record: dict) -> list[tuple[str, str]]:
    """(field, error type) of each problem the contract finds in `record` ([] when it is accepted)."""
    try:
        Record.model_validate(record)
    except ValidationError as error:
        return [(".".join(str(part) for part in problem["loc"]), problem["type"]) for problem in error.errors()]
    return []


def test_the_contract_types_each_column_by_what_it_may_hold(contract):
    kinds = {column["name"]: column for column in contract["columns"]}
    assert {name: column["type"] for name, column in kinds.items()} == {
        "customer_id": "integer",
        "visits": "integer",
        "score": "number",  # whole numbers stored as floats are not integers
        "income": "number",
        "plan": "category",
        "referrer": "text",  # more values than a category may have
        "signup_date": "date",
        "last_visit": "text",  # timestamps: the model parses them as training had them
        "comment": "text",
    }
    assert kinds["customer_id"]["role"] == "id" and "maximum" not in kinds["customer_id"]
    assert kinds["plan"]["categories"] == ["basic", "plus", "pro"]
    assert [name for name, column in kinds.items() if not column["required"]] == ["income", "comment"]


@pytest.mark.parametrize("case", ROBUSTNESS_CASES)
def test_the_contract_accepts_what_robust_inference_sends(schema, Record, contract, case):
    later = frame(60, seed=2)  # other customers, other days, other comments
    cases = robustness_cases(later, schema)
    assert set(cases) == set(ROBUSTNESS_CASES)
    problems = [refusals(Record, record) for record in records(cases[case], schema)]
    if case == BAD_DATES:
        # "not a date" where the contract checks dates is a client's bug: refused, naming the field
        # (the model's robustness to it is for rows that never pass the service: files, batches).
        assert all(found == [("signup_date", "date_from_datetime_parsing")] for found in problems), problems
    else:
        assert all(found == [] for found in problems), problems


def test_a_new_observation_is_accepted(Record, schema):
    record = records(frame(1, seed=3), schema)[0]
    record.update(
        customer_id=10**9,  # a new customer, far beyond the training ids
        signup_date="2031-07-14",  # a day training never saw
        last_visit="2031-07-14 08:15:00",
        comment="the app crashed twice during checkout",  # a comment nobody wrote before
        plan="enterprise",  # a plan launched after training
        referrer="a brand-new campaign",
        score=88.5,  # whole numbers in training, a measurement all the same
        visits=12.0,  # a whole number sent as a float
    )
    assert refusals(Record, record) == []


def test_null_is_accepted_where_a_value_is_unknown(Record, schema):
    record = records(frame(1, seed=4), schema)[0]
    assert refusals(Record, {**record, "income": None, "comment": None}) == []
    optional_left_out = {name: value for name, value in record.items() if name not in ("income", "comment")}
    assert refusals(Record, optional_left_out) == []


def test_the_contract_still_refuses_client_mistakes(Record, schema):
    record = records(frame(1, seed=5), schema)[0]
    assert refusals(Record, record) == []
    without_visits = {name: value for name, value in record.items() if name != "visits"}
    assert refusals(Record, without_visits) == [("visits", "missing")]
    assert refusals(Record, {**record, "score": "88"}) == [("score", "value_error")]  # text for a number
    assert refusals(Record, {**record, "plan": 12345}) == [("plan", "string_type")]  # a number for a category
    assert refusals(Record, {**record, "visits": 12.5}) == [("visits", "int_from_float")]  # an integer count
    assert refusals(Record, {**record, "signup_date": "2024-02-30"}) == [("signup_date", "date_from_datetime_parsing")]
    assert refusals(Record, {**record, "score": 10**6}) == [("score", "less_than_equal")]  # a unit error
    assert refusals(Record, {**record, "not_a_column": 1}) == [("not_a_column", "extra_forbidden")]


@pytest.mark.parametrize("domain", ["churn", "credit_default", "house_prices"])
def test_a_built_in_domain_contract_accepts_what_robust_inference_sends(domain):
    from capstone.checkpoints.probes import read_back
    from capstone.config import Params
    from capstone.feed import generate_batch

    schema = load_schema(Params.model_validate(params_document("any", dataset=domain)))
    rows = read_back(generate_batch(domain, rows=1200, seed=7, batch=1, defects=False)[0])  # as train.csv reads
    Record = record_model(derive(schema, rows.iloc[:1000]))
    for case, sent in robustness_cases(rows.iloc[1000:1050], schema).items():
        problems = [refusals(Record, record) for record in records(sent, schema)]
        if case == BAD_DATES:
            assert all(found and {kind for _, kind in found} == {"date_from_datetime_parsing"} for found in problems)
        else:
            assert all(found == [] for found in problems), (case, problems)


def test_a_custom_csv_contract_is_open_to_new_dates_comments_and_ids(tmp_path):
    """A custom CSV as the schema reads it: its dates, comments and ids are strings to the schema."""
    from capstone.config import Params

    data = frame(ROWS, seed=6)
    data["customer_id"] = [f"C-{value:06d}" for value in data["customer_id"]]
    (tmp_path / "data.csv").write_text(data.to_csv(index=False))
    settings = dict(custom_csv=dict(path="data.csv", target="churned", task="binary"))
    schema = load_schema(Params.model_validate(params_document("any", dataset="custom_csv", data=settings)), tmp_path)
    train = pd.read_csv(tmp_path / "data.csv")
    Record = record_model(derive(schema, train))
    for case, rows in robustness_cases(frame(60, seed=7).astype({"customer_id": "str"}), schema).items():
        problems = [refusals(Record, record) for record in records(rows, schema)]
        if case != BAD_DATES:
            assert all(found == [] for found in problems), (case, problems)
    record = records(train.head(1), schema)[0]
    new = dict(customer_id="C-999999", signup_date="2031-07-14", comment="a comment nobody wrote before")
    new = {name: value for name, value in new.items() if name in record}
    assert refusals(Record, {**record, **new, "score": 88.5}) == []
