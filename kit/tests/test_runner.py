"""The warm runner (capstone.runner) and its `python` shim run stages exactly like `python -m`: same
output, exit code, working directory, environment and arguments, with and without the runner; and
with the runner, the stage really runs in the warm process."""

import os
import subprocess
import sys
from pathlib import Path

STAGE = """
import os, sys
print("out", sys.argv[1:], os.getcwd(), os.environ.get("STAGE_SETTING"))
print("err", file=sys.stderr)
print("warm" if "numpy" in sys.modules else "cold", file=sys.stderr)  # the runner preloads numpy
if sys.argv[1:] == ["fail"]:
    sys.exit("ERROR: the stage failed on purpose")
if sys.argv[1:] == ["crash"]:
    raise ValueError("boom")
"""
# What dvc.yaml runs: a plain `python -m <module>`; `python -c` is not a stage and must pass through.
# The module is named like the ingest stage, which the runner answers from its first (pandas) tier.
SCRIPT = """
python -m stagepkg.data.ingest one
python -m stagepkg.data.ingest fail; echo "exit=$?"
python -m stagepkg.data.ingest crash; echo "exit=$?"
python -c 'print("plain python")'
"""


def run_stages(tmp_path: Path, through_runner: bool) -> subprocess.CompletedProcess:
    (tmp_path / "stagepkg" / "data").mkdir(parents=True, exist_ok=True)
    (tmp_path / "stagepkg" / "__init__.py").write_text("")
    (tmp_path / "stagepkg" / "data" / "__init__.py").write_text("")
    (tmp_path / "stagepkg" / "data" / "ingest.py").write_text(STAGE)
    (tmp_path / "stages.sh").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "STAGE_SETTING": "42", "PYTHONDONTWRITEBYTECODE": "1"}
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
    assert "plain python" in warm.stdout
    for output in (plain.stderr, warm.stderr):
        assert "ERROR: the stage failed on purpose" in output
        assert "ValueError: boom" in output
    # The shim handed every `python -m` stage to the warm runner; without it, each ran cold.
    assert warm.stderr.count("warm") == 3 and "cold" not in warm.stderr
    assert plain.stderr.count("cold") == 3 and "warm" not in plain.stderr


def test_the_runner_returns_the_command_exit_code(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "capstone.runner", "bash", "-c", "exit 3"], cwd=tmp_path, env=env)
    assert result.returncode == 3
