"""Full tier, reliability: faults during the pipeline, with real processes on 127.0.0.1.

One reference repo (3 000 rows) is baked, set up and piped for the module; the tests run in order
and each leaves it consistent for the next:
- Ctrl-C during training: nothing is left running, and the next `make pipeline` resumes at train;
- a power cut (SIGKILL) while ingest writes its output: the half-written file never reaches dvc.lock
  or the DVC cache, and the next repro writes the whole file;
- a missing or unusable DVC remote: push and pull fail with an ERROR line, and leave no half-pulled data;
- the MLflow tracking server killed mid-training (slowest: two server starts of ~22 s each): one clear
  error line, no alias moves, and a rerun succeeds and marks the killed run FAILED.
(A corrupted batch stopping at validation, the champion unchanged and `dvc checkout` restoring the
data are in test_pipeline_e2e.py.)
Every process is started here and stopped by its PID (or its own process group, for Ctrl-C).
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
import yaml
from bakery import bake, git
from teamrepo import free_port, run, team_env

pytestmark = pytest.mark.full

ROWS = 3000
BIG_ROWS = 300_000  # ingest then writes for about a second: long enough to be caught halfway


@pytest.fixture(scope="module")
def repo(tmp_path_factory, cc_config, pre_commit_home):
    repo = bake(tmp_path_factory.mktemp("reliability-faults"), cc_config, scaffold="reference")
    set_param(repo, "data.feed.rows", ROWS)
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    return repo


def set_param(repo: Path, dotted: str, value) -> None:
    """Set `section.key` (or `section.sub.key`) in params.yaml, editing that one line: comments stay."""
    keys = dotted.split(".")
    lines = (repo / "params.yaml").read_text().splitlines(keepends=True)
    depth = 0
    for index, line in enumerate(lines):
        match = re.match(rf"^( {{{2 * depth}}}{re.escape(keys[depth])}:)(\s*)(\S*)(.*)$", line, re.DOTALL)
        if not match:
            continue
        if depth == len(keys) - 1:
            lines[index] = f"{match.group(1)} {value}{match.group(4)}"
            (repo / "params.yaml").write_text("".join(lines))
            return
        depth += 1
    raise AssertionError(f"{dotted} not found in params.yaml")


def start(repo: Path, *command: str, env: dict | None = None, log: Path) -> subprocess.Popen:
    """Start a command in its own process group (so Ctrl-C can be sent to it as a terminal would)."""
    return subprocess.Popen(
        command,
        cwd=repo,
        env=env or team_env(repo),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def running_in_group(pgid: int) -> list[str]:
    """Processes of the group that still exist, zombies included.

    Zombies count: DVC takes a dead stage's lock as still held while its process is a zombie
    ("data/raw is busy"), until init has reaped it, as it does right after a real crash.
    """
    alive = []
    for process in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getpgid(process.pid) == pgid:
                alive.append(f"{process.info['status']}: {' '.join(process.info['cmdline'] or [])}")
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return alive


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def lock_entry(repo: Path, stage: str) -> dict:
    return yaml.safe_load((repo / "dvc.lock").read_text())["stages"][stage]


def test_ctrl_c_during_training_leaves_nothing_running_and_the_rerun_resumes(repo, tmp_path):
    set_param(repo, "split.seed", 43)  # split, train and what follows must run again
    log = tmp_path / "pipeline.log"
    pipeline = start(repo, "make", "pipeline", log=log)
    wait_for(lambda: "Running stage 'train'" in log.read_text(), 300, "the train stage to start")
    # mid-training: the first model's line ("  dummy   valid roc_auc 0.5000  1.2 s") is out
    wait_for(lambda: re.search(r"valid \w+ \d\.\d{4}", log.read_text()), 300, "the first model to be trained")
    os.killpg(pipeline.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert pipeline.wait(timeout=120) != 0
    wait_for(lambda: not running_in_group(pipeline.pid), 30, "every process of the pipeline to stop")
    # split finished before the interrupt, so it is recorded; train did not finish, so it is not.
    assert lock_entry(repo, "split")["params"]["params.yaml"]["split"]["seed"] == 43
    status = run(repo, ".venv/bin/dvc", "status").stdout
    assert "train:" in status and "split:" not in status, status

    rerun = run(repo, "make", "pipeline").stdout
    for stage in ("ingest", "validate_raw", "clean", "validate_clean", "split"):
        assert f"Stage '{stage}' didn't change, skipping" in rerun, rerun[-3000:]
    assert "Running stage 'train'" in rerun and "Running stage 'bento'" in rerun
    assert "Data and pipelines are up to date" in run(repo, ".venv/bin/dvc", "status").stdout


def test_a_half_written_output_never_becomes_a_dvc_output(repo, tmp_path):
    raw = repo / "data" / "raw" / "batch.csv"
    before = lock_entry(repo, "ingest")["outs"]
    cache = repo / ".dvc" / "cache"
    cached_before = {path.name for path in cache.rglob("*") if path.is_file()}
    set_param(repo, "data.feed.rows", BIG_ROWS)
    written = raw.stat().st_mtime_ns
    pipeline = start(repo, "make", "pipeline", log=tmp_path / "pipeline.log")
    wait_for(
        lambda: raw.is_file() and raw.stat().st_mtime_ns != written and raw.stat().st_size,
        300,
        "ingest to start writing",
        interval=0.01,
    )
    os.killpg(pipeline.pid, signal.SIGKILL)  # a power cut, or the OOM killer: no chance to clean up
    pipeline.wait(timeout=60)
    wait_for(lambda: not running_in_group(pipeline.pid), 30, "every process of the pipeline to stop")
    partial = hashlib.md5(raw.read_bytes()).hexdigest()
    partial_lines = raw.read_bytes().count(b"\n")
    assert partial_lines < BIG_ROWS, "ingest finished before the kill: the test proves nothing"

    # The half-written file is in no record: not in dvc.lock, not in the cache; DVC says it changed.
    assert lock_entry(repo, "ingest")["outs"] == before
    assert partial not in (repo / "dvc.lock").read_text()
    cached_now = {path.name for path in cache.rglob("*") if path.is_file()}
    assert not any(name.startswith(partial[2:]) for name in cached_now - cached_before)
    status = run(repo, ".venv/bin/dvc", "status", "ingest").stdout  # the killed DVC's lock is no obstacle
    assert "modified:" in status and "data/raw" in status, status

    # The next repro writes the whole file, and that is what DVC records.
    run(repo, ".venv/bin/dvc", "repro", "ingest")
    assert raw.read_bytes().count(b"\n") == BIG_ROWS + 1  # the header and every row
    assert lock_entry(repo, "ingest")["outs"] != before
    # Back to the module's data: DVC's run cache restores the earlier output without running ingest.
    set_param(repo, "data.feed.rows", ROWS)
    run(repo, ".venv/bin/dvc", "repro", "ingest")
    assert lock_entry(repo, "ingest")["outs"] == before
    assert "Data and pipelines are up to date" in run(repo, ".venv/bin/dvc", "status").stdout


def test_an_unusable_dvc_remote_fails_push_and_pull_with_an_error_line(repo, tmp_path):
    dvc = str(repo / ".venv" / "bin" / "dvc")
    # A remote that cannot be written (its path runs through a file): push fails, naming it.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    run(repo, dvc, "remote", "modify", "--local", "storage", "url", str(blocker / "remote"))
    try:
        pushed = run(repo, "make", "push", check=False)
    finally:
        (repo / ".dvc" / "config.local").unlink()
    assert pushed.returncode != 0
    error = first_error(pushed)
    assert str(blocker) in error, error

    # No remote configured at all: DVC says so and how to set one.
    unset = run(repo, dvc, "push", "-r", "nowhere", check=False)
    assert unset.returncode != 0 and "nowhere" in first_error(unset)

    # A teammate's fresh clone whose remote folder does not exist: pull fails and fetches nothing.
    (repo.parent / f"{repo.name}-dvc-remote").mkdir(exist_ok=True)  # make push asks for it to exist
    run(repo, "make", "push")
    git(repo, "add", "-A")
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    git(repo, *identity, "commit", "-q", "--no-verify", "-m", "Pipeline outputs")  # DVC is tested, not hooks
    clone = tmp_path / "elsewhere" / "clone"  # its ../<slug>-dvc-remote is not there
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    pulled = subprocess.run([dvc, "pull"], cwd=clone, env=team_env(repo), capture_output=True, text=True, timeout=300)
    assert pulled.returncode != 0
    assert first_error(pulled)
    assert not (clone / "data" / "raw" / "batch.csv").exists()


def test_a_missing_remote_is_named_in_the_first_error_line(repo, tmp_path):
    clone = tmp_path / "elsewhere" / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    (clone / ".venv").symlink_to(repo / ".venv")  # instead of a second `make setup`: the same packages
    pulled = subprocess.run(
        ["make", "pull"], cwd=clone, env=team_env(repo), capture_output=True, text=True, timeout=300
    )
    remote = (clone.parent / f"{repo.name}-dvc-remote").as_posix()
    assert pulled.returncode != 0 and remote in first_error(pulled), pulled.stdout + pulled.stderr


def first_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("ERROR")]
    assert lines, result.stdout[-3000:] + result.stderr[-3000:]
    return lines[0]


# --- the tracking server killed mid-training -----------------------------------------------------


class TrackingServer:
    """`mlflow server` from the team's environment on 127.0.0.1, its store in `folder`."""

    def __init__(self, repo: Path, folder: Path, port: int):
        self.repo, self.folder, self.port = repo, folder, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(self.repo / ".venv" / "bin" / "mlflow"),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend-store-uri",
                f"sqlite:///{self.folder / 'mlflow.db'}",
                "--artifacts-destination",
                str(self.folder / "artifacts"),
                "--workers",
                "1",
            ],
            cwd=self.folder,
            env=team_env(self.repo),
            stdout=(self.folder / "server.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self.healthy, 180, "the MLflow server to start", interval=0.5)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server and its workers (uvicorn, job runner), each by PID: a crash, no goodbye."""
        parent = psutil.Process(self.process.pid)
        for process in [*parent.children(recursive=True), parent]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def runs(self, experiment: str) -> list[dict]:
        try:
            found = self.api("GET", f"experiments/get-by-name?experiment_name={experiment}")
            experiment_id = found["experiment"]["experiment_id"]
            return self.api("POST", "runs/search", {"experiment_ids": [experiment_id]}).get("runs", [])
        except OSError:
            return []

    def champion(self, model: str) -> str:
        answer = self.api("GET", f"registered-models/alias?name={model}&alias=champion")
        return answer["model_version"]["version"]


def test_the_tracking_server_killed_mid_training(repo, tmp_path):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    experiment, model = params["mlflow"]["experiment"], params["mlflow"]["registered_model"]
    server = TrackingServer(repo, tmp_path, free_port())
    env = team_env(repo)
    env["MLFLOW_TRACKING_URI"] = server.url
    # MLflow's client retries a dead server for minutes by default; two quick retries keep this bounded.
    env.update(MLFLOW_HTTP_REQUEST_MAX_RETRIES="2", MLFLOW_HTTP_REQUEST_TIMEOUT="10")
    # Train and everything after it again, now tracked on the server (params did not change).
    repro = [".venv/bin/python", "-m", "capstone.runner", ".venv/bin/dvc", "repro", "--force", "--downstream", "train"]
    try:
        server.start()
        first = subprocess.run(repro, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        champion = server.champion(model)
        versions = len(server.api("GET", "model-versions/search").get("model_versions", []))

        log = tmp_path / "killed.log"
        training = start(repo, *repro, env=env, log=log)
        in_flight = wait_for(
            lambda: [r["info"]["run_id"] for r in server.runs(experiment) if r["info"]["status"] == "RUNNING"],
            300,
            "a training run on the server",
        )
        server.kill()
        assert training.wait(timeout=300) != 0
        output = log.read_text()
        errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
        assert errors and f"cannot reach the MLflow server at {server.url}" in errors[0], output[-3000:]
        assert "Traceback (most recent call last)" not in output, output[-3000:]

        server.start()  # the same store: what the server had before the crash is still there
        assert server.champion(model) == champion  # no alias moved
        assert len(server.api("GET", "model-versions/search").get("model_versions", [])) == versions
        rerun = subprocess.run(repro, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
        assert f"Run {in_flight[0]} is marked FAILED" in rerun.stdout, rerun.stdout[-3000:]
        statuses = {r["info"]["run_id"]: r["info"]["status"] for r in server.runs(experiment)}
        assert all(statuses[run_id] == "FAILED" for run_id in in_flight), statuses
    finally:
        server.stop()
