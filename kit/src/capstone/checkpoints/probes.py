"""The measurements and probes the gates share, and that the team's tests use too (capstone.testing).

Plain functions of data (frames, schemas, models, answer keys, requests): no Context, no MLflow, no
advice text. Each gate module calls them and words the result (its ADVICE).

- cleaning (stage 1):   read_back, fixed_shares, lost_records, numbers_as_text
- suites (stage 2):     covered_columns, columns_of, without_incidents, corrupted_share,
                        describe_failures, describe_corruption
- the model (stage 3):  forbidden_columns, model_columns, labelled_rows, predictions,
                        scramble_effects, robustness_cases, prediction_problem, perturb, same_arrays
- the service (stage 5): malformed_requests, names_field, answer_problems, percentile,
                        BREAKAGES and broken_copy (broken copies of a service)
"""

import io
import json
import math
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- cleaning: the feed's answer key against the team's cleaned frame -------------------------------

# The defects the cleaning gate grades, as capstone.yaml words it: duplicates removed, categories
# normalised, units fixed, impossible values fixed. A sentinel (999 days since the last login,
# a credit score of 0) is an impossible value written as a number, so it is graded with them.
GRADED = (
    "exact_duplicate",
    "near_duplicate",
    "id_collision",
    "category_variant",
    "unit_mixup",
    "impossible_value",
    "sentinel",
)
# Cell defects, measured per column ("unit_mixup:monthly_fee"); the others are whole rows.
CELL_KINDS = (
    "unit_mixup",
    "category_variant",
    "impossible_value",
    "sentinel",
    "mixed_date_format",
    "outlier",
)
# Where setting the cell to missing is a right fix (the feature pipeline imputes it later).
MISSING_IS_RIGHT = ("impossible_value", "sentinel", "outlier")


def read_back(frame, keep_index: bool = False):
    """The frame with the dtypes the next stage gets from pd.read_csv (ints with holes become floats, ...).

    keep_index: keep the frame's index (the cleaned frame's index holds the raw row positions).
    """
    import pandas as pd

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    out = pd.read_csv(buffer)
    if keep_index:
        out.index = frame.index
    return out


def survivor_of(key: dict, kept: set):
    """survivor(row) -> the kept row that stands for `row`'s record (itself or a copy), or None.

    A duplicate copy and the row it copies are one record: if either is kept, the record is.
    """
    record: dict[int, int] = {}  # row -> the row it copies (a source maps to itself)
    for entry in key["defects"]:
        if entry["kind"] in ("exact_duplicate", "near_duplicate"):
            for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
                record[row], record[source] = source, source
    members: dict[int, list[int]] = {}
    for row, source in record.items():
        members.setdefault(source, []).append(row)

    def survivor(row: int) -> int | None:
        if row in kept:
            return row
        return next((other for other in members.get(record.get(row), []) if other in kept), None)

    return survivor


def fixed_shares(key: dict, clean) -> dict[str, float]:
    """The share of each catalogued defect the cleaning fixed: {"kind" or "kind:column": share}.

    `clean` is the cleaned frame with the raw row positions as its index. A row whose record
    survives as another copy (a dropped duplicate) took its defect with it and is not counted;
    any other dropped row that carried a defect counts as not fixed.
    """
    kept = set(clean.index)
    survivor = survivor_of(key, kept)
    shares = {}
    for entry in key["defects"]:
        judge = JUDGES.get(entry["kind"])
        if judge is None:
            continue  # missing values stay missing; label noise and the leak are not the cleaning's job
        good = judge(entry, clean, kept, survivor)
        if good:
            name = f"{entry['kind']}:{entry['column']}" if entry["kind"] in CELL_KINDS else entry["kind"]
            shares[name] = sum(good) / len(good)
    return shares


def same_value(value, original) -> bool:
    """Whether a cleaned cell holds the original value (numbers compared with np.isclose)."""
    import numpy as np
    import pandas as pd

    if isinstance(original, str) or isinstance(value, str):
        return value == original
    return pd.notna(value) and original is not None and bool(np.isclose(float(value), float(original)))


def unit_fixed(value, original, params: dict) -> bool:
    """Right unit: for a unit that lost precision (years for months), any value within one sent unit."""
    import pandas as pd

    if "divide_by" in params and pd.notna(value) and original is not None:
        return abs(float(value) - float(original)) < float(params["divide_by"])
    return same_value(value, original)


def judge_exact_duplicates(entry, clean, kept, survivor) -> list[bool]:
    # identical rows: which of the two stays cannot matter, exactly one must
    return [(row in kept) != (source in kept) for row, source in zip(entry["rows"], entry["source_rows"], strict=True)]


def judge_near_duplicates(entry, clean, kept, survivor) -> list[bool]:
    # the source is the original record; the copy is the one re-typed (other case, a rounded number)
    return [row not in kept and source in kept for row, source in zip(entry["rows"], entry["source_rows"], strict=True)]


def judge_id_collisions(entry, clean, kept, survivor) -> list[bool]:
    # two different records share an id: both must stay, with different ids
    column, good = entry["column"], []
    for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
        if row not in kept and survivor(row) is not None:
            continue  # a dropped duplicate copy: its record is judged through the copy that was kept
        other = survivor(source)
        good.append(row in kept and other is not None and clean.at[row, column] != clean.at[other, column])
    return good


def judge_cells(entry, clean, kept, survivor) -> list[bool]:
    # the cell holds its original value again (or is missing, where that is a right fix)
    import pandas as pd

    kind, column, good = entry["kind"], entry["column"], []
    for row, original in zip(entry["rows"], entry["original"], strict=True):
        if row not in kept:
            if survivor(row) is None:
                good.append(False)  # the record was dropped, not fixed
            continue
        if column not in clean.columns:
            good.append(False)  # the column was dropped
            continue
        value = clean.at[row, column]
        right = unit_fixed(value, original, entry["params"]) if kind == "unit_mixup" else same_value(value, original)
        good.append(right or (kind in MISSING_IS_RIGHT and pd.isna(value)))
    return good


JUDGES = dict(
    exact_duplicate=judge_exact_duplicates,
    near_duplicate=judge_near_duplicates,
    id_collision=judge_id_collisions,
    **{kind: judge_cells for kind in CELL_KINDS},
)


def lost_records(key: dict, raw, clean) -> int:
    """Records dropped with every copy of them: rows the model will never see."""
    survivor = survivor_of(key, set(clean.index))
    return sum(1 for row in raw.index if survivor(row) is None)


def numbers_as_text(frame, share: float = 0.9) -> list[str]:
    """Text columns whose values are nearly all numbers (at least `share` of the filled cells)."""
    import pandas as pd

    found = []
    for column in frame.columns:
        values = frame[column].dropna()
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or values.empty:
            continue
        parsed = pd.to_numeric(values.astype("str").str.strip(), errors="coerce")
        if parsed.notna().mean() >= share:
            found.append(column)
    return found


# --- suites: expectations, deliveries, the defect battery -------------------------------------------

# Expectations that name one or two columns and check their values. An expectation over a list of
# columns (one can list them all) or over the table's shape says nothing about a column's values.
COLUMN_KEYS = ("column", "column_A", "column_B")
NOT_COVERAGE = ("expect_column_to_exist",)  # names a column, checks only that it is there


def expectation_type(expectation) -> str:
    return getattr(expectation, "expectation_type", None) or type(expectation).__name__


def covered_columns(expectations: list) -> set[str]:
    """The columns that at least one column-level expectation checks the values of.

    Table-level expectations (the column list, the row count), expectations over a list of columns
    and ExpectColumnToExist do not cover a column: they check none of its values.
    """
    covered = set()
    for expectation in expectations:
        if expectation_type(expectation) in NOT_COVERAGE:
            continue
        for key in COLUMN_KEYS:
            name = getattr(expectation, key, None)
            if isinstance(name, str):
                covered.add(name)
    return covered


def columns_of(expectation) -> set[str]:
    """The columns an expectation names (none for a table-level one)."""
    return {getattr(expectation, key) for key in COLUMN_KEYS if isinstance(getattr(expectation, key, None), str)}


def without_incidents(frame, key: dict):
    """The delivery with the drift that is not legitimate undone (a unit or a date format switch)."""
    import pandas as pd

    frame = frame.copy()
    for event in key["drift"]:
        column, params = event["column"], event["params"]
        if event["kind"] == "unit_change":
            frame[column] = (frame[column] / float(params["multiply_by"])).round(3)
        elif event["kind"] == "format_change":
            parsed = pd.to_datetime(frame[column], format=params["format"], errors="coerce")
            frame[column] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), frame[column])
    return frame


def describe_failures(report: dict, shown: int = 4) -> str:
    """The failed expectations of a run_suite report, in one line."""
    parts = []
    for failure in report["failed"][:shown]:
        column = failure["column"] if isinstance(failure["column"], str) else "the table"
        count = failure.get("unexpected_count")
        examples = failure.get("examples") or []
        counted = f"{count} unexpected" if count is not None else "failed"
        parts.append(f"`{failure['expectation']}` on `{column}` ({counted}, e.g. {examples[:3]})")
    more = len(report["failed"]) - shown
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def corrupted_share(entry: dict, frame) -> float:
    """The share of a battery file's rows the corruption touches; 1.0 when it is the whole column or table."""
    rows = entry.get("rows")
    if rows is None or len(frame) == 0:
        return 1.0
    return len(rows) / len(frame)


def describe_corruption(entry: dict) -> str:
    column = f" (column `{entry['column']}`)" if entry.get("column") else ""
    return f"{entry['description']}{column}"


# --- the model: inputs, predictions, scrambling, awkward rows ---------------------------------------

# Two predictions count as different beyond this: a random forest adds up its trees' votes in a
# different order from one call to the next (threads), which moves the last digits and nothing else.
TOLERANCE = 1e-9
# Stands in for a category the model never saw (a plan launched after training, a typo).
UNSEEN = "NEVER-SEEN-BEFORE"
# What production sends sooner or later (robustness_cases builds the rows of each).
UNSEEN_CATEGORIES = "unseen categories"
ONE_MISSING = "a missing value in each feature"
ALL_MISSING = "rows with every feature missing"
BAD_DATES = "unreadable dates"
ROBUSTNESS_CASES = (UNSEEN_CATEGORIES, ONE_MISSING, ALL_MISSING, BAD_DATES)


def forbidden_columns(schema) -> list[str]:
    """Columns no model may use: the leaky ones, the id and the target."""
    found = [*schema.leaky_columns, schema.id_column, schema.target]
    return [column for column in dict.fromkeys(found) if column]


def model_columns(model) -> list[str] | None:
    """The columns the model was fit on (None when it was fit on an array without names)."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def labelled_rows(frame, target: str, rows: int):
    """The first `rows` rows of `frame` that have a target (the feed draws them at random already)."""
    return frame[frame[target].notna()].head(rows).reset_index(drop=True)


def predictions(model, X, task: str):
    """Class probabilities (classification) or estimates (regression), as a float array."""
    import numpy as np

    if task != "regression" and hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X), dtype="float64")
    return np.asarray(model.predict(X), dtype="float64")


def scramble_effects(predict: Callable, frame, columns, seed: int = 0) -> dict[str, float]:
    """{column: the share of predict(frame)'s rows that move when the column is scrambled}.

    Scrambling shuffles a column's values between the raw rows: every value is realistic but no
    longer belongs to its row, so a model that uses the column answers differently for some rows.
    `predict` takes raw rows (the checkpoint passes them through model_input to the champion), so a
    column counts by whatever path it takes.
    """
    import numpy as np

    before = predict(frame)
    effects = {}
    for column in columns:
        scrambled = frame.copy()
        scrambled[column] = frame[column].sample(frac=1.0, random_state=seed).to_numpy()
        after = predict(scrambled)
        moved = ~np.isclose(before, after, rtol=0, atol=TOLERANCE, equal_nan=True)
        effects[column] = float(moved.reshape(len(frame), -1).any(axis=1).mean())
    return effects


def near_copies(frame, unused, used, min_correlation: float = 0.95) -> dict[str, str]:
    """{unused column: the used column it nearly copies}: numeric columns whose values on `frame`
    correlate with a used one at |r| >= min_correlation.

    A model that reads one of fifty yearly columns that move together has their information; the
    other forty-nine add none, so ignoring them is not throwing information away.
    """
    import pandas as pd

    numbers = frame.apply(pd.to_numeric, errors="coerce")
    used = [column for column in used if numbers[column].notna().sum() >= 3]
    copies = {}
    for column in unused:
        if numbers[column].notna().sum() < 3 or not used:
            continue
        correlations = numbers[used].corrwith(numbers[column]).abs().dropna()
        if len(correlations) and correlations.max() >= min_correlation:
            copies[column] = str(correlations.idxmax())
    return copies


def robustness_cases(frame, schema) -> dict:
    """Raw rows production will send sooner or later, named by what is odd about them.

    {name: rows}, each built from the first rows of `frame` (raw rows with every column): unseen
    categories, one missing value in each feature, rows with every feature missing, and
    unreadable dates (a case is left out when the dataset has no such column).
    """
    import numpy as np

    features = list(schema.feature_columns)
    categories = [*schema.categorical, *schema.text]
    cases = {}
    if categories:
        rows = frame.head(20).copy()
        rows[categories] = UNSEEN
        cases[UNSEEN_CATEGORIES] = rows
    rows = frame.head(len(features)).copy().reset_index(drop=True)
    for position, column in enumerate(features):
        rows.loc[position, column] = np.nan
    cases[ONE_MISSING] = rows
    rows = frame.head(3).copy()
    rows[features] = np.nan
    cases[ALL_MISSING] = rows
    if schema.dates:
        rows = frame.head(5).copy()
        rows[list(schema.dates)] = "not a date"
        cases[BAD_DATES] = rows
    return cases


def prediction_problem(predict: Callable, rows) -> str | None:
    """What is wrong with `predict(rows)` (an error, a wrong count, NaN), or None when it is fine."""
    import numpy as np

    try:
        out = np.asarray(predict(rows), dtype="float64")
    except Exception as problem:  # noqa: BLE001 (any error here is the finding)
        message = (str(problem).strip().splitlines() or [type(problem).__name__])[0]
        return f"raises {type(problem).__name__}: {message}"
    if out.ndim == 0 or out.shape[0] != len(rows):
        return f"{out.shape[0] if out.ndim else 1} predictions for {len(rows)} rows"
    bad = int((~np.isfinite(out.reshape(len(rows), -1))).any(axis=1).sum())
    if bad:
        return f"{bad} of {len(rows)} predictions are not finite (NaN or infinite)"
    return None


def perturb(frame, schema):
    """The same held-out rows with every value a model could learn from changed.

    Numbers are tripled and shifted, categories and text replaced by three new values (frequent
    enough to get one-hot columns of their own), dates moved 20 years on, labels rotated to the
    next class (or tripled for regression). A scaler, an imputer, an encoder or a model that saw
    these rows while fitting comes out different.
    """
    import pandas as pd

    out = frame.copy()
    for column in schema.numeric:
        values = pd.to_numeric(out[column], errors="coerce")
        out[column] = values * 3 + 10 * (values.std() or 1.0)
    for column in (*schema.categorical, *schema.text):
        out[column] = [f"canary-{position % 3}" for position in range(len(out))]
    for column in schema.dates:
        dates = pd.to_datetime(out[column].astype("object"), format="ISO8601", errors="coerce")
        out[column] = (dates + pd.DateOffset(years=20)).dt.strftime("%Y-%m-%d")
    target = out[schema.target]
    if schema.is_classification:
        classes = sorted(target.dropna().unique())
        out[schema.target] = target.map(dict(zip(classes, classes[1:] + classes[:1], strict=True)))
    else:
        values = pd.to_numeric(target, errors="coerce")
        out[schema.target] = values * 3 + 10 * (values.std() or 1.0)
    return out


def same_arrays(first, second) -> bool:
    """Whether two arrays (features or predictions) are equal up to TOLERANCE."""
    import numpy as np

    if first.shape != second.shape:
        return False
    try:
        return bool(np.allclose(first, second, rtol=1e-7, atol=TOLERANCE, equal_nan=True))
    except TypeError:  # not numbers (a transformer that outputs text)
        return bool(np.array_equal(first, second))


def dense(matrix):
    """A transformer's output as a dense numpy array (sparse one-hot columns included)."""
    import numpy as np

    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix)


# --- the service: malformed requests, answers, latency, broken copies -------------------------------

UNKNOWN_FIELD = "not_a_column"


@dataclass(frozen=True)
class Probe:
    """A malformed request, and the field its error answer must name (None: no field to name)."""

    problem: str
    body: bytes
    field: str | None


def malformed_requests(example: dict, contract: dict) -> list[Probe]:
    """The malformed requests a client can send by mistake, built from the example and the contract.

    Each one changes one thing in a valid request: a required field left out, a field of the wrong
    type, a field the contract does not have, an empty or too long list of records, broken JSON.
    """
    key = next(iter(example))  # the request's one argument ("records")
    record = example[key][0]
    columns = {column["name"]: column for column in contract["columns"]}

    def request(records: list) -> bytes:
        return json.dumps({key: records}).encode()

    probes = []
    required = [name for name in record if columns.get(name, {}).get("required")]
    if required:
        name = required[0]
        without = {field: value for field, value in record.items() if field != name}
        probes.append(Probe(f"the required field `{name}` left out", request([without]), name))
    wrong = wrong_type(record, columns)
    if wrong:
        name, value = wrong
        wrong_request = request([{**record, name: value}])
        probes.append(Probe(f"`{name}` of the wrong type ({json.dumps(value)})", wrong_request, name))
    probes += [
        Probe(f"an extra field `{UNKNOWN_FIELD}`", request([{**record, UNKNOWN_FIELD: 1}]), UNKNOWN_FIELD),
        Probe(f"an empty `{key}` list", request([]), key),
        Probe(
            f"{contract['max_records'] + 1} records (the limit is {contract['max_records']})",
            request([record] * (contract["max_records"] + 1)),
            key,
        ),
        Probe("a body that is not JSON", b'{"' + key.encode() + b'": [{', None),
    ]
    return probes


def wrong_type(record: dict, columns: dict) -> tuple[str, object] | None:
    """A field and a value of the wrong type for it: text for a number, a number for a category."""
    for kinds, value in ((("integer", "number"), "not a number"), (("category", "date", "text"), 12345)):
        for name in record:
            if columns.get(name, {}).get("type") in kinds:
                return name, value
    return None


def names_field(body: str, field: str) -> bool:
    """Whether an error answer names `field` as a whole word (`age` is not named by "usage")."""
    return re.search(rf"(?<!\w){re.escape(field)}(?!\w)", body) is not None


def finite_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def answer_problems(answer, records: list, contract: dict) -> list[str]:
    """What is wrong with the service's answer to a valid request (an empty list: nothing)."""
    if not isinstance(answer, list) or len(answer) != len(records):
        return [f"expected a list of {len(records)} predictions, one per record, got: {str(answer)[:200]}"]
    problems = []
    classes = [str(value) for value in contract.get("classes", [])]
    for index, item in enumerate(answer):
        if not isinstance(item, dict) or "prediction" not in item:
            problems.append(f"item {index} has no `prediction`: {str(item)[:200]}")
            continue
        if contract["task"] == "regression":
            if not finite_number(item["prediction"]):
                problems.append(f"item {index}: the estimate `prediction` is not a finite number")
            continue
        if str(item["prediction"]) not in classes:
            problems.append(f"item {index}: `prediction` {item['prediction']!r} is not a class of {classes}")
        probabilities = item.get("probabilities")
        if not isinstance(probabilities, dict) or sorted(probabilities) != sorted(classes):
            problems.append(f"item {index}: `probabilities` should give each class {classes} a probability")
        elif not all(finite_number(p) and 0 <= p <= 1 for p in probabilities.values()) or not math.isclose(
            sum(probabilities.values()), 1.0, abs_tol=1e-3
        ):
            problems.append(f"item {index}: `probabilities` are not probabilities that add up to 1")
    return problems


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value that at least `share`% of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


# An opener that ignores HTTP_PROXY and friends: the broken copies talk to 127.0.0.1 directly.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def unchanged_request(body: bytes, columns: set[str]) -> bytes:
    return body


def unchanged_answer(status: int, body: bytes) -> tuple[int, bytes]:
    return status, body


@dataclass(frozen=True)
class Breakage:
    """One broken promise: how the proxy changes the request on its way in, or the answer on its way out."""

    promise: str  # the promise a client relies on, as the report names it
    request: Callable[[bytes, set[str]], bytes] = unchanged_request
    answer: Callable[[int, bytes], tuple[int, bytes]] = unchanged_answer


def crash_on_client_errors(status: int, body: bytes) -> tuple[int, bytes]:
    """A service that falls over on bad input: every 4xx becomes a 500."""
    if 400 <= status < 500:
        return 500, b'{"error": "Internal Server Error"}'
    return status, body


def drop_unknown_fields(body: bytes, columns: set[str]) -> bytes:
    """A service that quietly ignores fields it does not know (pydantic's extra="ignore")."""
    try:
        request = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body
    if not isinstance(request, dict):
        return body
    for name, records in request.items():
        if isinstance(records, list):
            request[name] = [
                {key: value for key, value in record.items() if key in columns} if isinstance(record, dict) else record
                for record in records
            ]
    return json.dumps(request).encode()


def answer_first_record_only(status: int, body: bytes) -> tuple[int, bytes]:
    """A service whose batching is broken: a request of several records gets one answer."""
    if status != 200:
        return status, body
    try:
        answer = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return status, body
    if isinstance(answer, list) and len(answer) > 1:
        return status, json.dumps(answer[:1]).encode()
    return status, body


BREAKAGES = (
    Breakage("a client's mistake gets a 4xx, not a 500", answer=crash_on_client_errors),
    Breakage("a field the contract does not have is refused", request=drop_unknown_fields),
    Breakage("every record of a request gets its own answer", answer=answer_first_record_only),
)


def proxy_handler(upstream: str, breakage: Breakage, columns: set[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.forward(None)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.forward(breakage.request(self.rfile.read(length), columns))

        def forward(self, body: bytes | None) -> None:
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            request = urllib.request.Request(upstream + self.path, data=body, method=self.command, headers=headers)
            try:
                with DIRECT.open(request, timeout=30) as response:
                    status, answer = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, answer = error.code, error.read()
            status, answer = breakage.answer(status, answer)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args):
            pass  # the proxy is quiet; the team's test output says what happened

    return Handler


@contextmanager
def broken_copy(upstream: str, breakage: Breakage, columns: set[str]):
    """The URL of a proxy in front of `upstream` that breaks one promise; stopped on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), proxy_handler(upstream, breakage, columns))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
