"""Stage 5 gates on a stub service: a stdlib HTTP server started as `make serve` starts the team's
(`python -m <package>.serving.serve`, PORT in the environment), and a bento read from a fake store."""

import json
import os
from pathlib import Path

import pytest
from capstone.checkpoints import service
from capstone.checkpoints.registry import NotReady, load_all
from capstone.checkpoints.service import Bento, BentoModel
from kitdata import MODEL, SHA, VERSION

# The stub: GET /readyz, POST /predict. MODE: good (4xx naming the field), crash (500 on bad input),
# slow (50 ms per prediction), lax (ignores unknown fields).
SERVE = """
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COLUMNS = {"age": "number", "plan": "category"}
REQUIRED = ("age",)


def problem(body):
    try:
        request = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    records = request.get("records")
    if not isinstance(records, list) or not records or len(records) > 5:
        return "records must be a list of 1 to 5 records"
    for record in records:
        for name in record:
            if name not in COLUMNS and MODE != "lax":
                return f"unknown field {name}"
        for name in REQUIRED:
            if name not in record:
                return f"field {name} is required"
        if not isinstance(record.get("age"), (int, float)):
            return "field age must be a number"
        if not isinstance(record.get("plan", ""), str):
            return "field plan must be text"
    return None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(200 if self.path == "/readyz" else 404, {"ok": True})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        wrong = problem(body)
        if wrong:
            self.answer(500 if MODE == "crash" else 422, {"error": wrong})
            return
        if MODE == "slow":
            time.sleep(0.05)
        records = json.loads(body)["records"]
        self.answer(200, [{"prediction": "no", "probabilities": {"no": 0.7, "yes": 0.3}} for _ in records])

    def answer(self, status, content):
        data = json.dumps(content).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""
EXAMPLE = {"records": [{"age": 41, "plan": "basic"}, {"age": 23, "plan": "pro"}]}
CONTRACT = {
    "columns": [
        {"name": "age", "type": "number", "required": True},
        {"name": "plan", "type": "category", "required": False},
    ],
    "max_records": 5,
    "task": "binary",
    "classes": ["no", "yes"],
}
# The team's contract tests: each catches one of the broken copies of the service.
CONTRACT_TESTS = """
import json, os, urllib.error, urllib.request

URL = os.environ["SERVICE_URL"]


def post(body):
    request = urllib.request.Request(URL + "/predict", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_one_answer_per_record():
    status, answer = post({"records": [{"age": 41}, {"age": 23}]})
    assert status == 200 and len(answer) == 2
"""
STRICT_TESTS = """

def test_a_missing_field_is_a_client_error():
    assert 400 <= post({"records": [{"plan": "basic"}]})[0] < 500


def test_an_unknown_field_is_refused():
    assert 400 <= post({"records": [{"age": 41, "colour": "red"}]})[0] < 500
"""


def gate(gate_id: str):
    return load_all()[gate_id]


@pytest.fixture
def stage5(make_context, team_package, store, tmp_path, monkeypatch):
    """make(mode="good", tests=None) -> a Context whose team serves the stub in `mode`."""

    def make(mode: str = "good", tests: str | None = None, bento: bool = True):
        package = team_package({"serving/serve.py": f"MODE = {mode!r}\n" + SERVE})
        base = Path(__import__(package).__file__).parents[1]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(base), os.environ.get("PYTHONPATH", "")]))
        # The team's contract tests need no plugin; the venv's plugins cost 2-3 s per pytest run.
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        reports = tmp_path / "reports"
        reports.mkdir(exist_ok=True)
        if bento:
            (reports / "bento.json").write_text(json.dumps({"tag": "test_team_service:v1"}))
        (reports / "example_request.json").write_text(json.dumps(EXAMPLE))
        (reports / "input_schema.json").write_text(json.dumps(CONTRACT))
        if tests is not None:
            (tmp_path / "tests" / "service").mkdir(parents=True, exist_ok=True)
            (tmp_path / "tests" / "service" / "test_contract.py").write_text(tests)
        return make_context(package, mlflow=dict(tracking_uri=store.uri, registered_model=MODEL))

    return make


def test_a_service_that_answers_and_refuses_well_passes_the_contract(stage5):
    context = stage5("good")
    outcome = gate("service-contract")(context, {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "200 with the right shape; 6 malformed requests got 4xx"
    context.close()
    assert context.evidence.service.process.poll() is not None  # stopped when the check ends


def test_a_service_that_crashes_on_bad_input_fails_the_contract(stage5):
    outcome = gate("service-contract")(stage5("crash"), {})
    assert not outcome.passed
    assert outcome.measured == "0 answer problem(s), 6 malformed request(s) mishandled"
    assert outcome.detail.startswith("Malformed requests must get 4xx naming the field, never 5xx: check ")
    assert "- the required field `age` left out: got **500**, expected 4xx." in outcome.detail


def test_a_service_that_ignores_unknown_fields_is_named(stage5):
    outcome = gate("service-contract")(stage5("lax"), {})
    assert not outcome.passed
    assert "- an extra field `not_a_column`: got **200**, expected 4xx." in outcome.detail


def test_a_service_that_does_not_start_says_so_with_its_log(stage5, tmp_path):
    context = stage5("good")
    (Path(__import__(context.package).__file__).parent / "serving" / "serve.py").write_text(
        "import sys\nsys.exit('ERROR: no bento to serve')\n"
    )
    outcome = gate("service-contract")(context, {})
    assert not outcome.passed
    assert outcome.measured == "the service did not start"
    assert "the service exited (code 1) before it was ready" in outcome.detail
    assert "ERROR: no bento to serve" in outcome.detail
    # the next gate does not wait for it again
    assert gate("latency-budget")(context, {}).measured == "the service did not start"


def test_without_a_bento_the_service_gates_are_not_ready(stage5):
    context = stage5("good", bento=False)
    with pytest.raises(NotReady, match=r"reports/bento.json is missing: no bento was built yet; run `make pipeline`"):
        gate("service-contract")(context, {})
    assert context.evidence.service is None


def test_quick_predictions_pass_the_latency_budget(stage5):
    outcome = gate("latency-budget")(stage5("good"), {"p95_ms": 1000, "requests": 10})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith("p95 ") and " ms over 10 requests (median " in outcome.measured
    assert outcome.expected == "at most 1000 ms"


def test_slow_predictions_fail_the_latency_budget(stage5):
    outcome = gate("latency-budget")(stage5("slow"), {"p95_ms": 20, "requests": 5})
    assert not outcome.passed
    assert outcome.expected == "at most 20 ms"
    assert outcome.detail.startswith("One prediction takes too long. Profile `predict` in src/fake_team_")


def test_contract_tests_that_catch_every_broken_copy_pass(stage5):
    outcome = gate("contract-tests")(stage5("good", tests=CONTRACT_TESTS + STRICT_TESTS), {"min_caught": 3})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "3 tests pass; 3 of 3 broken services caught"


def test_contract_tests_that_catch_too_little_fail_naming_the_promises(stage5):
    outcome = gate("contract-tests")(stage5("good", tests=CONTRACT_TESTS), {"min_caught": 3})
    assert not outcome.passed
    assert outcome.measured == "1 test passes; 1 of 3 broken services caught"
    assert outcome.expected == "≥ 3 broken services caught"
    assert "- a client's mistake gets a 4xx, not a 500" in outcome.detail
    assert "- a field the contract does not have is refused" in outcome.detail


def test_contract_tests_that_fail_on_the_real_service_show_pytest(stage5):
    outcome = gate("contract-tests")(stage5("crash", tests=CONTRACT_TESTS + STRICT_TESTS), {})
    assert not outcome.passed
    assert outcome.measured == "2 of 3 tests fail on the real service"
    assert "Your contract tests must pass against the real service, and they fail." in outcome.detail
    assert "test_a_missing_field_is_a_client_error" in outcome.detail


def test_no_contract_tests_fail(stage5):
    outcome = gate("contract-tests")(stage5("good"), {})
    assert not outcome.passed and outcome.measured == "no contract tests"


# --- the bento (read from the store by service.read_bento, replaced here) ---------------------------


@pytest.fixture
def bento(monkeypatch, tmp_path, store):
    """make(labels=..., registered=..., in_store=True) -> the Bento read_bento returns; service start skipped."""

    def make(labels=None, registered=(MODEL, "1"), in_store=True, code=None) -> Bento:
        path = tmp_path / "bento"
        made = Bento(
            "test_team_service:v1",
            path,
            labels if labels is not None else {"mlflow_run_id": store.champion_run, "data_version": VERSION},
            [BentoModel("test-team-model:abc", in_store=in_store, registered_as=registered if in_store else ("", ""))],
        )
        monkeypatch.setattr(service, "read_bento", lambda context: made)
        monkeypatch.setattr(service, "start_service", lambda context: None)
        return made

    return make


def copy_sources(context, bento: Bento) -> None:
    package = Path(__import__(context.package).__file__).parent
    (context.root / "src").mkdir(exist_ok=True)
    for source in package.rglob("*.py"):
        for root in (context.root / "src" / context.package, bento.path / "src" / context.package):
            target = root / source.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())


def test_a_bento_of_the_champion_and_this_commit_builds(stage5, bento):
    context, made = stage5(), bento()
    copy_sources(context, made)
    outcome = gate("bento-builds")(context, {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == "bento test_team_service:v1, champion version 1, this commit's code"


def test_a_bento_of_another_model_version_fails(stage5, bento):
    context = stage5()
    copy_sources(context, bento(registered=(MODEL, "7")))
    outcome = gate("bento-builds")(context, {})
    assert not outcome.passed
    assert outcome.measured == f"bento test_team_service:v1 serves {MODEL} version 7"
    assert outcome.expected == f"the champion, {MODEL} version 1"


def test_a_bento_of_older_code_fails_naming_the_files(stage5, bento):
    context, made = stage5(), bento()
    copy_sources(context, made)
    (context.root / "src" / context.package / "serving" / "serve.py").write_text("# changed\n")
    outcome = gate("bento-builds")(context, {})
    assert not outcome.passed
    assert outcome.measured == "bento test_team_service:v1 holds older code: 1 file(s) differ"
    assert f"- `src/{context.package}/serving/serve.py`" in outcome.detail


def test_a_bento_without_its_model_fails(stage5, bento):
    context = stage5()
    bento(in_store=False)
    outcome = gate("bento-builds")(context, {})
    assert not outcome.passed
    assert outcome.measured == "bento test_team_service:v1 lacks its model (test-team-model:abc)"


def test_labels_naming_the_champion_pass_provenance(stage5, bento, store):
    context = stage5()
    bento()
    outcome = gate("provenance")(context, {})
    assert outcome.passed, outcome.detail
    assert outcome.measured == f"run {store.champion_run[:12]}, data version {VERSION[:12]}"


def test_labels_without_the_data_version_fail_provenance(stage5, bento, store):
    context = stage5()
    bento(labels={"mlflow_run_id": store.champion_run})
    outcome = gate("provenance")(context, {})
    assert not outcome.passed
    assert outcome.measured == "1 label(s) do not match the champion"
    assert f"- label `data_version` is `(missing)`, the champion's run has `{VERSION}`" in outcome.detail
    assert SHA not in outcome.detail
