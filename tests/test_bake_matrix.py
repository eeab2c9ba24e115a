"""Bake every dataset x scaffold x license combination and check every generated file.

The other options rotate through the combinations, so each value is baked at least once.
All bakes happen once per module (about 0.3 s each); the tests then read the results.
"""

import itertools
import json
import py_compile
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from bakery import DEFAULTS, PROJECT_TEMPLATE, bake, git, repo_files
from validate_pyproject.api import Validator

OTHER_OPTIONS = [
    {"python_version": "3.11", "mlflow_tracking_uri": "", "dvc_remote": "../shared-remote", "team_members": ""},
    {
        "python_version": "3.12",
        "mlflow_tracking_uri": "https://mlflow.example.edu",
        "dvc_remote": "s3://cohort/dvc",
        "team_members": "ada-lovelace, @grace-h",
    },
    {
        "python_version": "3.11",
        "mlflow_tracking_uri": "http://127.0.0.1:5000",
        "dvc_remote": "/srv/dvc-remote",
        "team_members": "alan",
    },
]
COMBINATIONS = [
    {"dataset": dataset, "scaffold": scaffold, "license": license_, **OTHER_OPTIONS[index % len(OTHER_OPTIONS)]}
    for index, (dataset, scaffold, license_) in enumerate(
        itertools.product(DEFAULTS["dataset"], DEFAULTS["scaffold"], DEFAULTS["license"])
    )
]

# Files every baked repository has, whatever the options; PKG is the package folder.
CORE_FILES = """
.cookiecutter-answers.yaml .dvc/.gitignore .dvc/config .dvcignore .env.example .gitignore
.github/CODEOWNERS .github/dependabot.yml .github/pull_request_template.md .github/workflows/ci.yml
.pre-commit-config.yaml .python-version Makefile README.md capstone.yaml params.yaml pyproject.toml
docs/stages/1-data.md docs/stages/2-validation.md
docs/stages/3-features.md docs/stages/4-experiments.md docs/stages/5-deployment.md
src/PKG/__init__.py src/PKG/data/__init__.py src/PKG/features/__init__.py
src/PKG/models/__init__.py src/PKG/serving/__init__.py src/PKG/validation/__init__.py
tests/code/test_hooks.py tests/conftest.py tests/data/README.md
tests/model/README.md
""".split()  # noqa: SIM905 (a file list reads better as text)


def template_files(folder: Path, package: str) -> set[str]:
    """The files under `folder` of the template, named as a bake names them."""
    return {
        path.relative_to(folder).as_posix().replace("{{cookiecutter.__package_name}}", package)
        for path in folder.rglob("*")
        if path.is_file()
    }


def expected_files(answers: dict, package: str) -> set[str]:
    """The template's shared files, the chosen scaffold's files laid over them, minus what is pruned."""
    shared = {name for name in template_files(PROJECT_TEMPLATE, package) if not name.startswith(".scaffold/")}
    files = shared | template_files(PROJECT_TEMPLATE / ".scaffold" / answers["scaffold"], package)
    if answers["license"] == "none":
        files.discard("LICENSE")
    if answers["dataset"] != "custom_csv":
        files -= {name for name in files if name.startswith("data/external/")}
    return files


def test_the_template_holds_no_stray_files():
    caches = ("__pycache__", ".DS_Store", ".ruff_cache", ".pytest_cache", ".hypothesis", ".venv")
    strays = [path for path in PROJECT_TEMPLATE.rglob("*") if path.name in caches]
    assert not strays


@pytest.fixture(scope="module")
def baked(tmp_path_factory, cc_config) -> list[tuple[dict, Path]]:
    results = []
    for index, answers in enumerate(COMBINATIONS):
        slug = f"team-{index}-{answers['dataset'].replace('_', '-')}"
        repo = bake(tmp_path_factory.mktemp("matrix"), cc_config, project_slug=slug, **answers)
        results.append((answers, repo))
    return results


def text_files(repo: Path):
    for name in sorted(repo_files(repo)):
        yield name, (repo / name).read_text(encoding="utf-8")


def test_every_combination_is_baked():
    assert len(COMBINATIONS) == len(DEFAULTS["dataset"]) * len(DEFAULTS["scaffold"]) * len(DEFAULTS["license"])
    for key in ("python_version", "mlflow_tracking_uri", "dvc_remote"):
        assert len({combo[key] for combo in COMBINATIONS}) > 1, f"{key} is never rotated"


def test_file_set_is_exactly_the_expected_set(baked):
    for answers, repo in baked:
        package = repo.name.replace("-", "_")
        files = repo_files(repo)
        assert files == expected_files(answers, package), answers
        assert {name.replace("PKG", package) for name in CORE_FILES} <= files
        assert not any(name.startswith(".scaffold/") for name in files)


def test_the_course_kit_is_installed_not_copied(baked):
    """No course machinery in the team's tree: the kit comes pinned, from the template repo at the baked commit."""
    from bakery import template_source

    source = template_source()
    commit = git(source, "rev-parse", "HEAD").strip()
    kit = tomllib.loads((source / "kit" / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for _, repo in baked:
        assert not (repo / "capstone").exists()
        pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
        assert f"capstone-kit=={kit}" in pyproject["project"]["dependencies"]
        assert pyproject["tool"]["uv"]["sources"]["capstone-kit"] == {
            "git": source.resolve().as_uri(),
            "rev": commit,
            "subdirectory": "kit",
        }
        params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
        assert params["kit"] == {"version": kit}


def test_a_course_index_replaces_the_git_source(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config, kit_index_url="https://pypi.example.edu/simple/")
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["uv"]["sources"]["capstone-kit"] == {"index": "course"}
    assert pyproject["tool"]["uv"]["index"] == [
        {"name": "course", "url": "https://pypi.example.edu/simple/", "explicit": True}
    ]
    Validator()(pyproject)


def test_a_course_repository_is_where_the_kit_and_the_grader_come_from(tmp_path, cc_config):
    """Baked from a local clone, a repository for GitHub installs the kit from the course's GitHub repository."""
    repo = bake(tmp_path, cc_config, course_repository="my-course/ml-capstone-2027")
    source = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["uv"]["sources"]
    assert source["capstone-kit"]["git"] == "https://github.com/my-course/ml-capstone-2027"
    caller = (repo / ".github" / "workflows" / "checkpoint.yml").read_text(encoding="utf-8")
    assert (
        f"uses: my-course/ml-capstone-2027/.github/workflows/checkpoint.yml@{source['capstone-kit']['rev']}" in caller
    )


def test_no_jinja_is_left_anywhere(baked):
    for _, repo in baked:
        for name, text in text_files(repo):
            assert "cookiecutter." not in text, name
            for marker in ("{%", "%}", "{#", "#}"):
                assert marker not in text, f"{marker} left in {name}"


def test_github_expressions_survive_verbatim(baked):
    source = (PROJECT_TEMPLATE / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "${{ github.ref }}" in source
    for _, repo in baked:
        assert (repo / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8") == source


def test_structured_files_parse_and_python_compiles(baked):
    validate_pyproject = Validator()
    for _, repo in baked:
        for name, text in text_files(repo):
            path = repo / name
            if name.endswith(".toml"):
                data = tomllib.loads(text)
                if name == "pyproject.toml":
                    validate_pyproject(data)
            elif name.endswith((".yaml", ".yml")):
                yaml.safe_load(text)
            elif name.endswith(".json"):
                json.loads(text)
            elif name.endswith(".py"):
                py_compile.compile(str(path), cfile=str(path) + "c-test", doraise=True)
                Path(str(path) + "c-test").unlink()


def test_answers_reach_the_files(baked):
    for answers, repo in baked:
        params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
        assert params["data"]["dataset"] == answers["dataset"]
        expected_uri = answers["mlflow_tracking_uri"] or "sqlite:///mlflow.db"
        assert params["mlflow"]["tracking_uri"] == expected_uri
        pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
        assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
        assert (repo / ".python-version").read_text().strip() == answers["python_version"]
        assert pyproject["project"].get("license", "none") == answers["license"]
        spec = yaml.safe_load((repo / "capstone.yaml").read_text(encoding="utf-8"))
        assert [stage["number"] for stage in spec["stages"]] == [1, 2, 3, 4, 5, 6]


def test_recorded_answers_hold_no_machine_paths_or_private_keys(baked):
    for answers, repo in baked:
        recorded = yaml.safe_load((repo / ".cookiecutter-answers.yaml").read_text(encoding="utf-8"))
        context = recorded["default_context"]
        assert not [key for key in context if key.startswith("_")]
        assert str(repo.parent) not in json.dumps(context)
        for key, value in answers.items():
            assert context[key] == value


def test_codeowners_lists_every_mentor(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config, mentors="@ada, my-course/mentors ,grace")
    owners = (repo / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    assert "/capstone.yaml   @ada @my-course/mentors @grace" in owners
    assert "/.github/        @ada @my-course/mentors @grace" in owners


def test_dvc_remote_paths_are_written_for_dvc(baked):
    for answers, repo in baked:
        config = (repo / ".dvc" / "config").read_text(encoding="utf-8")
        assert "analytics = false" in config
        remote = answers["dvc_remote"]
        expected = remote if ("://" in remote or remote.startswith("/")) else "../" + remote
        assert f'url = "{expected}"' in config


def test_each_repo_is_one_clean_commit_on_main(baked):
    for _, repo in baked:
        assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
        assert git(repo, "branch", "--show-current").strip() == "main"
        assert git(repo, "status", "--porcelain") == ""


def test_workflows_pass_schema_and_zizmor(baked):
    workflows = [str(path) for _, repo in baked for path in (repo / ".github" / "workflows").glob("*.yml")]
    dependabot = [str(repo / ".github" / "dependabot.yml") for _, repo in baked]
    bin_dir = Path(sys.executable).parent
    for schema, files in (("vendor.github-workflows", workflows), ("vendor.dependabot", dependabot)):
        check = subprocess.run(
            [bin_dir / "check-jsonschema", "--builtin-schema", schema, *files], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    repos = [str(repo) for _, repo in baked]
    zizmor = subprocess.run(
        [bin_dir / "zizmor", "--offline", "--min-severity", "medium", "--no-progress", *repos],
        capture_output=True,
        text=True,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr


def test_make_help_lists_the_command_vocabulary(baked):
    _, repo = baked[0]
    shown = subprocess.run(["make", "help"], cwd=repo, check=True, capture_output=True, text=True).stdout
    for target in ("setup", "pipeline", "test", "lint", "check", "serve", "mlflow-ui", "clean", "status"):
        assert f"make {target} " in shown, target
    wide = [line for line in shown.splitlines() if len(line) > 80]
    assert not wide, wide  # each description wraps under its command


@pytest.mark.parametrize("target", ["pipeline", "test", "lint", "status", "check", "report"])
def test_targets_before_setup_say_to_run_setup(baked, target):
    _, repo = baked[0]
    result = subprocess.run(["make", target], cwd=repo, capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == "ERROR: no environment in .venv; run: make setup"
