"""The team's service as a process: started as `make serve` starts it, reached over HTTP on 127.0.0.1.

Standard library only, and nothing of the checkpoints: the Context keeps the running Service
(Context.evidence.service) and service.py decides when to start it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

STORE = Path(".bentoml")  # the project's BentoML store (BENTOML_HOME), as the Makefile sets it
SERVE_LOG = STORE / "checkpoint-serve.log"
READY_TIMEOUT = 120.0  # seconds; BentoML is ready in about 16 s here, slower on a busy CI runner
REQUEST_TIMEOUT = 30.0
LOG_TAIL = 15


class ServiceDown(Exception):
    """The service could not be started, or stopped answering; the message says what happened."""


@dataclass
class Service:
    """`python -m <package>.serving.serve` (what `make serve` runs), on a free port of 127.0.0.1."""

    process: subprocess.Popen
    url: str
    log: Path
    ready: bool = False
    failure: ServiceDown | None = None

    @classmethod
    def start(cls, root: Path, package: str) -> Service:
        """Start `python -m <package>.serving.serve` in `root` on a free port; its output goes to SERVE_LOG."""
        port = free_port()
        log_path = root / SERVE_LOG
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PORT": str(port),
            "BENTOML_HOME": os.environ.get("BENTOML_HOME") or str(root / STORE),
            "BENTOML_DO_NOT_TRACK": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # The checkpoint's probes are not production traffic: keep them out of the team's request log.
            "CAPSTONE_REQUEST_LOG": "off",
        }
        with log_path.open("wb") as log:
            # serve replaces itself with `bentoml serve` (exec): this PID is BentoML's arbiter,
            # which stops its worker on SIGTERM (the worker runs in a process group of its own).
            process = subprocess.Popen(
                [sys.executable, "-m", f"{package}.serving.serve"],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return cls(process, f"http://127.0.0.1:{port}", log_path)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceDown(f"the service exited (code {self.process.returncode}) before it was ready")
            try:
                if http("GET", f"{self.url}/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        raise ServiceDown(f"the service was not ready (GET /readyz) after {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, path: str, body: bytes) -> tuple[int, str]:
        return http("POST", f"{self.url}{path}", body, timeout=REQUEST_TIMEOUT)

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, timeout: float = REQUEST_TIMEOUT):
    """(status, body) of one request; an HTTP error status is an answer here, not an exception."""
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")
