"""A throwaway PostgreSQL cluster on 127.0.0.1, for trying the cohort server on one machine and for tests.

    with throwaway_postgres() as db:      # db.uri = "postgresql://mlflow@127.0.0.1:<port>/postgres"
        ...                               # db.password: give it to libpq as PGPASSWORD

A real course uses a PostgreSQL that someone keeps (a managed database, or `apt-get install postgresql`);
this one lives in a temporary folder and is deleted when the block ends.

Why the detours: PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
user (made by Debian's package) and lives under /tmp, where that user can reach it; and it listens
on 127.0.0.1 only, with a password (scram-sha-256), like a server the instructor would run.
"""

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "mlflow"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server programs (initdb, pg_ctl) are not installed."""


@dataclass(frozen=True)
class LocalPostgres:
    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    @property
    def uri(self) -> str:
        """The maintenance database's URI, without the password (libpq reads PGPASSWORD)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/postgres"


def bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(Path(path).parts[-3]))
    if versions:
        return Path(versions[-1]).parent
    raise PostgresMissing("PostgreSQL is not installed (no initdb/pg_ctl); install it: apt-get install -y postgresql")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    # PostgreSQL will not run as root; the Debian package's `postgres` user runs it instead.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_postgres(timeout: float = 60) -> Iterator[LocalPostgres]:
    """Create, start and yield a private cluster; stop it by its PID and delete it afterwards."""
    binaries = bin_dir()
    # Not under pytest's tmp_path: that is private to root (0700), and the postgres user must enter it.
    root = Path(tempfile.mkdtemp(prefix="cohort-pg-"))
    data = root / "data"
    password = secrets.token_urlsafe(16)
    (root / "pwfile").write_text(password + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pwfile", "postgres", "postgres")
    port = free_port()
    db = LocalPostgres("127.0.0.1", port, SUPERUSER, password, data)
    started = False
    try:
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={root / 'pwfile'}",
                    "--encoding=UTF8",
                    "--no-instructions",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        # TCP on 127.0.0.1 only; no Unix socket (its default folder may not exist or be writable).
        options = f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200"
        subprocess.run(
            _as_owner(
                [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        started = True
        yield db
    except subprocess.CalledProcessError as problem:
        log = root / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {problem.stderr or problem.stdout}\n{tail}") from problem
    finally:
        if started:
            _stop(data)
        shutil.rmtree(root, ignore_errors=True)


def _stop(data: Path) -> None:
    """Stop the cluster through its postmaster PID (the first line of postmaster.pid)."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown: roll back sessions, stop at once
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
