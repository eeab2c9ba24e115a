"""The service's request log (capstone.requestlog) and `capstone replay`, without a service.

The log is written to scratch folders with small size limits, so rotation happens after a few hundred
lines; replay talks to a stub HTTP server on 127.0.0.1 (the real service is the template's
end-to-end test, tests/test_request_log_e2e.py).
"""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from baked import bake_team_repo
from capstone import requestlog
from capstone.cli import app
from capstone.config import ConfigError, load_params
from capstone.requestlog import RequestLog, RequestLogSettings, log_files, read_request_log
from pydantic import BaseModel
from typer.testing import CliRunner

runner = CliRunner()
VERSION = "champion:v3-0123456789ab"


class Prediction(BaseModel):  # the shape of the service's answers (capstone.serving.prediction_model)
    prediction: int
    probabilities: dict[str, float] | None = None


def settings(folder: Path, **changes) -> RequestLogSettings:
    return RequestLogSettings(path=str(folder / "logs" / "requests.jsonl"), **changes)


def record(number: int) -> dict:
    return {"n": number, "plan": "Basic", "monthly_fee": 20.5 + number, "signup_date": "2024-06-10", "age": None}


def answer(number: int) -> Prediction:
    p = round((number % 10) / 10, 6)
    return Prediction(prediction=int(p >= 0.5), probabilities={"0": round(1 - p, 6), "1": p})


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def team_repo(tmp_path_factory) -> Path:
    """A team repository baked from this template (reference, churn): its real params.yaml."""
    return bake_team_repo(tmp_path_factory, scaffold="reference")


# --- settings --------------------------------------------------------------------------------------


def test_the_template_settings_are_the_defaults_made_absolute(team_repo):
    found = requestlog.request_log_settings(load_params(team_repo), team_repo)
    assert found.enabled is True
    assert Path(found.path) == (team_repo / "logs" / "requests.jsonl").resolve()
    assert (found.max_mb, found.backups) == (50, 3)
    # the log is not something to commit
    assert "/logs/" in (team_repo / ".gitignore").read_text().splitlines()


def test_a_missing_section_gives_the_defaults_and_false_turns_it_off(team_repo):
    params = load_params(team_repo)
    params.model_extra["serve"].pop("request_log")
    assert requestlog.request_log_settings(params) == RequestLogSettings()
    params.model_extra["serve"]["request_log"] = False
    assert requestlog.request_log_settings(params).enabled is False


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"max_mb": 0}, "serve.request_log.max_mb: Input should be greater than 0"),
        ({"max_mb": "big"}, "serve.request_log.max_mb"),
        ({"backups": 0}, "serve.request_log.backups: Input should be greater than or equal to 1"),
        ({"enabled": "maybe"}, "serve.request_log.enabled"),
        ({"path": "  "}, "serve.request_log.path: give a file name"),
        ({"paht": "x.jsonl"}, "serve.request_log.paht: unknown key; the keys here are enabled, path, max_mb, backups"),
        ("logs/requests.jsonl", "serve.request_log"),
    ],
)
def test_bad_settings_give_one_line_naming_the_key(team_repo, section, named):
    params = load_params(team_repo)
    params.model_extra["serve"]["request_log"] = section
    with pytest.raises(ConfigError) as raised:
        requestlog.request_log_settings(params)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("params.yaml: ") and named in message, message


def test_the_environment_variable_carries_the_settings_or_overrides_them(tmp_path):
    chosen = settings(tmp_path, max_mb=2, backups=5)
    assert requestlog.settings_from_environment(chosen.model_dump_json()) == chosen
    assert requestlog.settings_from_environment("off", chosen).enabled is False
    other = requestlog.settings_from_environment(str(tmp_path / "trial.jsonl"), chosen)
    assert (other.path, other.max_mb, other.backups, other.enabled) == (str(tmp_path / "trial.jsonl"), 2, 5, True)
    with pytest.raises(ConfigError, match="^CAPSTONE_REQUEST_LOG: backups: "):
        requestlog.settings_from_environment('{"backups": -1}')


def test_a_service_logs_where_make_serve_says_else_in_its_repository(team_repo, tmp_path, monkeypatch):
    monkeypatch.setenv(requestlog.ENV_VAR, settings(tmp_path).model_dump_json())
    monkeypatch.chdir(tmp_path)
    assert requestlog.service_settings().path == str(tmp_path / "logs" / "requests.jsonl")
    monkeypatch.delenv(requestlog.ENV_VAR)
    monkeypatch.chdir(team_repo / "src")  # started from elsewhere inside the repository
    assert Path(requestlog.service_settings().path) == (team_repo / "logs" / "requests.jsonl").resolve()


# --- writing -------------------------------------------------------------------------------------------


def test_one_line_per_record_with_the_features_prediction_version_and_time(tmp_path):
    before = datetime.datetime.now(datetime.UTC)
    with RequestLog(settings(tmp_path), VERSION) as log:
        log.write([record(1), record(2)], [answer(1), answer(7)])
        log.write([record(3)], [{"prediction": 12.5}])  # a regressor's answer, as a dict
    path = tmp_path / "logs" / "requests.jsonl"
    lines = lines_of(path)
    assert len(lines) == 3
    first = lines[0]
    assert set(first) == {"timestamp", "model_version", "features", "prediction", "probabilities"}
    assert first["features"] == record(1)  # the record as received, nulls included
    assert (first["prediction"], first["probabilities"]) == (0, {"0": 0.9, "1": 0.1})
    assert lines[1]["prediction"] == 1
    assert "probabilities" not in lines[2] and lines[2]["prediction"] == 12.5
    assert {line["model_version"] for line in lines} == {VERSION}
    stamp = datetime.datetime.fromisoformat(first["timestamp"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert before - datetime.timedelta(seconds=1) <= stamp <= datetime.datetime.now(datetime.UTC)
    with pytest.raises(ValueError, match="2 records but 1 answers"):
        RequestLog(settings(tmp_path), VERSION).write([record(1), record(2)], [answer(1)])


def test_disabled_writes_nothing(tmp_path):
    with RequestLog(settings(tmp_path, enabled=False), VERSION) as log:
        log.write([record(1)], [answer(1)])
        assert log.path is None
    assert list(tmp_path.iterdir()) == []


def test_rotation_at_the_size_limit_keeps_the_number_of_backups(tmp_path):
    limit = 4096  # bytes: about 30 lines
    with RequestLog(settings(tmp_path, max_mb=limit / 2**20, backups=2), VERSION) as log:
        for number in range(400):
            log.write([record(number)], [answer(number)])
    path = tmp_path / "logs" / "requests.jsonl"
    assert sorted(p.name for p in path.parent.iterdir()) == ["requests.jsonl", "requests.jsonl.1", "requests.jsonl.2"]
    for file in log_files(path):
        assert 0 < file.stat().st_size <= limit
        lines_of(file)  # whole JSON lines only: a file is never cut inside a line
    kept = [line["features"]["n"] for file in log_files(path) for line in lines_of(file)]
    assert kept == list(range(400 - len(kept), 400))  # the newest lines, in order; the oldest are gone
    assert len(kept) < 400


def test_the_writer_thread_keeps_the_request_threads_cheap(tmp_path):
    """Writes from many threads at once: every line arrives, whole, and a write returns quickly."""
    import time

    log = RequestLog(settings(tmp_path), VERSION)
    timings = []

    def serve(start: int) -> None:
        for number in range(start, start + 250):
            began = time.perf_counter()
            log.write([record(number), record(number)], [answer(number), answer(number)])
            timings.append(time.perf_counter() - began)

    threads = [threading.Thread(target=serve, args=(1000 * index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    lines = lines_of(tmp_path / "logs" / "requests.jsonl")
    assert len(lines) == 8 * 250 * 2
    assert sorted(timings)[len(timings) // 2] < 0.001  # the median write: an enqueue, not a file write


# --- reading -------------------------------------------------------------------------------------------


def test_the_reader_reads_rotated_files_oldest_first(tmp_path):
    with RequestLog(settings(tmp_path, max_mb=3000 / 2**20, backups=5), VERSION) as log:
        for number in range(60):
            log.write([record(number)], [answer(number)])
    path = tmp_path / "logs" / "requests.jsonl"
    assert len(log_files(path)) > 2  # it did rotate
    assert [file.name for file in log_files(path)][-1] == "requests.jsonl"
    frame = read_request_log(path)
    assert frame["n"].tolist() == list(range(60))
    assert list(frame.columns) == [
        *record(0),
        "prediction",
        "probability_0",
        "probability_1",
        "model_version",
        "timestamp",
    ]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    assert frame["timestamp"].is_monotonic_increasing
    assert frame["age"].isna().all() and frame["monthly_fee"].dtype == "float64"
    assert frame.attrs["skipped_lines"] == 0


def test_the_reader_skips_a_cut_line_and_keeps_a_feature_named_like_its_columns(tmp_path):
    path = tmp_path / "requests.jsonl"
    line = dict(timestamp="2026-12-05T03:00:00.000+00:00", model_version=VERSION, prediction=1)
    path.write_text(
        json.dumps({**line, "features": {"timestamp": "2024-01-01", "x": 1}})
        + "\n"
        + '{"timestamp": "2026-12-05T03:00:01.000+00:00", "feat\n',
        encoding="utf-8",
    )
    frame = read_request_log(path)
    assert list(frame.columns) == ["timestamp", "x", "prediction", "model_version", "log_timestamp"]
    assert frame["timestamp"].tolist() == ["2024-01-01"]  # the feature, as sent
    assert frame.attrs["skipped_lines"] == 1


def test_the_reader_without_a_log_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="make replay BATCH=2"):
        read_request_log(tmp_path / "logs" / "requests.jsonl")


# --- capstone replay, against a stub ---------------------------------------------------------------


class Stub(BaseHTTPRequestHandler):
    """/readyz answers 200; /predict keeps what it got and refuses (400) a request with a record
    whose satisfaction_score is missing."""

    received: list[dict] = []

    def do_GET(self):  # noqa: N802
        self._answer(200, b"\n")

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.received.append(body)
        if any(row["satisfaction_score"] is None for row in body["records"]):
            error = {"error": "1 validation error for Input", "detail": [{"loc": ["records", 0, "x"], "msg": "bad"}]}
            self._answer(400, json.dumps(error).encode())
        else:
            self._answer(200, json.dumps([{"prediction": 0}] * len(body["records"])).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


CONTRACT = dict(
    task="binary",
    target="churned",
    max_records=1000,
    columns=[
        dict(name="satisfaction_score", type="integer", required=False),
        dict(name="plan", type="category", required=True, categories=["Basic"]),
        dict(name="monthly_fee", type="number", required=True),
    ],
)


def test_replay_sends_the_delivery_without_the_target_and_counts_the_answers(team_repo, monkeypatch):
    (team_repo / "reports").mkdir(exist_ok=True)
    (team_repo / "reports" / "input_schema.json").write_text(json.dumps(CONTRACT))
    Stub.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.chdir(team_repo)
    try:
        port = str(server.server_address[1])
        result = runner.invoke(app, ["replay", "--batch", "2", "--rows", "100", "--port", port, "--records", "4"])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    batches = [body["records"] for body in Stub.received if len(body["records"]) == 4]
    records = [row for batch in batches for row in batch]
    assert len(records) == 100 and len(batches) == 25
    assert all(set(row) == {"satisfaction_score", "plan", "monthly_fee"} for row in records)  # the contract's only
    bad = sum(row["satisfaction_score"] is None for row in records)  # missing values, sent as null
    refused = sum(any(row["satisfaction_score"] is None for row in batch) for batch in batches)
    assert 0 < bad < refused * 4  # a refused request held good records too
    # a refused request's records are sent again one by one: only the bad ones stay unanswered
    assert len(Stub.received) == 25 + 4 * refused
    assert f"sent:         100 records in {25 + 4 * refused} requests" in result.output
    assert f"resent:       the records of {refused} refused requests, one by one" in result.output
    assert f"answered 2xx: {100 - bad} records in " in result.output
    assert f"refused 4xx:  {bad} records; the first: 400 records.0.x: bad" in result.output
    assert "churned" in result.output  # named among the columns not sent
    assert "logs/requests.jsonl" in result.output.replace("\n", "")


def test_replay_without_a_service_names_the_port_in_one_line(team_repo, monkeypatch):
    import socket

    (team_repo / "reports").mkdir(exist_ok=True)
    (team_repo / "reports" / "input_schema.json").write_text(json.dumps(CONTRACT))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.chdir(team_repo)
    result = runner.invoke(app, ["replay", "--batch", "2", "--port", str(port)], terminal_width=400)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("ERROR: no service answers on http://127.0.0.1:") and f":{port} " in first
    assert "make serve" in first and "PORT=" in first
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["replay", "--port", str(port)], terminal_width=400)
    assert missing.exit_code == 1 and missing.output.startswith(
        "ERROR: say which delivery to send: make replay BATCH=2"
    )


def test_the_monitor_reads_the_log_and_with_labels_true_the_delivery_labels(team_repo, monkeypatch):
    """The log has no target: monitor.labels: true takes delivery `batch`'s labels for the quality."""
    from capstone.dataset import load_schema
    from capstone.feed import generate_batch
    from capstone.pipeline.monitor import current_data, monitor_settings

    monkeypatch.chdir(team_repo)
    params = load_params(team_repo)
    schema = load_schema(params)
    rows, _ = generate_batch("churn", rows=100, seed=5, batch=2, defects=False)
    features = rows[list(schema.feature_columns)].to_dict(orient="records")
    with RequestLog(settings(team_repo), VERSION) as log:
        log.write(features, [answer(n) for n in range(len(features))])
    for labels, expected in ((False, None), (True, 5000)):
        chosen = {**monitor_settings(params), "source": "log", "labels": labels}
        source, current, labelled = current_data(params, schema, chosen)
        assert len(current) == 100 and source.startswith("the request log (100 records")
        assert (labelled is None) if expected is None else (len(labelled[1]) == expected), labels
    assert source.endswith("with delivery 2's labels")
