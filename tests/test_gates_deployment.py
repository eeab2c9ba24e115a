"""Full tier: the stage 5 gates (bento-builds, service-contract, latency-budget, contract-tests, provenance).

One baked reference repository (churn, small data) runs `make setup` and `make pipeline`; then:
- `capstone check 5` passes every gate, reports each gate's seconds, and leaves no server running;
- each cheat, applied as a small patch to the baked repo, fails exactly its gates: a service that
  answers 500 to a malformed request fails service-contract and, because the team's own contract
  tests notice it, contract-tests (`capstone check 5`); contract tests that pass whatever the service
  does fail contract-tests, naming the broken promises they miss; a latency budget the service
  cannot meet fails latency-budget, not service-contract (one shared server); a bento older than
  the code fails bento-builds, and labels without the data version fail provenance (the gates that
  read the bento);
- without a built bento every gate says to run `make pipeline`, and no server is started.
"""

import json
import os
import textwrap
from pathlib import Path

import pytest
from bakery import bake
from teamrepo import run

pytestmark = pytest.mark.full

ROWS = 3000
STAGE_5 = ["bento-builds", "service-contract", "latency-budget", "contract-tests", "provenance"]

# Runs gates in-process in the team's environment, as check.py does, with thresholds of our choosing.
GATES_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from capstone.checkpoints.check import check_spec
    from capstone.checkpoints.context import Context, NotReady
    from capstone.checkpoints.gates import load_all
    from capstone.config import load_params, load_spec

    root = Path(".").resolve()
    context = Context(root, load_params(root), load_spec(root))
    wanted = json.loads(sys.argv[1])  # {gate id: thresholds}
    results = {}
    try:
        for gate_id, thresholds in wanted.items():
            started = time.perf_counter()
            try:
                outcome = load_all()[gate_id](context, thresholds)
                results[gate_id] = dict(passed=outcome.passed, measured=outcome.measured, detail=outcome.detail)
            except NotReady as problem:
                results[gate_id] = dict(passed=False, measured="not ready", detail=str(problem))
            results[gate_id]["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        context.close()
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory, cc_config, pre_commit_home) -> Path:
    repo = bake(tmp_path_factory.mktemp("deploy"), cc_config, scaffold="reference", dataset="churn")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "git", "commit", "-qam", f"Use {ROWS} rows")
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    (repo / "gates.py").write_text(GATES_SCRIPT)  # untracked: the tests' helper
    return repo


def spec_thresholds(repo: Path) -> dict[str, dict]:
    import yaml

    spec = yaml.safe_load((repo / "capstone.yaml").read_text())
    return {gate["id"]: gate.get("thresholds", {}) for stage in spec["stages"] for gate in stage["gates"]}


def gates(repo: Path, only: list[str] = STAGE_5, **overrides) -> dict[str, dict]:
    """Stage 5's gates (or `only` these) in-process, with capstone.yaml's thresholds unless overridden."""
    thresholds = spec_thresholds(repo)
    wanted = {gate_id: {**thresholds[gate_id], **overrides.get(gate_id.replace("-", "_"), {})} for gate_id in only}
    result = run(repo, ".venv/bin/python", "gates.py", json.dumps(wanted))
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_5(repo: Path) -> dict[str, dict]:
    """`capstone check 5`, as CI runs it, without the earlier stages' gates; the gates of its JSON report by id."""
    result = run(repo, ".venv/bin/capstone", "check", "5", "--this-stage-only", check=False)
    report = json.loads((repo / "reports" / "checkpoint-5.json").read_text())
    assert (result.returncode == 0) == report["passed"], result.stdout[-2000:]
    return {gate["id"]: gate for gate in report["gates"]}


def failed(results: dict[str, dict]) -> set[str]:
    return {
        gate_id for gate_id, gate in results.items() if gate.get("status") == "failed" or gate.get("passed") is False
    }


def serving_processes(repo: Path) -> list[str]:
    """Processes still serving from this repository (bentoml's arbiter or worker), by their command line."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "serve" in command and (str(repo) in command or cwd.startswith(str(repo))) and "pytest" not in command:
            found.append(f"{pid}: {command}")
    return found


def test_the_reference_passes_stage_5_and_stops_its_server(repo):
    results = check_5(repo)
    assert [gate_id for gate_id in results if gate_id != "integrity"] == STAGE_5
    assert not failed(results), {gate_id: results[gate_id]["detail"] for gate_id in failed(results)}
    assert "200 with the right shape" in results["service-contract"]["measured"]
    assert results["latency-budget"]["measured"].startswith("p95 ")
    timings = {gate_id: gate["seconds"] for gate_id, gate in results.items()}
    print(f"stage 5 gate seconds: {timings}")
    # The shared server: started once, ready within the budget, stopped when the check ended.
    assert sum(timings[gate_id] for gate_id in STAGE_5) < 120, timings
    assert (repo / ".bentoml" / "checkpoint-serve.log").is_file()
    assert serving_processes(repo) == []


def test_a_latency_budget_the_service_cannot_meet_fails_only_latency(repo):
    # The two gates that send requests share one server; only the budget differs from capstone.yaml.
    results = gates(repo, ["service-contract", "latency-budget"], latency_budget={"p95_ms": 0.01, "requests": 5})
    assert failed(results) == {"latency-budget"}, results
    latency = results["latency-budget"]
    assert "over 5 requests" in latency["measured"] and latency["detail"].startswith("One prediction takes too long")
    assert serving_processes(repo) == []


def test_contract_tests_that_pass_whatever_the_service_does_fail_contract_tests(repo):
    # The cheat: the team's contract tests reduced to "the example gets a 200" (the skeleton's).
    tests = repo / "tests" / "service" / "test_contract.py"
    original = tests.read_text()
    tests.write_text(
        "def test_the_example_request_gets_an_answer(client, example):\n"
        "    assert client.post('/predict', json=example).status_code == 200\n"
    )
    try:
        results = gates(repo, ["service-contract", "contract-tests"])
    finally:
        tests.write_text(original)
    assert failed(results) == {"contract-tests"}, results
    assert results["contract-tests"]["measured"] == "1 test passes; 0 of 3 broken services caught"
    detail = results["contract-tests"]["detail"]
    for promise in ("4xx, not a 500", "does not have is refused", "its own answer"):
        assert promise in detail, detail
    assert serving_processes(repo) == []


# The cheats below change the bento or the code, not what the service answers (the built bento still
# serves the same service): only the gates that read the bento run, the others are covered above.
BENTO_GATES = ["bento-builds", "provenance"]


def test_a_bento_older_than_the_code_fails_bento_builds(repo):
    service = next((repo / "src").glob("*/serving/service.py"))
    original = service.read_text()
    try:
        service.write_text(original + "\n# a change made after the bento was built\n")
        results = gates(repo, BENTO_GATES)
    finally:
        service.write_text(original)
    assert failed(results) == {"bento-builds"}, results
    detail = results["bento-builds"]["detail"]
    assert "serving/service.py" in detail and "make pipeline" in detail.splitlines()[0]


def test_without_a_bento_every_gate_says_run_make_pipeline(repo):
    report = repo / "reports" / "bento.json"
    saved = report.read_bytes()
    report.unlink()
    try:
        results = gates(repo)
    finally:
        report.write_bytes(saved)
    assert failed(results) == set(STAGE_5), results
    for gate_id in STAGE_5:
        assert "make pipeline" in results[gate_id]["detail"], (gate_id, results[gate_id])
    assert serving_processes(repo) == []


def rebuild_with(repo: Path, path: Path, old: str, new: str) -> str:
    """Apply a one-line patch, rebuild the bento (make pipeline reruns only the bento stage); return the original."""
    original = path.read_text()
    assert old in original, f"the patch no longer applies to {path}"
    path.write_text(original.replace(old, new))
    run(repo, "make", "pipeline")
    return original


def test_a_service_that_answers_500_to_bad_input_fails_service_contract(repo):
    # The cheat: no lower bound on the records list, so an empty request reaches the model and crashes it.
    service = next((repo / "src").glob("*/serving/service.py"))
    original = rebuild_with(
        repo, service, "Field(min_length=1, max_length=MAX_RECORDS)", "Field(max_length=MAX_RECORDS)"
    )
    try:
        results = check_5(repo)
    finally:
        service.write_text(original)  # the next test rebuilds the bento
    # The reference's contract tests send an empty list too: they fail on this service, as they should.
    measured = {gate_id: results[gate_id]["measured"] for gate_id in failed(results)}
    assert failed(results) == {"service-contract", "contract-tests"}, measured
    assert "fail on the real service" in results["contract-tests"]["measured"]
    detail = results["service-contract"]["detail"]
    assert detail.startswith("Malformed requests must get 4xx") and "got **500**" in detail and "empty" in detail
    assert serving_processes(repo) == []


def test_labels_without_the_data_version_fail_provenance(repo):
    # The bento's labels are the kit's; a team can still patch the kit from its own entry point.
    build = next((repo / "src").glob("*/serving/build.py"))
    patch = (
        "import capstone.pipeline.bento as bento\n\n"
        "_labels = bento._labels\n"
        'bento._labels = lambda champion: {k: v for k, v in _labels(champion).items() if k != "data_version"}\n\n'
        'if __name__ == "__main__":'
    )
    original = rebuild_with(repo, build, 'if __name__ == "__main__":', patch)
    try:
        results = gates(repo, BENTO_GATES)
    finally:
        build.write_text(original)  # the last test of the module: no rebuild needed
    assert failed(results) == {"provenance"}, results
    assert "data_version" in results["provenance"]["detail"]
