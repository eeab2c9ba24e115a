"""Drive a baked team repository the way a team does: bake, make setup, make pipeline, serve.

Used by `make demo` (scripts/demo.py) and by the template's end-to-end tests.
"""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parents[1]

# The team repo's Makefile exports these too; set here for the commands run directly.
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "DVC_NO_ANALYTICS": "1",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def team_env(repo: Path) -> dict[str, str]:
    env = {**os.environ, **QUIET_ENV, "BENTOML_HOME": str(repo / ".bentoml")}
    env["PATH"] = f"{repo / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)  # the template's own venv must not leak into the team's
    # Nor the caller's tracking store: a team repo tracks into its own (params.yaml, or its .env);
    # a caller that means a server (the cohort tests) sets MLFLOW_TRACKING_URI after this.
    env.pop("MLFLOW_TRACKING_URI", None)
    # The template's Makefile sets PYTHONDONTWRITEBYTECODE to keep caches out of the template folder.
    # A team repo lives elsewhere, and without bytecode every import of pandas, MLflow or GX compiles
    # from source again in each process (imports took twice as long). A team's machine writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(repo: Path, *command: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a command in the team repo; on failure raise with the tail of its output."""
    result = subprocess.run(command, cwd=repo, env=team_env(repo), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed in {repo} (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def served(repo: Path, port: int | None = None, ready_timeout: float = 120):
    """Serve the repo's built bento as `make serve` does; yield its base URL; stop it by the arbiter's PID."""
    package = yaml.safe_load((repo / "params.yaml").read_text())["project"]["package"]
    port = port or free_port()
    log = (repo / ".bentoml" / "serve.log").open("w")
    # serve.py replaces itself with `bentoml serve` (exec), so this PID is BentoML's arbiter.
    server = subprocess.Popen(
        [str(repo / ".venv" / "bin" / "python"), "-m", f"{package}.serving.serve"],
        cwd=repo,
        env={**team_env(repo), "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"bentoml serve exited with {server.returncode}; see {log.name}")
            try:
                if http("GET", f"{url}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service was not ready after {ready_timeout:.0f} s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        # The arbiter stops its workers on SIGTERM (they run in their own process group).
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# Where template_snapshot() keeps its snapshots (a few MB each, one per state of the working tree).
SNAPSHOTS = Path(tempfile.gettempdir()) / "ml-capstone-template"
SNAPSHOT_MAX_AGE = 24 * 3600  # seconds unused before prune_snapshots deletes a snapshot


def prune_snapshots(now: float | None = None) -> list[Path]:
    """Delete the snapshots no bake has used for SNAPSHOT_MAX_AGE; the deleted paths."""
    now = time.time() if now is None else now
    old = [path for path in SNAPSHOTS.glob("*") if path.is_dir() and now - path.stat().st_mtime > SNAPSHOT_MAX_AGE]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def template_snapshot() -> Path:
    """A git repository holding this template's working tree as one commit; its path.

    A baked team repo installs the course kit from the template's git repository at the baked
    commit (local_extensions.KitSourceExtension). The tests and the demo bake from this snapshot,
    so the kit they install is the working tree's, uncommitted edits included, offline (file://).
    The same files give the same commit (fixed identity and date), so uv's cache serves every bake,
    and concurrent test workers share one snapshot.
    """
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=TEMPLATE,
        check=True,
        capture_output=True,
    ).stdout.decode()
    names = sorted(name for name in listed.split("\0") if name and (TEMPLATE / name).is_file())
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (TEMPLATE / name).read_bytes() + b"\0")
    target = SNAPSHOTS / digest.hexdigest()[:16]
    if target.is_dir():
        os.utime(target)  # in use: prune_snapshots keeps it
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    prune_snapshots()
    scratch = Path(tempfile.mkdtemp(prefix="snapshot-", dir=target.parent))
    for name in names:
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / name, scratch / name)
    fixed = {
        "GIT_AUTHOR_NAME": "ml-capstone tests",
        "GIT_AUTHOR_EMAIL": "tests@ml-capstone.invalid",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_NAME": "ml-capstone tests",
        "GIT_COMMITTER_EMAIL": "tests@ml-capstone.invalid",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    }
    for command in (
        ["init", "--quiet", "-b", "main"],
        ["add", "--all"],
        ["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", "snapshot"],
    ):
        subprocess.run(["git", *command], cwd=scratch, check=True, capture_output=True, env={**os.environ, **fixed})
    try:
        scratch.rename(target)
    except OSError:  # another process made the same snapshot first
        shutil.rmtree(scratch, ignore_errors=True)
    return target
