"""Cohort tier: two team repos share one MLflow server on PostgreSQL, with per-team users, and one DVC remote.

Everything is real: a private PostgreSQL cluster and `cohort/server.py serve` (mlflow server with basic
auth) on 127.0.0.1, the instructor's `add-teams`, two baked team repos whose `make pipeline` runs at the
same time against the server. Then: every run and both champions are on the server and in the right
experiment; team A cannot write to team B's experiment or model; a mentor reads both; a wrong
password and a stopped server give one clear line; both teams push to one shared DVC directory.
The fixtures stop every process they start, by PID, and every wait has a time limit.
"""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from bakery import TEMPLATE, bake
from teamrepo import free_port, run, team_env

sys.path.insert(0, str(TEMPLATE / "cohort"))
from localpg import PostgresMissing, bin_dir  # noqa: E402
from trial import trial_server  # noqa: E402

pytestmark = pytest.mark.cohort
# The tests with a real PostgreSQL, server and team repos; the instructor's refusals below need none.
full = pytest.mark.full

ROWS = 2000  # small data: this tier tests the sharing, not the models
TEAMS = {"team-churn": "churn", "team-houses": "house_prices"}  # slug -> dataset: different data, easy to tell apart
MENTOR = "mentor-ada"
SERVER_START_TIMEOUT = 240  # mlflow server with basic auth needs 20-60 s on two busy cores, more when loaded
PIPELINE_TIMEOUT = 1200


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """PostgreSQL and `cohort/server.py serve` on free ports (cohort/trial.py); stopped by PID afterwards."""
    try:
        bin_dir()
    except PostgresMissing as problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (.ci/run installs it)")
        pytest.skip(str(problem))
    with trial_server(tmp_path_factory.mktemp("cohort-server"), timeout=SERVER_START_TIMEOUT) as started:
        yield started


def tail(path: str, size: int = 3000) -> str:
    return Path(path).read_text(errors="replace")[-size:]


@pytest.fixture(scope="module")
def cohort(server, tmp_path_factory) -> dict[str, dict[str, str]]:
    """The instructor's add-teams, for real: returns each user's .env values."""
    folder = tmp_path_factory.mktemp("cohort")
    (folder / "cohort.yaml").write_text(yaml.safe_dump({"teams": list(TEAMS), "mentors": [MENTOR]}))
    credentials = folder / "credentials"
    command = [sys.executable, str(TEMPLATE / "cohort" / "server.py"), "add-teams", str(folder / "cohort.yaml")]
    command += ["--out", str(credentials), "--server", server.url]
    env = {**os.environ, "MLFLOW_AUTH_ADMIN_PASSWORD": server.admin_password}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    users = {}
    for name in [*TEAMS, MENTOR]:
        path = credentials / f"{name}.env"
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        users[name] = dotenv(path)
    # Rerunning is safe: nothing new, passwords kept.
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.count("password unchanged") == 3, again.stdout + again.stderr
    return users


def dotenv(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def teams(cohort, server, tmp_path_factory, cc_config, pre_commit_home) -> dict[str, Path]:
    """Two baked repos pointed at the server and one shared DVC directory; both pipelines at the same time."""
    out = tmp_path_factory.mktemp("teams")
    remote = out / "shared-dvc-remote"
    repos = {}
    for slug, dataset in TEAMS.items():
        repo = bake(
            out, cc_config, project_slug=slug, dataset=dataset, scaffold="reference",
            mlflow_tracking_uri=server.url, dvc_remote=str(remote),
        )  # fmt: skip
        params = repo / "params.yaml"
        params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
        run(repo, "git", "commit", "-qam", f"Use {ROWS} rows")
        # The team's credentials, as the instructor hands them over: into .env, which git ignores.
        (repo / ".env").write_text(credentials_text(cohort[slug]))
        assert run(repo, "git", "check-ignore", ".env").returncode == 0
        run(repo, "make", "setup")
        repos[slug] = repo
    started = {slug: popen(repo, "make", "pipeline") for slug, repo in repos.items()}
    try:
        for slug, (process, log) in started.items():
            process.wait(timeout=PIPELINE_TIMEOUT)
            assert process.returncode == 0, f"make pipeline failed for {slug}:\n{tail(log, 6000)}"
    finally:
        for process, _ in started.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return repos


def credentials_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def popen(repo: Path, *command: str) -> tuple[subprocess.Popen, str]:
    log = repo.parent / f"{repo.name}-{command[-1]}.log"
    with log.open("w") as file:
        process = subprocess.Popen(
            command, cwd=repo, env=team_env(repo), stdout=file, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, str(log)


@contextmanager
def as_user(values: dict[str, str]):
    """MLflow clients in this process read their login from the environment at each request."""
    keys = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update({key: values[key] for key in keys})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def client(server):
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "1"  # a refusal is an answer; no need to wait for more
    from mlflow import MlflowClient

    return MlflowClient(server.url)


def snapshot(server, slug: str) -> dict:
    """What the server holds for one team: its runs (id -> dataset tag), model versions, champion's run."""
    mlflow = client(server)
    admin = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": server.admin_password}
    with as_user(admin):
        experiment = mlflow.get_experiment_by_name(slug)
        runs = mlflow.search_runs([experiment.experiment_id], max_results=1000)
        versions = mlflow.search_model_versions(f"name = '{slug}-model'")
        champion = mlflow.get_model_version_by_alias(f"{slug}-model", "champion")
    return dict(
        experiment_id=experiment.experiment_id,
        runs={run_.info.run_id: run_.data.tags.get("dataset") for run_ in runs},
        versions=sorted(version.version for version in versions),
        champion_run=champion.run_id,
    )


@full
def test_every_run_and_both_champions_are_on_the_server(server, teams):
    experiments = set()
    for slug, repo in teams.items():
        training = json.loads((repo / "reports" / "training.json").read_text())
        champion = json.loads((repo / "reports" / "champion.json").read_text())
        held = snapshot(server, slug)
        experiments.add(held["experiment_id"])
        # Nothing lost: exactly the runs the team's pipeline logged. Nothing mixed: all of its own dataset.
        assert set(held["runs"]) == {run_["run_id"] for run_ in training["runs"]}, slug
        assert set(held["runs"].values()) == {TEAMS[slug]}, held["runs"]
        assert champion["promoted"] and held["champion_run"] == champion["run_id"] in held["runs"]
        assert not (repo / "mlflow.db").exists(), "runs went to a local store too"
    assert len(experiments) == 2


@full
def test_the_pipeline_printed_run_links(server, teams):
    for repo in teams.values():
        log = Path(repo.parent / f"{repo.name}-pipeline.log").read_text()
        assert f"{server.url}/#/experiments/" in log and f"{server.url}/#/models/" in log, log[-3000:]


@full
def test_a_team_cannot_write_to_another_teams_experiment(server, cohort, teams):
    from mlflow.exceptions import MlflowException

    before = snapshot(server, "team-houses")
    mlflow = client(server)
    with as_user(cohort["team-churn"]):
        for attempt in (
            lambda: mlflow.create_run(before["experiment_id"]),
            lambda: mlflow.create_model_version("team-houses-model", f"runs:/{before['champion_run']}/model"),
            lambda: mlflow.set_registered_model_alias("team-houses-model", "champion", before["versions"][0]),
            lambda: mlflow.delete_run(next(iter(before["runs"]))),
        ):
            with pytest.raises(MlflowException) as refused:
                attempt()
            assert refused.value.get_http_status_code() == 403, refused.value
    # The team's own train stage, pointed at the other team's experiment: one clear line, nothing written.
    done = train_stage(teams["team-houses"], cohort["team-churn"])
    assert done.returncode != 0
    assert first_line(done).startswith("ERROR: user 'team-churn' may not use experiment 'team-houses'"), done.stderr
    assert snapshot(server, "team-houses") == before


@full
def test_a_mentor_reads_both_teams_and_writes_nothing(server, cohort, teams):
    from mlflow.exceptions import MlflowException

    mlflow = client(server)
    for slug in teams:
        held = snapshot(server, slug)
        with as_user(cohort[MENTOR]):
            runs = mlflow.search_runs([held["experiment_id"]], max_results=1000)
            assert {run_.info.run_id for run_ in runs} == set(held["runs"])
            assert mlflow.get_model_version_by_alias(f"{slug}-model", "champion").run_id == held["champion_run"]
            assert mlflow.list_artifacts(held["champion_run"]), "the mentor sees no artifacts"
            with pytest.raises(MlflowException) as refused:
                mlflow.create_run(held["experiment_id"])
            assert refused.value.get_http_status_code() == 403


@full
def test_a_wrong_password_gives_one_line(teams, cohort):
    wrong = {**cohort["team-churn"], "MLFLOW_TRACKING_PASSWORD": "not-the-password"}
    done = train_stage(teams["team-churn"], wrong)
    assert done.returncode != 0
    assert first_line(done).startswith(
        "ERROR: the MLflow server at http://127.0.0.1:"
    ) and "refused the login of user 'team-churn'" in first_line(done), done.stderr


@full
def test_an_unreachable_server_gives_one_line(teams, cohort):
    nowhere = {**cohort["team-churn"], "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}"}
    started = time.monotonic()
    done = train_stage(teams["team-churn"], nowhere)
    assert done.returncode != 0
    assert first_line(done).startswith(f"ERROR: cannot reach the MLflow server at {nowhere['MLFLOW_TRACKING_URI']}")
    assert time.monotonic() - started < 120, "it should not wait through MLflow's retries"


def train_stage(repo: Path, login: dict[str, str]) -> subprocess.CompletedProcess:
    """The train stage as DVC runs it, with this login instead of the team's .env (which only make reads)."""
    package = repo.name.replace("-", "_")
    env = {**team_env(repo), **login}
    command = [str(repo / ".venv" / "bin" / "python"), "-m", f"{package}.models.train"]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def first_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[0] if lines else ""


@full
def test_both_teams_push_to_one_shared_dvc_remote(teams):
    pushes = {slug: popen(repo, "make", "push") for slug, repo in teams.items()}
    for slug, (process, log) in pushes.items():
        process.wait(timeout=300)
        assert process.returncode == 0, f"{slug}: {tail(log)}"
    remotes = set()
    for repo in teams.values():
        remotes.add(run(repo, ".venv/bin/dvc", "remote", "list").stdout.split()[1])
        status = run(repo, ".venv/bin/dvc", "status", "--cloud")
        assert "Cache and remote 'storage' are in sync" in status.stdout, status.stdout
    assert len(remotes) == 1
    assert any(Path(next(iter(remotes))).rglob("*")), "the shared remote is empty"


@full
def test_the_experiments_checkpoint_passes_against_the_server(teams, cohort):
    for slug, repo in teams.items():
        if run(repo, ".venv/bin/capstone", "check", "--help", check=False).returncode != 0:
            pytest.skip("capstone check is not in the team repo yet")
        env = {**team_env(repo), **cohort[slug]}  # as the PR workflow gets them: from secrets, not .env
        done = subprocess.run(
            [str(repo / ".venv" / "bin" / "capstone"), "check", "4"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        report = json.loads((repo / "reports" / "checkpoint-4.json").read_text())
        gates = {gate["id"]: gate["status"] for gate in report["gates"]}
        assert gates.get("tracked-experiments") == "passed", (slug, gates, done.stdout[-3000:], done.stderr[-2000:])


# The instructor's commands refuse bad input with one line, before touching any server.


def cohort_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(TEMPLATE / "cohort" / "server.py"), *args]
    # --server falls back to MLFLOW_TRACKING_URI: only what the test gives counts, not the session's.
    inherited = {name: value for name, value in os.environ.items() if name != "MLFLOW_TRACKING_URI"}
    return subprocess.run(command, env={**inherited, **env}, capture_output=True, text=True, timeout=120)


def test_add_teams_refuses_a_name_that_is_not_a_repo_slug(tmp_path):
    (tmp_path / "cohort.yaml").write_text("teams: [Churn Radar]\n")
    done = cohort_command(
        "add-teams", str(tmp_path / "cohort.yaml"), "--out", str(tmp_path / "out"), "--server", "http://127.0.0.1:9",
        MLFLOW_AUTH_ADMIN_PASSWORD="x",
    )  # fmt: skip
    assert (
        done.returncode == 1 and done.stderr.startswith("ERROR: ") and "'Churn Radar' is not a repo slug" in done.stderr
    )


def test_add_teams_will_not_write_passwords_where_git_would_commit_them(tmp_path):
    run(tmp_path, "git", "init", "-q")
    (tmp_path / "cohort.yaml").write_text("teams: [churn-radar]\n")
    done = cohort_command(
        "add-teams", str(tmp_path / "cohort.yaml"), "--out", str(tmp_path / "credentials"),
        "--server", "http://127.0.0.1:9", MLFLOW_AUTH_ADMIN_PASSWORD="x",
    )  # fmt: skip
    assert done.returncode == 1 and "inside a git repository and not ignored" in done.stderr.splitlines()[0]
    assert not (tmp_path / "credentials").exists()


def test_add_teams_says_when_the_server_is_down(tmp_path):
    (tmp_path / "cohort.yaml").write_text(f"server: http://127.0.0.1:{free_port()}\nteams: [churn-radar]\n")
    done = cohort_command(
        "add-teams", str(tmp_path / "cohort.yaml"), "--out", str(tmp_path / "out"), MLFLOW_AUTH_ADMIN_PASSWORD="x"
    )
    assert done.returncode == 1 and done.stderr.startswith("ERROR: cannot reach the MLflow server at http://127.0.0.1:")


def test_serve_needs_an_admin_password_and_a_database(tmp_path):
    done = cohort_command("serve", "--artifacts", str(tmp_path / "artifacts"), MLFLOW_AUTH_ADMIN_PASSWORD="")
    assert done.returncode == 1 and done.stderr.startswith("ERROR: MLFLOW_AUTH_ADMIN_PASSWORD is not set")
    nowhere = f"postgresql://mlflow@127.0.0.1:{free_port()}/mlflow"
    done = cohort_command(
        "serve", "--artifacts", str(tmp_path / "artifacts"), COHORT_DB_URI=nowhere, MLFLOW_AUTH_ADMIN_PASSWORD="x"
    )
    assert done.returncode == 1 and done.stderr.startswith("ERROR: cannot use PostgreSQL at 127.0.0.1:"), done.stderr
