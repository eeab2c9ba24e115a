"""Stage 5 gate: the team's own contract tests, and whether they would notice a broken service.

    contract-tests   tests/service/ passes against the real service (as `make serve` starts it), and
                     fails against each broken copy of it below

Why broken copies: a contract test that passes whatever the service does protects nothing. Each
broken copy is a small proxy on 127.0.0.1 in front of the real service that breaks one promise a
client relies on; the team's tests must fail against every one of them (the threshold `min_caught`
in capstone.yaml). The same idea as stage 2's defect battery, turned on the service.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

from capstone.checkpoints.context import NotReady
from capstone.checkpoints.deployment import ServiceDown, _example_and_contract, _service_down, running_service
from capstone.checkpoints.gates import Outcome, gate, threshold

TESTS = Path("tests/service")  # the team's contract tests; they find the service at SERVICE_URL
TEST_TIMEOUT = 300  # seconds for one run of the team's tests
# An opener that ignores HTTP_PROXY and friends: the proxy talks to 127.0.0.1 directly.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
OUTPUT_TAIL = 3000  # characters of pytest's output shown when the tests fail on the real service


# --- broken copies of the service ---------------------------------------------------------------


def _unchanged_request(body: bytes, columns: set[str]) -> bytes:
    return body


def _unchanged_answer(status: int, body: bytes) -> tuple[int, bytes]:
    return status, body


@dataclass(frozen=True)
class Breakage:
    """One broken promise: how the proxy changes the request on its way in, or the answer on its way out."""

    promise: str  # the promise a client relies on, as the report names it
    request: Callable[[bytes, set[str]], bytes] = _unchanged_request
    answer: Callable[[int, bytes], tuple[int, bytes]] = _unchanged_answer


def _crash_on_client_errors(status: int, body: bytes) -> tuple[int, bytes]:
    """A service that falls over on bad input: every 4xx becomes a 500."""
    if 400 <= status < 500:
        return 500, b'{"error": "Internal Server Error"}'
    return status, body


def _drop_unknown_fields(body: bytes, columns: set[str]) -> bytes:
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
                {key: value for key, value in record.items() if key in columns}
                if isinstance(record, dict)
                else record
                for record in records
            ]
    return json.dumps(request).encode()


def _answer_first_record_only(status: int, body: bytes) -> tuple[int, bytes]:
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
    Breakage("a client's mistake gets a 4xx, not a 500", answer=_crash_on_client_errors),
    Breakage("a field the contract does not have is refused", request=_drop_unknown_fields),
    Breakage("every record of a request gets its own answer", answer=_answer_first_record_only),
)


def _proxy_handler(upstream: str, breakage: Breakage, columns: set[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._forward(None)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self._forward(breakage.request(self.rfile.read(length), columns))

        def _forward(self, body: bytes | None) -> None:
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            request = urllib.request.Request(
                upstream + self.path, data=body, method=self.command, headers=headers
            )
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
    server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(upstream, breakage, columns))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- running the team's tests -------------------------------------------------------------------


@dataclass(frozen=True)
class TestRun:
    passed: int
    failed: int  # failures and errors
    skipped: int
    output: str

    @property
    def green(self) -> bool:
        return self.passed > 0 and self.failed == 0


def run_contract_tests(context, url: str, stop_at_first_failure: bool = False) -> TestRun:
    """Run tests/service/ with pytest in a fresh process, against the service at `url`."""
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.xml"
        command = [sys.executable, "-m", "pytest", str(TESTS), "-q", "-p", "no:cacheprovider"]
        command += ["--junitxml", str(results)] + (["-x"] if stop_at_first_failure else [])
        try:
            finished = subprocess.run(
                command,
                check=False,  # failing tests are an answer here, not an error
                cwd=context.root,
                env={**os.environ, "SERVICE_URL": url},
                capture_output=True,
                text=True,
                timeout=TEST_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return TestRun(0, 1, 0, f"the contract tests did not finish within {TEST_TIMEOUT} s")
        output = finished.stdout + finished.stderr
        if not results.is_file():
            if "No module named pytest" in output:
                raise NotReady("pytest is not installed in .venv; run `make setup`")
            return TestRun(0, 1, 0, output)
        suite = ElementTree.parse(results).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        counts = {name: int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")}
    failed = counts["failures"] + counts["errors"]
    return TestRun(counts["tests"] - failed - counts["skipped"], failed, counts["skipped"], output)


@gate("contract-tests")
def contract_tests(context, thresholds) -> Outcome:
    """The team's contract tests pass on the real service and fail on each broken copy of it."""
    brief = "tests/service/ (docs/stages/5-deployment.md, section contract-tests)"
    if not list((context.root / TESTS).glob("test_*.py")):
        return Outcome(False, "no contract tests", f"test_*.py files in {TESTS}/", f"Write them in {brief}.")
    _, contract = _example_and_contract(context)  # NotReady, saying to run make pipeline, when missing
    columns = {column["name"] for column in contract["columns"]}
    try:
        service = running_service(context)
    except ServiceDown as problem:
        return _service_down(problem, context)

    real = run_contract_tests(context, service.url)
    if not real.green:
        ran = real.passed + real.failed
        measured = (
            f"{real.failed} of {ran} tests fail on the real service"
            if ran
            else "no test ran on the real service"
        )
        what = "they fail" if real.failed else "none of them ran (all skipped?)"
        return Outcome(
            False,
            measured,
            "all pass on the real service",
            f"Your contract tests must pass against the real service, and {what}. Run them as the check "
            f"does: `make serve` in one terminal, `make contract-test` in another. pytest said:\n\n"
            f"```\n{real.output[-OUTPUT_TAIL:]}\n```",
        )

    def survives(breakage: Breakage) -> bool:
        """Whether the team's tests all pass on this broken copy, i.e. miss the broken promise."""
        with broken_copy(service.url, breakage, columns) as url:
            return run_contract_tests(context, url, stop_at_first_failure=True).green

    # The runs are separate processes that mostly wait for pytest to start: run them side by side.
    with ThreadPoolExecutor(max_workers=len(BREAKAGES)) as pool:
        slipped = list(pool.map(survives, BREAKAGES))
    missed = [breakage.promise for breakage, survived in zip(BREAKAGES, slipped, strict=True) if survived]
    caught = len(BREAKAGES) - len(missed)
    needed = int(threshold(thresholds, "min_caught", len(BREAKAGES)))
    tests = "1 test passes" if real.passed == 1 else f"{real.passed} tests pass"
    measured = f"{tests}; {caught} of {len(BREAKAGES)} broken services caught"
    if caught < needed:
        return Outcome(
            False,
            measured,
            f"≥ {needed} broken services caught",
            f"Your contract tests still pass when the service breaks these promises; add a test for each, in "
            f"{brief}:\n\n" + "\n".join(f"- {promise}" for promise in missed),
        )
    return Outcome(True, measured, f"≥ {needed} broken services caught")
