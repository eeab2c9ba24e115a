"""A throwaway cohort server on this machine: PostgreSQL + `server.py serve`, gone when you stop it.

    python cohort/trial.py          # (make cohort-trial) prints the URL and the admin password; Ctrl-C stops
    python cohort/trial.py --s3     # (make cohort-trial ARGS=--s3) plus an S3 API (moto): artifacts and DVC there

For trying the cohort setup before the course (add teams, bake a repo against it, run its pipeline),
and for the template's tests and benchmark, which use `trial_server()` from here.
Everything lives in a temporary folder and is deleted at the end; nothing is reachable from
other machines (127.0.0.1 only).
"""

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from localpg import free_port, throwaway_postgres

SERVER = Path(__file__).resolve().parent / "server.py"


@dataclass(frozen=True)
class TrialS3:
    """An S3 API on 127.0.0.1 (moto's server), with a bucket for the MLflow artifacts and one for DVC."""

    endpoint: str  # http://127.0.0.1:PORT
    artifacts_bucket: str  # the server's artifacts: s3://<artifacts_bucket>/mlflow
    dvc_bucket: str  # the teams' DVC remotes: s3://<dvc_bucket>/<team>
    access_key: str
    secret_key: str

    @property
    def env(self) -> dict[str, str]:
        """The key pair, as the team's .env (and the server's environment) hold it."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def dvc_remote(self, team: str) -> str:
        """The team's `dvc_remote` answer: its prefix of the DVC bucket, and where the store is."""
        return f"s3://{self.dvc_bucket}/{team}?endpoint={self.endpoint}"

    def client(self):
        """A boto3 S3 client for this store (for looking inside the buckets)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )


@dataclass(frozen=True)
class TrialServer:
    url: str
    admin_password: str
    folder: Path  # the server's log, artifacts and auth config
    pid: int = 0  # the `server.py serve` process (SIGTERM to it stops the server)
    s3: TrialS3 | None = None  # the S3 store, when started with s3=True

    @property
    def admin_env(self) -> dict[str, str]:
        """The variables `server.py add-teams` needs."""
        return {"MLFLOW_AUTH_ADMIN_PASSWORD": self.admin_password, "MLFLOW_TRACKING_URI": self.url}


@contextmanager
def throwaway_s3() -> Iterator[TrialS3]:
    """moto's S3 server on 127.0.0.1, in a thread of this process, with two empty buckets; stopped afterwards.

    Anything it stores lives in memory and is gone when it stops. Any key pair is accepted; the
    trial hands out one dummy pair, so every team's DVC prefix is open to every other team here.
    """
    from moto.server import ThreadedMotoServer

    # Werkzeug, under moto, logs every request to stderr unless its logger has a level.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        s3 = TrialS3(f"http://127.0.0.1:{port}", "cohort-mlflow", "cohort-dvc", "trial", "trial-secret")
        client = s3.client()
        for bucket in (s3.artifacts_bucket, s3.dvc_bucket):
            client.create_bucket(Bucket=bucket)
        yield s3
    finally:
        moto.stop()


@contextmanager
def trial_server(
    folder: Path | None = None,
    workers: int = 2,
    timeout: float = 240,
    args: tuple[str, ...] = (),
    s3: bool = False,
) -> Iterator[TrialServer]:
    """Start PostgreSQL and the cohort server on free ports; yield it once /health answers; stop both.

    `server.py serve` runs in its own session; SIGTERM to it stops the server and its uvicorn workers
    (it passes the signal on to them) and deletes its auth config. `timeout` bounds the start:
    MLflow needs 20-60 s on two busy cores.
    `args` go to `server.py serve` (for example ("--auth-cache-seconds", "0")).
    `s3`: also start an S3 API (moto) on 127.0.0.1, keep the server's artifacts in its bucket,
    and offer its other bucket for the teams' DVC remotes (TrialServer.s3).
    """
    with ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="cohort-trial-"))
        db = stack.enter_context(throwaway_postgres())
        store = stack.enter_context(throwaway_s3()) if s3 else None
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
        if store is not None:
            env.update(
                store.env,
                COHORT_ARTIFACTS=f"s3://{store.artifacts_bucket}/mlflow",
                MLFLOW_S3_ENDPOINT_URL=store.endpoint,
                AWS_DEFAULT_REGION="us-east-1",
            )
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
            yield TrialServer(url, admin_password, folder, server.pid, store)
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
    """SIGTERM to the process group this module started; SIGKILL what is left, the server's own group too.

    `server.py serve` passes the SIGTERM on to `mlflow server`, which runs in a process group of its
    own, and deletes its auth config once that has stopped.
    """
    groups = child_groups(process.pid)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # A worker that outlived the server is still in its group.
    for group in {process.pid, *groups}:
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def child_groups(pid: int) -> set[int]:
    """The process groups of a process's descendants (psutil, a development dependency)."""
    import psutil

    groups = set()
    with suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=True):
            with suppress(ProcessLookupError):
                groups.add(os.getpgid(child.pid))
    return groups


def _stop_cleanly(signum, frame) -> None:
    """SIGTERM and SIGHUP stop the trial as Ctrl-C does: the context managers stop and delete everything."""
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--s3", action="store_true", help="also an S3 API (moto): the artifacts and the teams' DVC")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_cleanly)
    signal.signal(signal.SIGHUP, _stop_cleanly)
    also = ", an S3 API (moto)" if options.s3 else ""
    print(f"Starting PostgreSQL{also} and the cohort's MLflow server (about a minute)...", flush=True)
    try:
        with trial_server(s3=options.s3) as server:
            print(f"\nMLflow: {server.url}  (admin password: {server.admin_password})")
            print(f"Files: {server.folder}")
            print(f"The port changes at every start: bake against {server.url} only for this trial.")
            print("Add teams from another terminal (your cohort file, or the example):")
            print(
                f"  MLFLOW_AUTH_ADMIN_PASSWORD={server.admin_password} make cohort-teams "
                f"COHORT=cohort/cohort.example.yaml OUT=/tmp/cohort-credentials ARGS='--server {server.url}'"
            )
            if server.s3 is not None:
                print_s3(server.s3)
            print(f"Ctrl-C (or SIGTERM to process {os.getpid()}) stops the server and deletes everything.", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopped: the server, PostgreSQL and their folders are gone.", flush=True)


def print_s3(s3: TrialS3) -> None:
    print(f"S3 (moto): {s3.endpoint}  buckets {s3.artifacts_bucket} (the server's artifacts), {s3.dvc_bucket} (DVC)")
    print("A team's DVC remote there: bake with this answer (its slug after the bucket)")
    print(f'  dvc_remote: "{s3.dvc_remote("<team>")}"')
    print("and add the key pair to the team's .env (one pair for every team in this trial):")
    for key, value in s3.env.items():
        print(f"  {key}={value}")


if __name__ == "__main__":
    main()
