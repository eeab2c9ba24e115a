"""Full tier: `make cohort-trial` (cohort/trial.py) stops cleanly on SIGTERM, as on Ctrl-C; so does the server.

A real PostgreSQL and a real `mlflow server` are started by the trial itself; after SIGTERM the
server no longer answers, no PostgreSQL of the trial is left running, and its folders are gone.
`server.py serve` (make cohort-server) on its own: SIGTERM to its PID stops every process of the
server, and the folder with its auth config (which names the auth database) is deleted.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from bakery import TEMPLATE

sys.path.insert(0, str(TEMPLATE / "cohort"))
from localpg import PostgresMissing, bin_dir  # noqa: E402
from trial import trial_server  # noqa: E402

pytestmark = [pytest.mark.cohort, pytest.mark.full]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3):
            return True
    except OSError:
        return False


def trial_postgres() -> list[str]:
    """The PostgreSQL processes of trial clusters (their data folder is cohort-pg-...)."""
    found = subprocess.run(["pgrep", "-af", "cohort-pg-"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if "postgres" in line and "pgrep" not in line]


def need_postgres() -> None:
    """Skip when PostgreSQL's server programs are missing (fail on CI, which installs them)."""
    try:
        bin_dir()
    except PostgresMissing as problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (.ci/run installs it)")
        pytest.skip(str(problem))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_the_trial_stops_and_cleans_up(stop):
    need_postgres()
    before = set(trial_postgres())
    trial = subprocess.Popen(
        [sys.executable, str(TEMPLATE / "cohort" / "trial.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines, url, folder = [], None, None
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and (url is None or folder is None):
            line = trial.stdout.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(r"MLflow: (http://\S+)", line):
                url = match.group(1)
            if match := re.search(r"Files: (\S+)", line):
                folder = Path(match.group(1))
        assert url and folder, "".join(lines)
        assert answers(url)
        running = set(trial_postgres()) - before
        assert running, "the trial's PostgreSQL is not running"
        trial.send_signal(stop)
        rest, _ = trial.communicate(timeout=120)
    finally:
        if trial.poll() is None:
            os.killpg(trial.pid, signal.SIGKILL)
    assert trial.returncode == 0, "".join(lines) + rest
    assert "Stopped: the server, PostgreSQL and their folders are gone." in rest
    assert not answers(url)
    assert not folder.exists()
    assert set(trial_postgres()) - before == set()


def test_the_server_stops_on_sigterm_and_deletes_its_auth_config(tmp_path):
    need_postgres()
    with trial_server(tmp_path) as server:  # TMPDIR is tmp_path: the auth config's folder is made there
        (auth,) = tmp_path.glob("cohort-auth-*")
        assert (auth / "basic_auth.ini").is_file()
        serve = psutil.Process(server.pid)
        processes = serve.children(recursive=True)
        assert any("mlflow" in " ".join(process.cmdline()) for process in processes), processes
        os.kill(server.pid, signal.SIGTERM)
        code = serve.wait(timeout=60)
        _, alive = psutil.wait_procs(processes, timeout=5)
        assert code == 0
        assert not alive, f"still running after serve exited: {alive}"
        assert not answers(server.url)
        assert not auth.exists(), "the auth config (it names the auth database) was left behind"
