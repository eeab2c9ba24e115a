"""The checkpoint's trust model, checked statically over the workflows (tests/workflow_rules.py).

- the course's reusable workflow (.github/workflows/checkpoint.yml) keeps every rule, its KIT_VERSION
  is the kit's version, and it passes actionlint and zizmor;
- the team workflows of every dataset x scaffold x kit_index_url combination keep every rule, and the
  caller is pinned to the commit the repo was baked from;
- each known-bad workflow in tests/fixtures/bad-workflows/ is caught, with exactly the violations its
  header names (`# side: course|team`, one `# expect: ...` line per violation).
"""

import copy
import itertools
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
import workflow_rules
import yaml
from bakery import DEFAULTS, TEMPLATE, bake, git, template_source
from workflow_rules import uv_config_violations, violations

BIN = Path(sys.executable).parent
COURSE_WORKFLOW = TEMPLATE / ".github" / "workflows" / "checkpoint.yml"
BAD = Path(__file__).parent / "fixtures" / "bad-workflows"
KIT_VERSION = tomllib.loads((TEMPLATE / "kit" / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
INDEX_URL = "https://pypi.example.edu/simple/"
COURSE = "uni-x/capstone-course"
# What changes the team's workflows: the dataset and scaffold (everything else of the repo), the
# course's package index (the caller passes it on) and the course repository's name (the caller's target).
COMBINATIONS = [
    {
        "dataset": dataset,
        "scaffold": scaffold,
        "kit_index_url": index_url,
        "course_repository": ("", COURSE)[(number // 2) % 2],
    }
    for number, (dataset, scaffold, index_url) in enumerate(
        itertools.product(DEFAULTS["dataset"], DEFAULTS["scaffold"], ["", INDEX_URL])
    )
]


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- the course's reusable workflow -------------------------------------------------------------


def test_the_course_workflow_keeps_every_rule():
    workflow = load(COURSE_WORKFLOW)
    assert workflow_rules.is_reusable(workflow)
    assert violations("checkpoint.yml", workflow, side="course", kit_version=KIT_VERSION) == []
    # The jobs the rules are about are there: two hold the secret, in the environment; one runs team code.
    jobs = workflow["jobs"]
    assert {job_id for job_id, job in jobs.items() if workflow_rules.holds_secret(job)} == {"features", "score"}
    assert {job_id for job_id, job in jobs.items() if workflow_rules.runs_team_code(job)} == {"grade"}
    assert workflow["env"]["KIT_VERSION"] == KIT_VERSION


def test_the_allowlisted_download_is_the_one_that_needs_it(monkeypatch):
    """Without its allowlist entry, score's download of checkpoint-graded is a violation; nothing else is."""
    monkeypatch.setattr(workflow_rules, "ARTIFACT_ALLOWLIST", set())
    found = violations("checkpoint.yml", load(COURSE_WORKFLOW), side="course", kit_version=KIT_VERSION)
    assert len(found) == 1, found
    assert found[0].startswith("checkpoint.yml: job score: step 5 (Download the grading job's files")
    assert "downloads artifact 'checkpoint-graded', uploaded by a job that runs team code (grade)" in found[0]


def test_another_kit_version_is_caught():
    workflow = load(COURSE_WORKFLOW)
    assert violations("checkpoint.yml", workflow, side="course", kit_version="9.9.9") == [
        f"checkpoint.yml: (workflow): env KIT_VERSION is '{KIT_VERSION}', kit/pyproject.toml's version is '9.9.9'"
    ]
    overridden = copy.deepcopy(workflow)
    overridden["jobs"]["score"]["env"] = {"KIT_VERSION": "0.1.0"}
    assert violations("checkpoint.yml", overridden, side="course", kit_version=KIT_VERSION) == [
        "checkpoint.yml: job score: sets its own KIT_VERSION (the workflow's is the course's)"
    ]


def test_the_grading_jobs_exemption_covers_its_grader_command_only():
    """The grade job may name the team's lock in the command that hands it to the grader, nowhere else."""
    workflow = copy.deepcopy(load(COURSE_WORKFLOW))
    [step] = [step for step in workflow["jobs"]["grade"]["steps"] if "grade run" in step.get("run", "")]
    step["run"] = step["run"].replace("status=0\n", "status=0\nuv sync --locked && cp uv.lock /tmp/\n")
    found = violations("checkpoint.yml", workflow, side="course", kit_version=KIT_VERSION)
    prefix = "checkpoint.yml: job grade: step 7 (Grade (the team's code runs as capstone-team)): "
    assert found == [
        prefix + "installs or runs from the team's lock (uv sync)",
        prefix + "installs or runs from the team's lock (--locked)",
        prefix + "installs or runs from the team's lock (uv.lock)",
    ]


def test_actionlint_and_zizmor_pass_on_the_course_workflow():
    lint = subprocess.run(
        [BIN / "actionlint", "-color=false", str(COURSE_WORKFLOW)], capture_output=True, text=True, timeout=120
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    zizmor = subprocess.run(
        [BIN / "zizmor", "--offline", "--min-severity", "medium", "--no-progress", str(COURSE_WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr


# --- uv reads the configuration of the folder it runs in ----------------------------------------


def test_uv_reads_the_configuration_of_the_folder_it_runs_in(tmp_path):
    """Why uv_config_violations exists: `uv pip install` in the team's checkout obeys its [tool.uv]."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("no uv on PATH")
    team = tmp_path / "team"
    team.mkdir()
    (team / "pyproject.toml").write_text(
        '[project]\nname = "team"\nversion = "0"\n\n[tool.uv]\nindex-url = "http://127.0.0.1:9/simple"\n'
    )
    venv.create(tmp_path / "grader", with_pip=False)
    command = [uv, "pip", "install", "--dry-run", "--no-cache", "--python", str(tmp_path / "grader" / "bin" / "python")]
    installed = subprocess.run([*command, "six"], cwd=team, capture_output=True, text=True, timeout=120)
    assert installed.returncode != 0 and "127.0.0.1:9" in installed.stderr, installed.stderr
    ignored = subprocess.run(
        [*command, "--no-config", "--offline", "six"], cwd=team, capture_output=True, text=True, timeout=120
    )
    assert "127.0.0.1:9" not in ignored.stdout + ignored.stderr


def test_the_jobs_holding_the_secret_run_uv_without_the_team_configuration():
    """uv must not read the team's [tool.uv] or uv.toml (UV_NO_CONFIG), or the team would choose the grader."""
    assert uv_config_violations("checkpoint.yml", load(COURSE_WORKFLOW)) == []


# --- the team's workflows, every combination ------------------------------------------------------


@pytest.fixture(scope="module")
def baked(tmp_path_factory, cc_config) -> list[tuple[dict, Path]]:
    results = []
    for number, answers in enumerate(COMBINATIONS):
        slug = f"trust-{number}-{answers['dataset'].replace('_', '-')}"
        results.append((answers, bake(tmp_path_factory.mktemp("trust"), cc_config, project_slug=slug, **answers)))
    return results


def test_every_combination_is_baked():
    assert len(COMBINATIONS) == len(DEFAULTS["dataset"]) * len(DEFAULTS["scaffold"]) * 2
    pairs = {(answers["kit_index_url"], answers["course_repository"]) for answers in COMBINATIONS}
    assert pairs == {("", ""), ("", COURSE), (INDEX_URL, ""), (INDEX_URL, COURSE)}


def test_the_team_workflows_keep_every_rule(baked):
    for answers, repo in baked:
        files = sorted((repo / ".github" / "workflows").glob("*.yml"))
        assert [path.name for path in files] == ["checkpoint-comment.yml", "checkpoint.yml", "ci.yml"], answers
        for path in files:
            assert violations(path.name, load(path), side="team") == [], answers


def test_the_caller_is_pinned_to_the_baked_commit(baked):
    commit = git(template_source(), "rev-parse", "HEAD").strip()
    for answers, repo in baked:
        workflow = load(repo / ".github" / "workflows" / "checkpoint.yml")
        [job] = workflow["jobs"].values()
        course = answers["course_repository"] or "my-course/ml-capstone"  # a local bake: <github_org>/ml-capstone
        assert job["uses"] == f"{course}/.github/workflows/checkpoint.yml@{commit}", answers
        expected = {"course-repository": course, "course-ref": commit}
        if answers["kit_index_url"]:
            expected["kit-index-url"] = answers["kit_index_url"]
        assert job["with"] == expected, answers
        text = (repo / ".github" / "workflows" / "checkpoint.yml").read_text(encoding="utf-8")
        assert f"checkpoint.yml@{commit} # v{KIT_VERSION}\n" in text


# --- known-bad workflows --------------------------------------------------------------------------


def header(path: Path) -> tuple[str, list[str]]:
    """A fixture's `# side:` and its `# expect:` lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    side = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("# side:"))
    expected = [line.split(":", 1)[1].strip() for line in lines if line.startswith("# expect:")]
    return side, expected


BAD_FILES = sorted(BAD.glob("*.yml"))


def test_the_known_bad_cases_are_all_there():
    names = {path.stem for path in BAD_FILES}
    assert {
        "secret-job-runs-make-check",
        "secret-job-without-environment",
        "grader-from-the-team-lock",
        "secret-job-runs-team-module",
        "caller-pinned-to-a-tag",
        "team-workflow-reads-the-secret",
        "secret-job-runs-dvc-repro",
        "secret-job-uses-a-local-action",
    } <= names
    assert len(names) == 13
    # Each is a valid workflow: only the trust rules tell it is bad.
    lint = subprocess.run([BIN / "actionlint", "-color=false", *map(str, BAD_FILES)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("path", BAD_FILES, ids=[path.stem for path in BAD_FILES])
def test_a_known_bad_workflow_is_caught(path):
    side, expected = header(path)
    assert side in ("course", "team") and expected, path.name
    found = violations(path.name, load(path), side=side)
    for line in expected:
        assert any(problem.startswith(f"{path.name}: {line}") for problem in found), (line, found)
    for problem in found:  # nothing else: each fixture is bad in the one way it says
        assert any(problem.startswith(f"{path.name}: {line}") for line in expected), (problem, expected)
