"""Shared helpers for the template's tests: bake a team repository and look inside it.

A module of its own (test modules do `from bakery import bake`): `conftest` is a name that tests/ and
kit/tests/ both use, so importing it by name would find either. tests/conftest.py imports the fixtures.
"""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

# Tests that import modules from the template folder must not leave __pycache__ there,
# or every later bake would copy it into the team repository.
sys.dont_write_bytecode = True

TEMPLATE = Path(__file__).resolve().parents[1]
# scripts/teamrepo.py drives baked repos (setup, pipeline, serve) for the demo and the tests.
sys.path.insert(0, str(TEMPLATE / "scripts"))
from teamrepo import template_snapshot  # noqa: E402

PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def cc_config(tmp_path_factory) -> Path:
    """A cookiecutter config file that keeps replay files and clones out of $HOME."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'templates'}\nreplay_dir: {home / 'replay'}\n", encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for every baked repo, so the hook environments are built once."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    os.environ["PRE_COMMIT_HOME"] = str(home)
    return home


@pytest.fixture(autouse=True, scope="session")
def _quiet_tools():
    """No telemetry from the tools the tests run, and no surprises from the developer's git config."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("DO_NOT_TRACK", "true")


@functools.cache
def template_source() -> Path:
    """What the tests bake from: a git snapshot of the working tree (scripts/teamrepo.py), so a baked
    repo's `make setup` installs this working tree's kit from it, offline."""
    return template_snapshot()


def bake(output_dir: Path, config_file: Path, **answers) -> Path:
    """Bake a team repository with the given answers (defaults for the rest); return its path."""
    return Path(
        cookiecutter(
            str(template_source()),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
            config_file=str(config_file),
        )
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def repo_files(repo: Path) -> set[str]:
    """Every file of a baked repo, relative, without git's own folder."""
    return {
        path.relative_to(repo).as_posix()
        for path in repo.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }


def last_answers(config_file: Path) -> dict:
    """The context of the last bake, from cookiecutter's replay file (named after the folder baked from)."""
    replay = config_file.parent / "replay" / f"{template_source().name}.json"
    return json.loads(replay.read_text(encoding="utf-8"))


CAPSTONE = Path(sys.executable).parent / "capstone"


def cohort_bake(roster: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`capstone cohort bake ROSTER` from the template snapshot, as an instructor runs it (a clean HOME)."""
    return subprocess.run(
        [str(CAPSTONE), "cohort", "bake", str(roster), "--template", str(template_source()), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent), "COLUMNS": "200", **(env or {})},
    )
