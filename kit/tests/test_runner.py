"""The warm runner (capstone/runner.py) runs stages exactly like `python -m`: same output, exit code,
working directory, environment and arguments, with and without the runner."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_TEMPLATE

STAGE = """
import os, sys
print("out", sys.argv[1:], os.getcwd(), os.environ.get("STAGE_SETTING"))
print("err", file=sys.stderr)
if sys.argv[1:] == ["fail"]:
    sys.exit("ERROR: the stage failed on purpose")
if sys.argv[1:] == ["crash"]:
    raise ValueError("boom")
"""
SCRIPT = """
python -m capstone.run stagepkg.stage one
python -m capstone.run stagepkg.stage fail; echo "exit=$?"
python -m capstone.run stagepkg.stage crash; echo "exit=$?"
"""


def run_stages(tmp_path: Path, through_runner: bool) -> subprocess.CompletedProcess:
    (tmp_path / "stagepkg").mkdir(exist_ok=True)
    (tmp_path / "stagepkg" / "__init__.py").write_text("")
    (tmp_path / "stagepkg" / "stage.py").write_text(STAGE)
    (tmp_path / "stages.sh").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": f"{PROJECT_TEMPLATE}{os.pathsep}{tmp_path}", "STAGE_SETTING": "42"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing may be written into the template folder
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["bash", "stages.sh"]
    if through_runner:
        command = [sys.executable, "-m", "capstone.runner", *command]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_stages_behave_the_same_with_and_without_the_runner(tmp_path):
    plain = run_stages(tmp_path, through_runner=False)
    warm = run_stages(tmp_path, through_runner=True)
    assert plain.returncode == warm.returncode == 0
    assert warm.stdout == plain.stdout
    assert f"out ['one'] {tmp_path} 42" in warm.stdout
    assert "exit=1" in warm.stdout.splitlines()[2] and "exit=1" in warm.stdout.splitlines()[4]
    for output in (plain.stderr, warm.stderr):
        assert "ERROR: the stage failed on purpose" in output
        assert "ValueError: boom" in output


def test_the_runner_returns_the_command_exit_code(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_TEMPLATE), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "capstone.runner", "bash", "-c", "exit 3"], cwd=tmp_path, env=env)
    assert result.returncode == 3
