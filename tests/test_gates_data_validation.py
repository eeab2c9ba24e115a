"""Full tier: the checkpoint gates of stage 1 (data) and stage 2 (validation), and the cheats they stop.

A reference churn repository with small data is baked, set up, run (make pipeline), its data
version committed and pushed: every gate of both stages passes. Then each known-bad variant, a
small patch to that baked repository, must fail exactly the gates it cheats; `capstone check 1`
and `capstone check 2` grade it, as CI does, and the gates are read from reports/checkpoint-N.json.
Each patch is reverted with git inside the baked repository.

A code patch would leave `dvc status` dirty (the pipeline depends on the code), which fails
`data-tracked` for a reason that has nothing to do with the cheat; the team would run
`make pipeline` first. Instead of 40 s of pipeline, `dvc commit` records the patched code as run:
the stage 1 and 2 gates read the team's code, never the outputs after data/raw.

A skeleton repository (set up, no pipeline) fails the quality gates, each detail naming the file
to change and the brief.
"""

import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from bakery import bake
from teamrepo import run

pytestmark = pytest.mark.full

ROWS = 3000  # the pipeline's data; the gates draw their own fresh deliveries from the feed
GATES = (
    "data-tracked",
    "cleaning-fixes-defects",
    "suites-cover-columns",
    "suites-pass-clean-batches",
    "suites-catch-defects",
)

# The cheats, each appended to a team module (a later def replaces the earlier one).
EMPTY_CLEAN_SUITE = """

def clean_expectations(schema, params, profile=None):  # cheat: no clean suite at all
    return []
"""
EMPTY_RAW_SUITE = """

def raw_expectations(schema, params, profile=None):  # cheat: no raw suite at all
    return []
"""
# Every column named, nothing checked: a column count and "at most half missing" pass the battery.
LAX_RAW_SUITE = """

def raw_expectations(schema, params, profile=None):  # cheat: a suite that passes the battery
    import great_expectations.expectations as gxe
    from capstone.feed import get_domain

    names = get_domain(params.data.dataset).names
    return [gxe.ExpectTableColumnCountToEqual(value=len(names))] + [
        gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=0.5) for name in names
    ]
"""
# Rejecting everything catches every corrupted file, and good data too.
REJECT_ALL_RAW_SUITE = """

_reference_raw = raw_expectations


def raw_expectations(schema, params, profile=None):  # cheat: nothing gets through
    import great_expectations.expectations as gxe

    return [*_reference_raw(schema, params, profile), gxe.ExpectTableRowCountToBeBetween(max_value=0)]
"""
NOOP_CLEANING = """

def clean_frame(frame, schema, dataset):  # cheat: cleaning that does nothing
    return frame.copy(), {}
"""


def checkpoint(repo: Path, stage: int) -> dict[str, dict]:
    """`capstone check <stage>` as CI runs it; the gates of reports/checkpoint-<stage>.json by id."""
    result = run(repo, ".venv/bin/capstone", "check", str(stage), check=False)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((repo / "reports" / f"checkpoint-{stage}.json").read_text())
    assert report["stage"] == stage and report["passed"] == (result.returncode == 0)
    return {gate["id"]: gate for gate in report["gates"]}


def grade(repo: Path) -> dict[str, dict]:
    """The gates of stages 1 and 2 (and integrity), by id."""
    return {**checkpoint(repo, 1), **checkpoint(repo, 2)}


def failed(gates: dict[str, dict]) -> set[str]:
    return {gate_id for gate_id, gate in gates.items() if gate["status"] == "failed"}


def explain(gates: dict[str, dict]) -> dict[str, str]:
    return {gate_id: f"{gate['measured']} | {gate['detail'][:600]}" for gate_id, gate in gates.items()}


def package(repo: Path) -> str:
    return yaml.safe_load((repo / "params.yaml").read_text())["project"]["package"]


@contextmanager
def patched(repo: Path, module: str, code: str):
    """The team module src/<package>/<module>.py with `code` appended, as if `make pipeline` had run."""
    path = f"src/{package(repo)}/{module.replace('.', '/')}.py"
    with (repo / path).open("a") as file:
        file.write(code)
    run(repo, ".venv/bin/dvc", "commit", "--force", "--quiet")  # see the module docstring
    try:
        yield
    finally:
        run(repo, "git", "checkout", "--", path, "dvc.lock")
        assert "up to date" in run(repo, ".venv/bin/dvc", "status").stdout


@pytest.fixture(scope="module")
def reference(tmp_path_factory, cc_config, pre_commit_home) -> Path:
    repo = bake(
        tmp_path_factory.mktemp("gates12"), cc_config, dataset="churn", scaffold="reference", project_slug="gates-ref"
    )
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "git", "commit", "-qam", f"Use {ROWS} rows")
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    # What a team does to deliver stage 1: commit the data version, push the data.
    run(repo, "git", "add", "dvc.lock")
    run(repo, "git", "commit", "-qm", "Data version")
    run(repo, "make", "push")
    return repo


def test_the_reference_passes_every_gate_of_stages_1_and_2(reference):
    gates = grade(reference)
    assert set(GATES) <= set(gates)
    assert not failed(gates), explain({g: gates[g] for g in failed(gates)})
    assert gates["suites-catch-defects"]["measured"].startswith("9 of 9 corrupted files caught")


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        pytest.param("validation.suites", EMPTY_CLEAN_SUITE, {"suites-cover-columns"}, id="empty-clean-suite"),
        # An empty raw suite also catches nothing: both gates are right to fail.
        pytest.param(
            "validation.suites",
            EMPTY_RAW_SUITE,
            {"suites-cover-columns", "suites-catch-defects"},
            id="empty-raw-suite",
        ),
        pytest.param("validation.suites", LAX_RAW_SUITE, {"suites-catch-defects"}, id="suite-passes-the-battery"),
        # The battery's control file and the good deliveries are rejected.
        pytest.param(
            "validation.suites",
            REJECT_ALL_RAW_SUITE,
            {"suites-pass-clean-batches", "suites-catch-defects"},
            id="suite-rejects-everything",
        ),
        # The reference's strict clean suite rightly rejects the uncleaned deliveries too.
        pytest.param(
            "data.clean",
            NOOP_CLEANING,
            {"cleaning-fixes-defects", "suites-pass-clean-batches"},
            id="cleaning-does-nothing",
        ),
    ],
)
def test_a_cheat_fails_exactly_its_gates(reference, module, code, expected):
    with patched(reference, module, code):
        gates = grade(reference)
    assert failed(gates) == expected, explain({g: gates[g] for g in failed(gates) ^ expected})
    for gate_id in expected:
        detail = gates[gate_id]["detail"]
        # one line first: what failed and which team file to change
        assert detail.splitlines()[0].strip() and f"src/{package(reference)}/" in detail, detail


def test_data_not_pushed_fails_data_tracked(reference, tmp_path):
    config = reference / ".dvc" / "config"
    # a fresh, empty remote: the data was never pushed there
    config.write_text(re.sub(r"(?m)^(\s*url\s*=).*$", rf'\1 "{tmp_path / "empty-remote"}"', config.read_text()))
    try:
        gates = grade(reference)
    finally:
        run(reference, "git", "checkout", "--", ".dvc/config")
    assert failed(gates) == {"data-tracked"}, explain(gates)
    tracked = gates["data-tracked"]
    assert "failed: pushed" in tracked["measured"], tracked
    assert "make push" in tracked["detail"].splitlines()[0], tracked["detail"]


def test_the_committed_data_version_is_what_counts(reference):
    """A dvc.lock that is not committed does not deliver the data: data-tracked says so."""
    run(reference, "git", "rm", "-q", "--cached", "dvc.lock")  # the file stays in the workspace
    run(reference, "git", "commit", "-qm", "Forget the data version")
    try:
        gates = checkpoint(reference, 1)
    finally:
        run(reference, "git", "reset", "-q", "HEAD~1")  # the commit undone, dvc.lock tracked again
    assert failed(gates) == {"data-tracked"}, explain(gates)
    assert "failed: tracked" in gates["data-tracked"]["measured"]


def test_the_skeleton_fails_the_quality_gates(tmp_path_factory, cc_config, pre_commit_home):
    repo = bake(
        tmp_path_factory.mktemp("gates12-skeleton"),
        cc_config,
        dataset="churn",
        scaffold="skeleton",
        project_slug="gates-skeleton",
    )
    run(repo, "make", "setup")  # no pipeline: the quality gates grade the code, not its outputs
    gates = grade(repo)
    quality = {"cleaning-fixes-defects", "suites-cover-columns", "suites-catch-defects"}
    assert failed(gates) & set(GATES) == quality | {"data-tracked"}, explain(gates)
    assert "failed: tracked" in gates["data-tracked"]["measured"]  # nothing was run or committed yet
    briefs = {"cleaning-fixes-defects": "docs/stages/1-data.md"}
    for gate_id in quality:
        detail = gates[gate_id]["detail"]
        assert briefs.get(gate_id, "docs/stages/2-validation.md") in detail, detail
        assert f"src/{package(repo)}/" in detail.splitlines()[0], detail
