"""A throwaway cohort server on this machine: PostgreSQL + `server.py serve`, gone when you stop it.

    python cohort/trial.py          # (make cohort-trial) prints the URL and the admin password; Ctrl-C stops

For trying the cohort setup before the course (add teams, bake a repo against it, run its pipeline),
and for the template's tests and benchmark, which use `trial_server()` from here.
Everything lives in a temporary folder and is deleted at the end; nothing is reachable from
other machines (127.0.0.1 only).
"""

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from localpg import free_port, throwaway_postgres

SERVER = Path(__file__).resolve().parent / "server.py"


@dataclass(frozen=True)
class TrialServer:
    url: str
    admin_password: str
    folder: Path  # the server's log, artifacts and auth config

    @property
    def admin_env(self) -> dict[str, str]:
        """The variables `server.py add-teams` needs."""
        return {"MLFLOW_AUTH_ADMIN_PASSWORD": self.admin_password, "MLFLOW_TRACKING_URI": self.url}


@contextmanager
def trial_server(
    folder: Path | None = None, workers: int = 2, timeout: float = 240, args: tuple[str, ...] = ()
) -> Iterator[TrialServer]:
    """Start PostgreSQL and the cohort server on free ports; yield it once /health answers; stop both.

    The server runs in its own session, so SIGTERM to its process group stops it and its uvicorn
    workers together. `timeout` bounds the start: MLflow needs 20-60 s on two busy cores.
    `args` go to `server.py serve` (for example ("--auth-cache-seconds", "0")).
    """
    with tempfile.TemporaryDirectory(prefix="cohort-trial-") as scratch, throwaway_postgres() as db:
        folder = Path(folder or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        admin_password = secrets.token_urlsafe(16)
        port = free_port()
        env = {
            **os.environ,
            "COHORT_DB_URI": f"postgresql://{db.user}@{db.host}:{db.port}/mlflow",
            "PGPASSWORD": db.password,
            "COHORT_ARTIFACTS": str(folder / "artifacts"),
            "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password,
            "TMPDIR": str(folder),  # server.py writes the auth config into a temporary folder: this one
        }
        log_path = folder / "server.log"
        command = [sys.executable, str(SERVER), "serve", "--port", str(port), "--workers", str(workers), *args]
        with log_path.open("w") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not healthy(url):
                if server.poll() is not None:
                    raise RuntimeError(f"the cohort server exited with {server.returncode}:\n{tail(log_path)}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the cohort server did not answer in {timeout:.0f} s:\n{tail(log_path)}")
                time.sleep(1)
            yield TrialServer(url, admin_password, folder)
        finally:
            stop_group(server)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group this module started (server + workers); SIGKILL what is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # A worker that outlived the server is still in the group.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _stop_cleanly(signum, frame) -> None:
    """SIGTERM and SIGHUP stop the trial as Ctrl-C does: the context managers stop and delete everything."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_cleanly)
    signal.signal(signal.SIGHUP, _stop_cleanly)
    print("Starting PostgreSQL and the cohort's MLflow server (about a minute)...", flush=True)
    try:
        with trial_server() as server:
            print(f"\nMLflow: {server.url}  (admin password: {server.admin_password})")
            print(f"Files: {server.folder}")
            print("Add teams from another terminal:")
            print(
                f"  MLFLOW_AUTH_ADMIN_PASSWORD={server.admin_password} .venv/bin/python cohort/server.py add-teams \\"
            )
            print(f"      cohort/cohort.example.yaml --server {server.url} --out /tmp/cohort-credentials")
            print("Ctrl-C (or SIGTERM) stops the server and deletes everything.", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopped: the server, PostgreSQL and their folders are gone.", flush=True)


if __name__ == "__main__":
    main()
