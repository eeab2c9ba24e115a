"""Stage 5 gates: the champion's bento, the running service's contract and speed, and its provenance.

    bento-builds      the bento named in reports/bento.json is in the project's BentoML store (.bentoml/),
                      serves the current champion, and carries the code of this commit
    service-contract  the real service (as `make serve` starts it) answers the example request with the
                      right shape, and every malformed request with a 4xx that names the field, never 5xx
    latency-budget    the 95th percentile of single-record predictions is within the budget
    provenance        the bento's labels name the champion's MLflow run id and its data version

service-contract and latency-budget share one server: the first gate that needs it starts it (BentoML
takes about 16 s to be ready), and the checkpoint stops it when it ends (Context.on_close). bento-builds
starts it in the background before anything else, so the start-up overlaps the loading of MLflow and
the champion.
"""

import atexit
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from capstone.checkpoints.context import NotReady
from capstone.checkpoints.gates import Outcome, gate, threshold

BENTO_REPORT = Path("reports/bento.json")  # written by the pipeline's bento stage (serving/build.py)
CONTRACT = Path("reports/input_schema.json")  # the input contract the bento was built with
EXAMPLE = Path("reports/example_request.json")  # a valid request of real rows
STORE = Path(".bentoml")  # the project's BentoML store (BENTOML_HOME), as the Makefile sets it
SERVE_LOG = STORE / "checkpoint-serve.log"
READY_TIMEOUT = 120.0  # seconds; BentoML is ready in about 16 s here, slower on a busy CI runner
REQUEST_TIMEOUT = 30.0
WARMUP_REQUESTS = 3  # the first predictions pay for lazy imports and caches: not what a client sees
UNKNOWN_FIELD = "not_a_column"
LOG_TAIL = 15


# --- the bento in the store --------------------------------------------------------------------


def _bentoml(context):
    """bentoml, looking at the project's store: the same defaults as serving/build.py and serve.py."""
    os.environ.setdefault("BENTOML_HOME", str(context.root / STORE))
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    import bentoml

    return bentoml


def _bento_tag(context) -> str:
    path = context.root / BENTO_REPORT
    if not path.is_file():
        raise NotReady(f"{BENTO_REPORT} is missing: no bento was built yet; run `make pipeline`")
    return json.loads(path.read_text(encoding="utf-8"))["tag"]


def _bento(context):
    """The bento that reports/bento.json names, from the store; NotReady when it is not there."""
    bentoml = _bentoml(context)
    from bentoml.exceptions import NotFound

    tag = _bento_tag(context)
    try:
        return bentoml.bentos.get(tag)
    except NotFound:
        raise NotReady(
            f"{BENTO_REPORT} names the bento {tag}, but the BentoML store ({os.environ['BENTOML_HOME']}) "
            "does not have it; run `make pipeline` to build it again"
        ) from None


def _served_models(bento) -> list:
    """The BentoML models the bento's service loads (build.py imports the champion as one of them)."""
    return [model for service in bento.info.services for model in service.models]


def _registered_as(model) -> tuple[str, str]:
    """(registered model, version) a BentoML model was imported from, by the labels build.py gives it."""
    labels = model.info.labels
    return labels.get("mlflow_model", ""), labels.get("mlflow_version", "")


def _changed_sources(context, bento) -> list[str]:
    """Python files of src/<package>/ that differ from (or are missing in) the bento's copy."""
    package = context.params.project.package
    here, packed = context.root / "src" / package, Path(bento.path) / "src" / package
    changed = []
    for path in sorted(here.rglob("*.py")):
        relative = path.relative_to(here)
        copy = packed / relative
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            changed.append(f"src/{package}/{relative.as_posix()}")
    return changed


@gate("bento-builds")
def bento_builds(context, thresholds) -> Outcome:
    """The bento that reports/bento.json names is in the store, serves the champion and this commit's code.

    Why: `make serve` and the deployment serve that bento, not the source tree. A bento built before the
    champion moved, or before the code changed, would put another model or other code in production.
    """
    # First, start the service for service-contract: it gets ready while this gate loads MLflow.
    start_service(context)
    bento = _bento(context)
    bentoml = _bentoml(context)
    from bentoml.exceptions import NotFound

    models = _served_models(bento)
    missing = []
    for model in models:
        try:
            bentoml.models.get(model.tag)
        except NotFound:
            missing.append(str(model.tag))
    if not models or missing:
        return Outcome(
            False,
            f"bento {bento.tag} lacks its model ({', '.join(missing) or 'none listed'})",
            "the champion's model in the store",
            "The bento's service has no model to load. Rebuild it with `make pipeline`: "
            f"src/{context.params.project.package}/serving/build.py imports the champion, then builds it.",
        )
    champion = context.champion
    served = {_registered_as(bentoml.models.get(model.tag)) for model in models}
    if (champion.name, str(champion.version)) not in served:
        shown = ", ".join(f"{name or '?'} version {version or '?'}" for name, version in sorted(served))
        return Outcome(
            False,
            f"bento {bento.tag} serves {shown}",
            f"the champion, {champion.name} version {champion.version}",
            "The champion moved after the bento was built (or the bento was built from another model). "
            "Rebuild it: `make pipeline` (its bento stage imports the current champion).",
        )
    changed = _changed_sources(context, bento)
    if changed:
        listed = "\n".join(f"- `{name}`" for name in changed[:10])
        return Outcome(
            False,
            f"bento {bento.tag} holds older code: {len(changed)} file(s) differ",
            "the code of this commit",
            "The bento was built before these files changed, so it would not serve this commit's code. "
            "Rebuild it with `make pipeline` (or `dvc repro bento`), then commit dvc.lock:\n\n" + listed,
        )
    return Outcome(True, f"bento {bento.tag}, champion version {champion.version}, this commit's code")


@gate("provenance")
def provenance(context, thresholds) -> Outcome:
    """The bento's labels name the champion's MLflow run id and data version.

    Why: anyone who finds the bento in production must be able to trace it back to the run (and so
    the code, parameters and metrics) and to the data it was trained on. The labels are written by
    serving/build.py; this gate compares them with MLflow's champion and its run's data_version tag.
    """
    bento = _bento(context)
    labels = dict(bento.info.labels)
    champion = context.champion
    data_version = context.mlflow.get_run(champion.run_id).data.tags.get("data_version", "")
    problems = []
    if labels.get("mlflow_run_id") != champion.run_id:
        problems.append(
            f"label `mlflow_run_id` is `{labels.get('mlflow_run_id', '(missing)')}`, "
            f"the champion's run is `{champion.run_id}`"
        )
    if not data_version or data_version == "unknown":
        problems.append(f"the champion's run `{champion.run_id}` has no `data_version` tag")
    elif labels.get("data_version") != data_version:
        problems.append(
            f"label `data_version` is `{labels.get('data_version', '(missing)')}`, "
            f"the champion's run has `{data_version}`"
        )
    if problems:
        return Outcome(
            False,
            f"{len(problems)} label(s) do not match the champion",
            "the champion's run id and data version",
            f"The bento {bento.tag} cannot be traced to its model. "
            f"Labels are set in src/{context.params.project.package}/serving/build.py (`_labels`); "
            "the run's tags in models/tracking.py. Rebuild with `make pipeline`.\n\n"
            + "\n".join(f"- {problem}" for problem in problems),
        )
    return Outcome(True, f"run {champion.run_id[:12]}, data version {data_version[:12]}")


# --- the running service -----------------------------------------------------------------------


class ServiceDown(Exception):
    """The service could not be started, or stopped answering; the message says what happened."""


@dataclass
class Service:
    """`python -m <package>.serving.serve` (what `make serve` runs), on a free port of 127.0.0.1."""

    process: subprocess.Popen
    url: str
    log: Path
    ready: bool = False
    failure: "ServiceDown | None" = None

    @classmethod
    def start(cls, context) -> "Service":
        port = _free_port()
        log_path = context.root / SERVE_LOG
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PORT": str(port),
            "BENTOML_HOME": os.environ.get("BENTOML_HOME") or str(context.root / STORE),
            "BENTOML_DO_NOT_TRACK": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        with log_path.open("wb") as log:
            # serve.py replaces itself with `bentoml serve` (exec): this PID is BentoML's arbiter,
            # which stops its worker on SIGTERM (the worker runs in a process group of its own).
            process = subprocess.Popen(
                [sys.executable, "-m", f"{context.params.project.package}.serving.serve"],
                cwd=context.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return cls(process, f"http://127.0.0.1:{port}", log_path)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceDown(f"the service exited (code {self.process.returncode}) before it was ready")
            try:
                if _http("GET", f"{self.url}/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        raise ServiceDown(f"the service was not ready (GET /readyz) after {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, path: str, body: bytes) -> tuple[int, str]:
        return _http("POST", f"{self.url}{path}", body, timeout=REQUEST_TIMEOUT)

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL:])


def start_service(context) -> Service:
    """Start the service in the background, once per checkpoint; it is stopped when the check ends.

    bento-builds calls this as soon as it has found the bento, so that BentoML's start-up (about
    16 s, mostly imports) runs while the gates load MLflow and the champion on the other core.
    """
    cached = getattr(context, "_deployment_service", None)
    if cached is not None:
        return cached
    _bento_tag(context)  # NotReady when nothing was built: say "run make pipeline", not a server error
    service = Service.start(context)
    context.on_close(service.stop)
    atexit.register(service.stop)  # also when a gate is called on its own, outside a check
    context._deployment_service = service
    return service


def running_service(context) -> Service:
    """The started service, once it is ready; the gates that send requests share it.

    Raises ServiceDown, with the end of the server's log, when it does not get ready. The failure is
    remembered, so the next gate does not wait for it again.
    """
    service = start_service(context)
    if service.failure is None and not service.ready:
        try:
            service.wait_ready()
            service.ready = True
        except ServiceDown as problem:
            service.stop()
            service.failure = ServiceDown(
                f"{problem}. `make serve` fails the same way; its log ({SERVE_LOG}) ends with:\n\n"
                f"```\n{service.log_tail()}\n```"
            )
    if service.failure is not None:
        raise service.failure
    return service


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _http(method: str, url: str, body: bytes | None = None, timeout: float = REQUEST_TIMEOUT):
    """(status, body) of one request; an HTTP error status is an answer here, not an exception."""
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


# --- the contract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A malformed request, and the field its error answer must name (None: no field to name)."""

    problem: str
    body: bytes
    field: str | None


def _example_and_contract(context) -> tuple[dict, dict]:
    for path in (EXAMPLE, CONTRACT):
        if not (context.root / path).is_file():
            raise NotReady(f"{path} is missing; run `make pipeline` (its bento stage writes it)")
    example = json.loads((context.root / EXAMPLE).read_text(encoding="utf-8"))
    contract = json.loads((context.root / CONTRACT).read_text(encoding="utf-8"))
    return example, contract


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
        probes.append(Probe(f"the required field `{name}` left out", request([_without(record, name)]), name))
    wrong = _wrong_type(record, columns)
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


def _without(record: dict, name: str) -> dict:
    return {key: value for key, value in record.items() if key != name}


def _wrong_type(record: dict, columns: dict) -> tuple[str, object] | None:
    """A field and a value of the wrong type for it: text for a number, a number for a category."""
    for kinds, value in ((("integer", "number"), "not a number"), (("category", "date", "text"), 12345)):
        for name in record:
            if columns.get(name, {}).get("type") in kinds:
                return name, value
    return None


def names(body: str, field: str) -> bool:
    """Whether an error answer names `field` as a whole word (`age` is not named by "usage")."""
    return re.search(rf"(?<!\w){re.escape(field)}(?!\w)", body) is not None


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
            if not _finite_number(item["prediction"]):
                problems.append(f"item {index}: the estimate `prediction` is not a finite number")
            continue
        if str(item["prediction"]) not in classes:
            problems.append(f"item {index}: `prediction` {item['prediction']!r} is not a class of {classes}")
        probabilities = item.get("probabilities")
        if not isinstance(probabilities, dict) or sorted(probabilities) != sorted(classes):
            problems.append(f"item {index}: `probabilities` should give each class {classes} a probability")
        elif not all(_finite_number(p) and 0 <= p <= 1 for p in probabilities.values()) or not math.isclose(
            sum(probabilities.values()), 1.0, abs_tol=1e-3
        ):
            problems.append(f"item {index}: `probabilities` are not probabilities that add up to 1")
    return problems


def _finite_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _service_down(problem: ServiceDown, context) -> Outcome:
    return Outcome(
        False,
        "the service did not start",
        "ready (GET /readyz answers 200)",
        f"The service of the bento in {BENTO_REPORT} could not be served: {problem}\n\n"
        f"Try it yourself: `make serve`. The service is in src/{context.params.project.package}/serving/.",
    )


@gate("service-contract")
def service_contract(context, thresholds) -> Outcome:
    """The running service answers a valid request correctly and refuses malformed ones with 4xx.

    The server is the real one (`make serve`), reached over HTTP like any client. A valid request
    (reports/example_request.json) must get 200 and one prediction per record: the class and each
    class's probability for a classifier, a finite estimate for a regressor. Each malformed request
    (see malformed_requests) must get a 4xx answer whose body names the field at fault, so the client
    can fix it; a 5xx means the service crashed on a client's mistake.
    """
    example, contract = _example_and_contract(context)
    try:
        service = running_service(context)
    except ServiceDown as problem:
        return _service_down(problem, context)
    serving = f"src/{context.params.project.package}/serving/"
    status, body = service.post("/predict", json.dumps(example).encode())
    if status != 200:
        return Outcome(
            False,
            f"the example request got {status}",
            "200 and one prediction per record",
            f"The service refused or failed a valid request ({EXAMPLE}). Check {serving}service.py; "
            "`make serve` then `make predict-example` shows the same. The answer was:"
            f"\n\n```\n{body[:800]}\n```",
        )
    records = next(iter(example.values()))
    try:
        answer = json.loads(body)
    except json.JSONDecodeError:
        answer = body
    shape = answer_problems(answer, records, contract)
    failures = []
    for probe in malformed_requests(example, contract):
        status, body = service.post("/predict", probe.body)
        if not 400 <= status < 500:
            failures.append(f"- {probe.problem}: got **{status}**, expected 4xx. The answer: `{body[:200]}`")
        elif probe.field and not names(body, probe.field):
            failures.append(f"- {probe.problem}: got {status}, but the answer does not name `{probe.field}`")
    if shape or failures:
        first = (
            "The answer to the valid example request has the wrong shape"
            if shape
            else "Malformed requests must get 4xx naming the field, never 5xx"
        )
        return Outcome(
            False,
            f"{len(shape)} answer problem(s), {len(failures)} malformed request(s) mishandled",
            "right shape; 4xx naming the field for each malformed request",
            f"{first}: check the request and answer classes in {serving}contract.py and service.py.\n\n"
            + "\n".join([f"- {problem}" for problem in shape] + failures),
        )
    return Outcome(
        True,
        f"200 with the right shape; {len(malformed_requests(example, contract))} malformed requests got 4xx",
        "right shape; 4xx naming the field",
    )


@gate("latency-budget")
def latency_budget(context, thresholds) -> Outcome:
    """The 95th percentile of single-record predictions, measured one request at a time, is within budget.

    The requests go to the same running service as service-contract, one after the other, each
    with one record of the example request (a new connection each time, as a simple client does).
    A few warm-up requests come first. p95 is the nearest-rank percentile of `requests` timings.
    """
    budget = threshold(thresholds, "p95_ms", 300)
    count = max(1, int(threshold(thresholds, "requests", 50)))
    example, _ = _example_and_contract(context)
    try:
        service = running_service(context)
    except ServiceDown as problem:
        return _service_down(problem, context)
    key = next(iter(example))
    bodies = [json.dumps({key: [record]}).encode() for record in example[key]]
    for index in range(WARMUP_REQUESTS):
        service.post("/predict", bodies[index % len(bodies)])
    timings, errors = [], []
    for index in range(count):
        started = time.perf_counter()
        status, body = service.post("/predict", bodies[index % len(bodies)])
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors.append(f"{status}: {body[:200]}")
    p95 = percentile(timings, 95)
    measured = f"p95 {p95:.0f} ms over {count} requests (median {percentile(timings, 50):.0f} ms)"
    expected = f"at most {budget:g} ms"
    if errors:
        return Outcome(
            False,
            f"{len(errors)} of {count} requests failed",
            expected,
            f"Single-record predictions must succeed before their speed counts. First failure: `{errors[0]}`",
        )
    if p95 > budget:
        return Outcome(
            False,
            measured,
            expected,
            "One prediction takes too long. Profile `predict` in "
            f"src/{context.params.project.package}/serving/service.py and the model's pipeline: heavy "
            "features, a large ensemble, or work done per request "
            "that could be done once in `__init__`.",
        )
    return Outcome(True, measured, expected)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value that at least `share`% of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]
