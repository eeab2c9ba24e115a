"""The checkpoint's trust model, checked statically over the workflows (tests/workflow_rules.py).

- the course's reusable workflow (.github/workflows/checkpoint.yml) keeps every rule, its KIT_VERSION
  is the kit's version, and it passes actionlint and zizmor;
- it takes nothing from its caller: the grader's repository and commit come from GitHub's OIDC token
  (the stage job's `course` step), only the stage job can get that token, and each way of pointing the
  install elsewhere, of skipping the token's checks or of handing the token to other jobs is caught;
- the `course` step is not team code, though it runs in the course's jobs: a script after it still is;
- the team workflows of every dataset x scaffold x kit_index_url combination keep every rule, and the
  caller is pinned to the commit the repo was baked from, passes nothing and asks for exactly the
  permissions the course's jobs need;
- each known-bad workflow in tests/fixtures/bad-workflows/ is caught, with exactly the violations its
  header names (`# side: course|team`, one `# expect: ...` line per violation).
"""

import copy
import itertools
import os
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
from workflow_rules import (
    CALLER_PERMISSIONS,
    COURSE_FROM_STAGE,
    COURSE_FROM_STEP,
    STAGE_OUTPUTS,
    step_label,
    uv_config_violations,
    violations,
)

BIN = Path(sys.executable).parent
COURSE_WORKFLOW = TEMPLATE / ".github" / "workflows" / "checkpoint.yml"
BAD = Path(__file__).parent / "fixtures" / "bad-workflows"
KIT_VERSION = tomllib.loads((TEMPLATE / "kit" / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
INDEX_URL = "https://pypi.example.edu/simple/"
COURSE = "uni-x/capstone-course"
# What could change the team's workflows: the dataset and scaffold (everything else of the repo), the
# course's package index (which the caller must not pass on: the course's workflow sets KIT_INDEX_URL itself)
# and the course repository's name (the caller's target).
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


def course() -> dict:
    """The course's reusable workflow, parsed afresh (a test may change it)."""
    return load(COURSE_WORKFLOW)


def found(workflow: dict) -> list[str]:
    return violations("checkpoint.yml", workflow, side="course", kit_version=KIT_VERSION)


def at(workflow: dict, job_id: str, index: int) -> str:
    """How a violation names step `index` of a job of the course's workflow."""
    return f"checkpoint.yml: job {job_id}: {step_label(index, workflow['jobs'][job_id]['steps'][index])}"


def install_step(workflow: dict, job_id: str) -> tuple[int, dict]:
    [(index, step)] = [
        (index, step)
        for index, step in enumerate(workflow["jobs"][job_id]["steps"])
        if "capstone-kit" in step.get("run", "")
    ]
    return index, step


def course_step(workflow: dict) -> dict:
    [step] = [step for step in workflow["jobs"]["stage"]["steps"] if step.get("id") == "course"]
    return step


def test_the_course_workflow_keeps_every_rule():
    workflow = course()
    assert workflow_rules.is_reusable(workflow)
    assert found(workflow) == []
    # The jobs the rules are about are there: three hold a secret, in the environment; one runs team code.
    jobs = workflow["jobs"]
    holding = {job_id for job_id, job in jobs.items() if workflow_rules.holds_secret(job)}
    assert holding == {"features", "score", "record"}
    assert {job_id for job_id, job in jobs.items() if workflow_rules.runs_team_code(job)} == {"grade"}
    assert workflow["env"]["KIT_VERSION"] == KIT_VERSION
    # It takes nothing from the caller; the course's settings are its own literals.
    assert workflow[True] == {"workflow_call": None}
    assert workflow["env"]["KIT_INDEX_URL"] == "" and "${{" not in str(workflow["env"]["CAPSTONE_CI_ROWS"])
    # Only the stage job gets an OIDC token, and its first step reads the course's release from it.
    holders = {job_id for job_id, job in jobs.items() if workflow_rules.id_token_write(workflow, job)}
    assert holders == {"stage"}
    assert jobs["stage"]["steps"][0] is course_step(workflow)
    outputs = {name: workflow_rules.expression(value) for name, value in jobs["stage"]["outputs"].items()}
    assert outputs.items() >= STAGE_OUTPUTS.items()
    # Every job installs the grader at the course's ref, from the token's word (directly, or the stage job's).
    for job_id in jobs:
        _, step = install_step(workflow, job_id)
        expected = COURSE_FROM_STEP if job_id == "stage" else COURSE_FROM_STAGE
        assert {name: workflow_rules.expression(step["env"][name]) for name in expected} == expected, job_id
        assert job_id == "stage" or "stage" in workflow_rules.needed(jobs[job_id]), job_id


def test_the_allowlisted_download_is_the_one_that_needs_it(monkeypatch):
    """Without the allowlist, score's and record's downloads of the grading job's files are violations; no other."""
    monkeypatch.setattr(workflow_rules, "ARTIFACT_ALLOWLIST", set())
    problems = found(course())
    assert len(problems) == 2, problems
    score, record = sorted(problems, key=lambda line: "job record" in line)
    assert score.startswith("checkpoint.yml: job score: step 5 (Download the grading job's files")
    assert "downloads artifact 'checkpoint-graded', uploaded by a job that runs team code (grade)" in score
    assert record.startswith("checkpoint.yml: job record: step 4 (Download the report")
    assert "downloads artifact 'checkpoint-report', uploaded by a job that runs team code (grade)" in record


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
    workflow = course()
    [step] = [step for step in workflow["jobs"]["grade"]["steps"] if "grade run" in step.get("run", "")]
    step["run"] = step["run"].replace("status=0\n", "status=0\nuv sync --locked && cp uv.lock /tmp/\n")
    prefix = "checkpoint.yml: job grade: step 7 (Grade (the team's code runs as capstone-team)): "
    assert found(workflow) == [
        prefix + "installs or runs from the team's lock (uv sync)",
        prefix + "installs or runs from the team's lock (--locked)",
        prefix + "installs or runs from the team's lock (uv.lock)",
    ]


# --- the grader's source: GitHub's OIDC token, never the caller ---------------------------------

# Values a pull request (or a careless edit) could give COURSE_REPOSITORY or COURSE_REF in an install.
FOREIGN_SOURCES = [
    "${{ inputs.course-ref }}",
    "${{ inputs.course-repository }}",
    "my-course/ml-capstone",
    "0123456789abcdef0123456789abcdef01234567",
    "${{ github.repository }}",
    "${{ github.sha }}",
    "${{ github.event.pull_request.head.repo.full_name }}",
    "${{ vars.COURSE_REF }}",
    "${{ steps.course.outputs.sha }}-x",
]


@pytest.mark.parametrize("variable", ["COURSE_REPOSITORY", "COURSE_REF"])
@pytest.mark.parametrize("job_id", ["stage", "features", "grade", "score"])
def test_the_install_takes_the_course_from_the_token_and_nothing_else(job_id, variable):
    expected = (COURSE_FROM_STEP if job_id == "stage" else COURSE_FROM_STAGE)[variable]
    elsewhere = (COURSE_FROM_STAGE if job_id == "stage" else COURSE_FROM_STEP)[variable]  # the other job's source
    [other] = {"COURSE_REPOSITORY", "COURSE_REF"} - {variable}
    swapped = (COURSE_FROM_STEP if job_id == "stage" else COURSE_FROM_STAGE)[other]
    bad = [*FOREIGN_SOURCES, "${{ " + elsewhere + " }}", "${{ " + swapped + " }}", None]
    for value in bad:
        workflow = course()
        index, step = install_step(workflow, job_id)
        if value is None:
            del step["env"][variable]
        else:
            step["env"][variable] = value
        assert found(workflow) == [f"{at(workflow, job_id, index)}: {variable} is {value!r}, not ${{{{ {expected} }}}}"]
    # The same expression written without spaces is the same source; set again in the script, it is not.
    workflow = course()
    index, step = install_step(workflow, job_id)
    step["env"][variable] = "${{" + expected + "}}"
    assert found(workflow) == []
    step["run"] = f"{variable}=main\n" + step["run"]
    assert found(workflow) == [
        f"{at(workflow, job_id, index)}: sets {variable} in its script (it is ${{{{ {expected} }}}})"
    ]


def test_the_stage_jobs_outputs_are_the_course_steps_and_the_other_jobs_need_it():
    for name, value in (("course-sha", "${{ github.sha }}"), ("course-repository", "evil/fork"), ("course-sha", None)):
        workflow = course()
        outputs = workflow["jobs"]["stage"]["outputs"]
        if value is None:
            del outputs[name]
        else:
            outputs[name] = value
        assert found(workflow) == [
            f"checkpoint.yml: job stage: output {name} is {value!r}, not ${{{{ {STAGE_OUTPUTS[name]} }}}}"
        ]
    workflow = course()
    workflow["jobs"]["score"]["needs"] = ["grade"]
    index, _ = install_step(workflow, "score")
    assert found(workflow) == [
        f"{at(workflow, 'score', index)}: takes the course's ref from needs.stage, but the job does not need stage"
    ]
    # The course step after the install: the install would read empty outputs.
    workflow = course()
    steps = workflow["jobs"]["stage"]["steps"]
    steps.append(steps.pop(0))
    index, _ = install_step(workflow, "stage")
    assert found(workflow) == [
        f"{at(workflow, 'stage', index)}: installs at the course's ref before the `course` step has read it"
    ]
    # No course step at all.
    workflow = course()
    steps = workflow["jobs"]["stage"]["steps"]
    steps.pop(0)
    index, _ = install_step(workflow, "stage")
    assert found(workflow) == [
        f"{at(workflow, 'stage', index)}: installs at the course's ref before the `course` step has read it",
        "checkpoint.yml: job stage: other jobs take the course's ref from it, but it has no `course` step",
    ]


REPOSITORY_CHECK = """printf '%s\\n' "$repository" | grep -Eq '^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$'"""
SHA_CHECK = """printf '%s\\n' "$sha" | grep -Eq '^[0-9a-f]{40}$'"""
COURSE_STEP_CHANGES = {
    "a token from elsewhere": (
        lambda step: step.__setitem__(
            "run", step["run"].replace('"$ACTIONS_ID_TOKEN_REQUEST_URL&audience=capstone-grader"', "https://x.example/")
        ),
        "the course step does not read ACTIONS_ID_TOKEN_REQUEST_URL",
    ),
    "another claim than job_workflow_ref": (
        lambda step: step.__setitem__("run", step["run"].replace(".job_workflow_ref", ".repository")),
        "the course step does not read job_workflow_ref",
    ),
    "another claim than job_workflow_sha": (
        lambda step: step.__setitem__("run", step["run"].replace(".job_workflow_sha", ".sha")),
        "the course step does not read job_workflow_sha",
    ),
    "no check of the repository": (
        lambda step: step.__setitem__("run", step["run"].replace(REPOSITORY_CHECK + "\n", "")),
        "writes the output repository without checking $repository first",
    ),
    "no check of the sha": (
        lambda step: step.__setitem__("run", step["run"].replace(SHA_CHECK + "\n", "")),
        "writes the output sha without checking $sha first",
    ),
    "a check that cannot fail": (
        lambda step: step.__setitem__("run", step["run"].replace(SHA_CHECK, SHA_CHECK + " || true")),
        "writes the output sha without checking $sha first",
    ),
    "a check after the write": (
        lambda step: step.__setitem__("run", step["run"].replace(SHA_CHECK + "\n", "") + SHA_CHECK + "\n"),
        "writes the output sha without checking $sha first",
    ),
    "a repository check that takes anything": (
        lambda step: step.__setitem__(
            "run", step["run"].replace(REPOSITORY_CHECK, REPOSITORY_CHECK.replace("[A-Za-z0-9._-]+$", ".+$"))
        ),
        "the check of $repository (repository) '^[A-Za-z0-9-]+/.+$' accepts 'evil/fork/x'",
    ),
    "a sha check that takes a short one": (
        lambda step: step.__setitem__("run", step["run"].replace("{40}", "+")),
        "the check of $sha (sha) '^[0-9a-f]+$' accepts '0123456789abcdef'",
    ),
    "an unanchored sha check": (
        lambda step: step.__setitem__("run", step["run"].replace("'^[0-9a-f]{40}$'", "'[0-9a-f]{40}'")),
        "the check of $sha (sha) '[0-9a-f]{40}' is not anchored (^...$)",
    ),
    "errors ignored": (
        lambda step: step.__setitem__("run", "set +e\n" + step["run"]),
        "the course step does not stop at a failed check (bash -e)",
    ),
    "continue-on-error": (
        lambda step: step.__setitem__("continue-on-error", True),
        "continue-on-error: the job goes on when the course step's checks fail",
    ),
    "a token server of the step's choosing": (
        lambda step: step.__setitem__("env", {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x.example/?"}),
        "the step sets ACTIONS_ID_TOKEN_REQUEST_URL (the token must be the runner's, from GitHub)",
    ),
}


@pytest.mark.parametrize("change", list(COURSE_STEP_CHANGES))
def test_the_course_step_reads_the_token_and_checks_both_claims(change):
    workflow = course()
    step = course_step(workflow)
    before = step["run"]
    assert REPOSITORY_CHECK in before and SHA_CHECK in before  # the lines the changes edit are there
    edit, message = COURSE_STEP_CHANGES[change]
    edit(step)
    assert step != course_step(course()), change  # the change changed something
    [problem] = found(workflow)
    assert problem.startswith(f"{at(workflow, 'stage', 0)}: {message}"), problem


def test_a_token_server_set_for_the_whole_workflow_or_job_is_caught():
    for scope, holder in (("the workflow", lambda w: w), ("the job", lambda w: w["jobs"]["stage"])):
        workflow = course()
        holder(workflow).setdefault("env", {})["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "x"
        assert found(workflow) == [
            f"{at(workflow, 'stage', 0)}: {scope} sets ACTIONS_ID_TOKEN_REQUEST_TOKEN (the token must be the "
            "runner's, from GitHub)"
        ]


def test_only_the_stage_job_gets_an_oidc_token():
    workflow = course()
    workflow["jobs"]["features"]["permissions"]["id-token"] = "write"
    assert found(workflow) == [
        "checkpoint.yml: job features: has id-token: write (its permissions); only the stage job reads the "
        "course's OIDC token"
    ]
    workflow = course()
    workflow["jobs"]["grade"]["permissions"]["id-token"] = "write"
    assert found(workflow) == [
        "checkpoint.yml: job grade: runs team code with id-token: write (its permissions): the team's code could "
        "get an OIDC token in the course workflow's name"
    ]
    # The stage job has the token: a script from the checkout there is caught too.
    workflow = course()
    workflow["jobs"]["stage"]["steps"].append({"name": "Prepare", "run": "bash ./scripts/prepare.sh"})
    assert found(workflow) == [
        "checkpoint.yml: job stage: runs team code with id-token: write (its permissions): the team's code could "
        "get an OIDC token in the course workflow's name"
    ]
    # A job without permissions has the workflow's, or, in a workflow without them, the caller's.
    workflow = course()
    workflow["permissions"] = "write-all"
    del workflow["jobs"]["score"]["permissions"]
    assert found(workflow) == [
        "checkpoint.yml: job score: has id-token: write (the workflow's permissions); only the stage job reads "
        "the course's OIDC token"
    ]
    del workflow["permissions"]
    assert found(workflow) == [
        "checkpoint.yml: job score: has id-token: write (the caller's permissions: neither the job nor the "
        "workflow sets any); only the stage job reads the course's OIDC token"
    ]


def test_the_course_workflow_takes_no_inputs_and_no_secrets():
    for key, declared in (
        ("inputs", {"course-ref": {"type": "string", "required": False}}),
        ("inputs", {}),
        ("secrets", {"CAPSTONE_HOLDOUT_SEED": {"required": False}}),
    ):
        workflow = course()
        workflow[True]["workflow_call"] = {key: declared}
        names = ", ".join(declared) or "none"
        assert found(workflow) == [
            f"checkpoint.yml: (workflow): declares {key} (on.workflow_call.{key}: {names}): the course's workflow "
            "takes nothing from its caller, whose pull request could change it"
        ]


def test_the_course_settings_are_literals_of_the_workflow():
    workflow = course()
    workflow["env"]["KIT_INDEX_URL"] = "${{ vars.KIT_INDEX_URL }}"
    assert found(workflow) == [
        "checkpoint.yml: (workflow): env KIT_INDEX_URL is '${{ vars.KIT_INDEX_URL }}', an expression (the "
        "course's settings are literals of this file: nothing of the caller's may choose them)"
    ]
    workflow = course()
    workflow["jobs"]["grade"]["env"] = {"KIT_INDEX_URL": "https://pypi.example.edu/simple/"}
    index, step = install_step(workflow, "score")
    step["env"]["KIT_INDEX_URL"] = ""
    assert found(workflow) == [
        "checkpoint.yml: job grade: sets its own KIT_INDEX_URL (the workflow's is the course's)",
        f"{at(workflow, 'score', index)}: sets its own KIT_INDEX_URL (the workflow's is the course's)",
    ]


def test_the_course_step_is_no_team_code_but_a_script_after_it_is():
    """curl, jq, base64 and grep are not the team's: the step may run even in a job that holds the secret,
    where the rules still catch the team's code around it."""
    workflow = course()
    step = course_step(workflow)
    assert workflow_rules.team_code(step["run"]) == []
    score = workflow["jobs"]["score"]
    score["steps"].insert(0, copy.deepcopy(step))
    assert workflow_rules.holds_secret(score) and not workflow_rules.runs_team_code(score)
    assert found(workflow) == []
    for line, message in (
        ("bash script.sh", "runs a shell script or string (bash script.sh)"),
        ('sh -c "$CLAIMS"', 'runs a shell script or string (sh -c "$CLAIMS")'),
        ("python train.py", 'runs `python train.py` (only "$GRADER/bin/python" -m capstone.checkpoints.ci)'),
        (
            "python3 -c 'import team'",
            'runs `python3 -c \'import` (only "$GRADER/bin/python" -m capstone.checkpoints.ci)',
        ),
        ("./oidc.sh", "runs a file from the checkout (./oidc.sh)"),
        ("make predict", "runs `make` (the team's Makefile)"),
    ):
        changed = copy.deepcopy(workflow)
        changed["jobs"]["score"]["steps"][0]["run"] += line + "\n"
        assert found(changed) == [f"{at(changed, 'score', 0)}: holds the secret and {message}"], line


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
    quick = {**os.environ, "UV_HTTP_RETRIES": "0"}  # the refused connection fails at once, without backing off
    installed = subprocess.run([*command, "six"], cwd=team, capture_output=True, text=True, timeout=120, env=quick)
    assert installed.returncode != 0 and "127.0.0.1:9" in installed.stderr, installed.stderr
    ignored = subprocess.run(
        [*command, "--no-config", "--offline", "six"], cwd=team, capture_output=True, text=True, timeout=120, env=quick
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
    """The `uses:` line alone chooses the grader: the caller passes nothing, whatever the answers."""
    commit = git(template_source(), "rev-parse", "HEAD").strip()
    callers = {}
    for answers, repo in baked:
        workflow = load(repo / ".github" / "workflows" / "checkpoint.yml")
        [job] = workflow["jobs"].values()
        course = answers["course_repository"] or "my-course/ml-capstone"  # a local bake: <github_org>/ml-capstone
        assert job["uses"] == f"{course}/.github/workflows/checkpoint.yml@{commit}", answers
        assert "with" not in job and "secrets" not in job, answers
        assert (
            job["permissions"]
            == CALLER_PERMISSIONS
            == {
                "contents": "read",
                "pull-requests": "read",
                "id-token": "write",
            }
        )
        text = (repo / ".github" / "workflows" / "checkpoint.yml").read_text(encoding="utf-8")
        assert f"checkpoint.yml@{commit} # v{KIT_VERSION}\n" in text
        if answers["kit_index_url"]:
            assert answers["kit_index_url"] not in text, answers
        callers.setdefault(answers["course_repository"], set()).add(text)
    # The course's package index leaves the caller as it is (the course's workflow sets KIT_INDEX_URL).
    assert {course: len(texts) for course, texts in callers.items()} == {"": 1, COURSE: 1}


CALLER_CHANGES = [
    ({"with": {"course-repository": "evil/fork"}}, "passes inputs to the course's workflow (with: course-repository)"),
    ({"with": {"kit-index-url": INDEX_URL}}, "passes inputs to the course's workflow (with: kit-index-url)"),
    ({"with": {}}, "passes inputs to the course's workflow (with: nothing)"),
    ({"secrets": "inherit"}, "passes secrets to the course's workflow (it needs none)"),
    ({"permissions": {"contents": "read", "pull-requests": "read"}}, "permissions are"),
    ({"permissions": {**CALLER_PERMISSIONS, "contents": "write"}}, "permissions are"),
    ({"permissions": {**CALLER_PERMISSIONS, "actions": "read"}}, "permissions are"),
    ({"permissions": "write-all"}, "permissions are 'write-all'"),
    ({"permissions": None}, "permissions are None"),
    (
        {"uses": "my-course/ml-capstone/.github/workflows/checkpoint.yml@main"},
        "the course's workflow is pinned to 'main'",
    ),
    ({"uses": "./.github/workflows/checkpoint.yml"}, "calls './.github/workflows/checkpoint.yml', not"),
]


@pytest.mark.parametrize(("change", "message"), CALLER_CHANGES, ids=[str(change) for change, _ in CALLER_CHANGES])
def test_a_caller_that_passes_anything_or_asks_for_other_permissions_is_caught(baked, change, message):
    _, repo = baked[0]
    workflow = load(repo / ".github" / "workflows" / "checkpoint.yml")
    [(job_id, job)] = workflow["jobs"].items()
    assert violations("checkpoint.yml", workflow, side="team") == []
    for key, value in change.items():
        if value is None:
            del job[key]
        else:
            job[key] = value
    problems = violations("checkpoint.yml", workflow, side="team")
    assert len(problems) == 1 and problems[0].startswith(f"checkpoint.yml: job {job_id}: {message}"), problems


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
        "caller-passes-inputs",
        "grader-ref-from-an-input",
        "grade-job-with-id-token",
        "team-workflow-reads-the-secret",
        "secret-job-runs-dvc-repro",
        "secret-job-uses-a-local-action",
    } <= names
    assert len(names) == 15
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
