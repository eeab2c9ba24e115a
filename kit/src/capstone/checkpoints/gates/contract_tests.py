"""contract-tests (stage 5): the team's contract tests pass on the real service and fail on broken copies.

tests/service/ must pass against the real service (as `make serve` starts it), and fail against
each broken copy of it (probes.BREAKAGES). Why broken copies: a contract test that passes whatever
the service does protects nothing. Each broken copy is a small proxy on 127.0.0.1 in front of the
real service that breaks one promise a client relies on; the team's tests must fail against every
one of them (the threshold `min_caught` in capstone.yaml). The same idea as stage 2's defect
battery, turned on the service.
"""

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from capstone.checkpoints import service
from capstone.checkpoints.probes import BREAKAGES, Breakage, broken_copy
from capstone.checkpoints.registry import NotReady, Outcome, gate, threshold
from capstone.checkpoints.server import ServiceDown

TESTS = Path("tests/service")  # the team's contract tests; they find the service at SERVICE_URL
TEST_TIMEOUT = 300  # seconds for one run of the team's tests
OUTPUT_TAIL = 3000  # characters of pytest's output shown when the tests fail on the real service
BRIEF = "tests/service/ (docs/stages/5-deployment.md, section contract-tests)"
ADVICE = dict(
    none=f"Write them in {BRIEF}.",
    red=(
        "Your contract tests must pass against the real service, and {what}. Run them as the check "
        "does: `make serve` in one terminal, `make contract-test` in another. pytest said:\n\n```\n{output}\n```"
    ),
    fail="they fail",
    skipped="none of them ran (all skipped?)",
    missed=(
        f"Your contract tests still pass when the service breaks these promises; add a test for each, in "
        f"{BRIEF}:\n\n{{promises}}"
    ),
    no_pytest="pytest is not installed in .venv; run `make setup`",
    timeout="the contract tests did not finish within {seconds} s",
)


@dataclass(frozen=True)
class TestRun:
    __test__ = False  # not a pytest test class

    passed: int
    failed: int  # failures and errors
    skipped: int
    output: str

    @property
    def green(self) -> bool:
        return self.passed > 0 and self.failed == 0


@gate("contract-tests")
def contract_tests(context, thresholds) -> Outcome:
    if not list((context.root / TESTS).glob("test_*.py")):
        return Outcome(False, "no contract tests", f"test_*.py files in {TESTS}/", ADVICE["none"])
    _, contract = service.example_and_contract(context)  # NotReady, saying to run make pipeline, when missing
    columns = {column["name"] for column in contract["columns"]}
    try:
        running = service.running_service(context)
    except ServiceDown as problem:
        return service.service_down(problem, context)

    real = run_contract_tests(context, running.url)
    if not real.green:
        ran = real.passed + real.failed
        measured = (
            f"{real.failed} of {ran} tests fail on the real service" if ran else "no test ran on the real service"
        )
        what = ADVICE["fail"] if real.failed else ADVICE["skipped"]
        return Outcome(
            False,
            measured,
            "all pass on the real service",
            ADVICE["red"].format(what=what, output=real.output[-OUTPUT_TAIL:]),
        )

    def survives(breakage: Breakage) -> bool:
        """Whether the team's tests all pass on this broken copy, i.e. miss the broken promise."""
        with broken_copy(running.url, breakage, columns) as url:
            return run_contract_tests(context, url, stop_at_first_failure=True).green

    # The runs are separate processes that mostly wait for pytest to start: run them side by side.
    with ThreadPoolExecutor(max_workers=len(BREAKAGES)) as pool:
        slipped = list(pool.map(survives, BREAKAGES))
    missed = [breakage.promise for breakage, survived in zip(BREAKAGES, slipped, strict=True) if survived]
    caught = len(BREAKAGES) - len(missed)
    needed = int(threshold(thresholds, "min_caught", len(BREAKAGES)))
    tests = "1 test passes" if real.passed == 1 else f"{real.passed} tests pass"
    measured = f"{tests}; {caught} of {len(BREAKAGES)} broken services caught"
    expected = f"≥ {needed} broken services caught"
    if caught < needed:
        promises = "\n".join(f"- {promise}" for promise in missed)
        return Outcome(False, measured, expected, ADVICE["missed"].format(promises=promises))
    return Outcome(True, measured, expected)


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
            return TestRun(0, 1, 0, ADVICE["timeout"].format(seconds=TEST_TIMEOUT))
        output = finished.stdout + finished.stderr
        if not results.is_file():
            if "No module named pytest" in output:
                raise NotReady(ADVICE["no_pytest"])
            return TestRun(0, 1, 0, output)
        suite = ElementTree.parse(results).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        counts = {name: int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")}
    failed = counts["failures"] + counts["errors"]
    return TestRun(counts["tests"] - failed - counts["skipped"], failed, counts["skipped"], output)
