"""capstone.testing, the public API team tests import: complete, documented and light to import."""

import ast
import subprocess
import sys
from pathlib import Path

import capstone.testing as testing
import pytest

TEAM_TESTS = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}" / "tests"


def test_every_public_name_exists_and_its_own_functions_are_documented():
    for name in testing.__all__:
        value = getattr(testing, name)
        if callable(value) and getattr(value, "__module__", "") == testing.__name__:
            assert (value.__doc__ or "").strip(), f"capstone.testing.{name} has no docstring"


def test_the_measurements_are_the_gates_own():
    from capstone.checkpoints import probes

    assert testing.ROBUSTNESS_CASES == probes.ROBUSTNESS_CASES
    assert testing.GRADED == probes.GRADED


@pytest.mark.skipif(not TEAM_TESTS.is_dir(), reason="not in the template repository")
def test_the_team_template_tests_import_only_public_names_of_the_kit():
    wanted, elsewhere = set(), []
    for path in TEAM_TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("capstone"):
                if node.module == "capstone.testing":
                    wanted |= {alias.name for alias in node.names}
                elif node.module.startswith("capstone.checkpoints"):
                    elsewhere.append(f"{path.relative_to(TEAM_TESTS)}: from {node.module} import ...")
    assert not elsewhere, "team tests import checkpoint internals:\n" + "\n".join(elsewhere)
    assert wanted <= set(testing.__all__), sorted(wanted - set(testing.__all__))


def test_importing_it_loads_no_heavy_library():
    code = (
        "import sys, capstone.testing; "
        "print(sorted(m for m in ('great_expectations', 'mlflow', 'bentoml', 'sklearn', 'dvc') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
