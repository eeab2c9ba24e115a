"""Cohort tier: a roster of three teams, one MLflow server on PostgreSQL, one DVC remote, and the gradebook.

Everything is real: a private PostgreSQL cluster and `cohort/server.py serve` (mlflow server with
basic auth) on 127.0.0.1, `capstone cohort bake` from a roster, the instructor's `add-teams`, two
baked team repos whose `make pipeline` runs at the same time against the server (the third never
starts). Then: every run and both champions are on the server, in the right experiment; team A
cannot write to team B's experiment or model; a mentor reads both; a wrong password and a stopped
server give one clear line; both teams push to one shared DVC directory. Last, the course's grader
grades stage 1 of both teams (one passes, one fails) and records the results with each team's
grader login, which no team login can forge, and `capstone cohort status` shows exactly that grid,
with the contribution evidence; the team sees its official result in `make status`.
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
from bakery import CAPSTONE, TEMPLATE, cohort_bake
from pagecells import CHROMIUM, browser, cells
from teamrepo import free_port, run, team_env

sys.path.insert(0, str(TEMPLATE / "cohort"))
from localpg import PostgresMissing, bin_dir  # noqa: E402
from trial import trial_server  # noqa: E402

pytestmark = pytest.mark.cohort
# The tests with a real PostgreSQL, server and team repos; the instructor's refusals below need none.
full = pytest.mark.full

ROWS = 2000  # small data: this tier tests the sharing, not the models
TEAMS = {"team-churn": "churn", "team-houses": "house_prices"}  # slug -> dataset: different data, easy to tell apart
IDLE = "team-idle"  # baked from the roster, never checks
MENTOR = "mentor-ada"
ROSTER = """name,members,mentors,dataset,scaffold,mlflow_tracking_uri,dvc_remote
Team Churn,ada-l,mentor-ada,churn,reference,{server},{remote}
Team Houses,grace-h,mentor-ada,house_prices,reference,{server},{remote}
Team Idle,edsger-d,mentor-ada,churn,skeleton,{server},{remote}
"""
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
    # Artifacts in a folder: tests/test_cohort_s3.py runs the S3 API (moto keeps one store per process, so
    # two servers with S3 in one test worker would share their buckets).
    with trial_server(tmp_path_factory.mktemp("cohort-server"), timeout=SERVER_START_TIMEOUT) as started:
        yield started


def tail(path: str, size: int = 3000) -> str:
    return Path(path).read_text(errors="replace")[-size:]


@pytest.fixture(scope="module")
def baked(server, tmp_path_factory) -> Path:
    """`capstone cohort bake` of the roster: three repositories and the cohort file, pointed at the server."""
    out = tmp_path_factory.mktemp("baked") / "cohort"
    roster = out.parent / "roster.csv"
    roster.write_text(ROSTER.format(server=server.url, remote=out.parent / "shared-dvc-remote"))
    done = cohort_bake(roster, out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def cohort(server, baked) -> dict[str, dict[str, str]]:
    """The instructor's add-teams on the roster's cohort file, for real: returns each login's .env values."""
    credentials = baked.parent / "credentials"
    command = [sys.executable, str(TEMPLATE / "cohort" / "server.py"), "add-teams", str(baked / "cohort.yaml")]
    command += ["--out", str(credentials), "--server", server.url]
    env = {**os.environ, "MLFLOW_AUTH_ADMIN_PASSWORD": server.admin_password}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    users = {}
    slugs = [*TEAMS, IDLE]
    for name in [*slugs, *(f"grader.{slug}" for slug in slugs), MENTOR]:
        path = credentials / f"{name}.env"
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        users[name] = dotenv(path)
    # Rerunning is safe: nothing new, passwords kept (three teams, their three grader logins, the mentor).
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.count("password unchanged") == 7, again.stdout + again.stderr
    return users


def dotenv(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def teams(cohort, baked, pre_commit_home) -> dict[str, Path]:
    """Two of the roster's repos, pointed at the server and one shared DVC directory; both pipelines at once."""
    repos = {}
    for slug in TEAMS:
        repo = baked / "repos" / slug
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


AUTHORS = {"ada": ("Ada Lovelace", "ada@example.edu"), "grace": ("Grace Hopper", "grace@example.edu")}


def commit_as(repo: Path, who: str, message: str, *paths: str) -> None:
    name, email = AUTHORS[who]
    run(repo, "git", "add", *paths)
    run(repo, "git", "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-qm", message)


def grader_command(*args: str, login: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The course's capstone (this checkout's kit), with a clean environment plus a login."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "COLUMNS": "200", **(login or {})}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", DVC_NO_ANALYTICS="1")
    return subprocess.run([str(CAPSTONE), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def recorded(teams, cohort, baked) -> dict[str, dict]:
    """Stage 1 graded by the course's grader for both teams, each result recorded with its own grader login.

    team-churn commits its data version (by two authors, one co-authoring through a trailer) and passes;
    team-houses never commits dvc.lock, so `data-tracked` fails. team-idle never checks.
    """
    churn = teams["team-churn"]
    (churn / "docs" / "exploration.md").write_text("# What we found in the raw data\n\nDuplicated customers.\n")
    commit_as(churn, "ada", "Exploration notes", "docs/exploration.md")
    run(churn, "make", "push")
    commit_as(
        churn, "grace", "Version the raw data\n\nCo-authored-by: Ada Lovelace <ada@example.edu>", "dvc.lock", "data"
    )
    graded = {}
    for number, (slug, repo) in enumerate(teams.items(), start=11):
        out = baked.parent / f"graded-{slug}"
        done = grader_command(
            "grade", "run", "1", "--team", str(repo), "--out", str(out), "--no-setup", "--no-pipeline"
        )
        assert (out / "checkpoint-1.json").is_file(), done.stdout + done.stderr
        head = run(repo, "git", "rev-parse", "HEAD").stdout.strip()
        record = grader_command(
            "grade", "record", "1", "--report", str(out), "--commit", head, "--pr", str(number),
            login=cohort[f"grader.{slug}"],
        )  # fmt: skip
        assert record.returncode == 0 and f"recorded for {slug}: stage 1" in record.stdout, (
            record.stdout + record.stderr
        )
        graded[slug] = {
            "out": out,
            "head": head,
            "pr": str(number),
            "report": json.loads((out / "checkpoint-1.json").read_text()),
        }
    return graded


@full
def test_the_grader_passes_one_team_and_fails_the_other(recorded):
    churn, houses = recorded["team-churn"]["report"], recorded["team-houses"]["report"]
    assert churn["passed"] and churn["meta"]["official"], [
        (g["id"], g["status"], g["measured"]) for g in churn["gates"]
    ]
    gates = {gate["id"]: gate for gate in houses["gates"]}
    assert not houses["passed"] and gates["data-tracked"]["status"] == "failed"
    # The contribution evidence in the official report: two authors, one co-authored commit.
    report = (recorded["team-churn"]["out"] / "checkpoint-1.md").read_text()
    ada = next(line for line in report.splitlines() if line.startswith("| Ada Lovelace"))
    grace = next(line for line in report.splitlines() if line.startswith("| Grace Hopper"))
    assert [cell.strip() for cell in ada.split("|")[3:6]] == ["1", "0", "1"], ada  # commits, merges, co-authored
    assert [cell.strip() for cell in grace.split("|")[3:6]] == ["1", "0", "0"], grace


@full
def test_no_team_login_can_forge_or_read_others_results(server, cohort, recorded):
    from mlflow.exceptions import MlflowException

    mlflow = client(server)
    with as_user(cohort[MENTOR]):
        ours = mlflow.get_experiment_by_name("checkpoints/team-churn").experiment_id
        theirs = mlflow.get_experiment_by_name("checkpoints/team-houses").experiment_id
    with as_user(cohort["team-churn"]):
        [official] = mlflow.search_runs([ours])  # the team reads its own result
        assert official.data.tags["capstone.result"] == "passed"
        for attempt in (
            lambda: mlflow.create_run(ours, tags={"capstone.result": "passed", "capstone.official": "true"}),
            lambda: mlflow.set_tag(official.info.run_id, "capstone.result", "passed"),
            lambda: mlflow.delete_run(official.info.run_id),
            lambda: mlflow.get_experiment(theirs),
        ):
            with pytest.raises(MlflowException) as refused:
                attempt()
            assert refused.value.get_http_status_code() == 403, refused.value
        # Searching another team's results finds nothing (the server filters what a login may not read).
        try:
            assert list(mlflow.search_runs([theirs])) == []
        except MlflowException as refused:
            assert refused.get_http_status_code() == 403, refused
    # One team's grader login cannot write another team's results either.
    grader = {
        "MLFLOW_TRACKING_USERNAME": "grader.team-houses",
        "MLFLOW_TRACKING_PASSWORD": cohort["grader.team-houses"]["CAPSTONE_RESULTS_PASSWORD"],
    }
    with as_user(grader), pytest.raises(MlflowException) as refused:
        mlflow.create_run(ours, tags={"capstone.result": "passed"})
    assert refused.value.get_http_status_code() == 403
    # The recorder itself, given the team's password under the grader's name: one line, nothing written.
    forged = {
        **cohort["grader.team-houses"],
        "CAPSTONE_RESULTS_PASSWORD": cohort["team-houses"]["MLFLOW_TRACKING_PASSWORD"],
    }
    done = grader_command("grade", "record", "1", "--report", str(recorded["team-houses"]["out"]), login=forged)
    assert done.returncode == 1 and "refused grader.team-houses (HTTP 401)" in done.stderr.splitlines()[0], done.stderr
    # A grader login with another team's report (a pass, say): refused before anything is sent.
    swapped = grader_command(
        "grade", "record", "1", "--report", str(recorded["team-churn"]["out"]), login=cohort["grader.team-houses"]
    )
    assert swapped.returncode == 1 and "is team-churn's, not team-houses's" in swapped.stderr.splitlines()[0]
    with as_user(cohort[MENTOR]):
        assert len(mlflow.search_runs([ours])) == 1 and len(mlflow.search_runs([theirs])) == 1


@full
def test_the_gradebook_shows_exactly_that_grid_in_three_formats(server, cohort, baked, recorded):
    mentor = cohort[MENTOR]  # a mentor's login: reads everything
    login = {key: mentor[key] for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    cohort_file = str(baked / "cohort.yaml")
    csv_path, html_path = baked.parent / "grades.csv", baked.parent / "gradebook.html"
    for form, path in (("csv", csv_path), ("html", html_path)):
        done = grader_command("cohort", "status", cohort_file, "--format", form, "--output", str(path), login=login)
        assert done.returncode == 0, done.stdout + done.stderr
    table = grader_command("cohort", "status", cohort_file, login=login)
    assert table.returncode == 0, table.stdout + table.stderr
    # A team's login sees only its own team: no gradebook that looks complete and is not.
    team = {key: cohort["team-churn"][key] for key in login}
    partial = grader_command("cohort", "status", cohort_file, login=team)
    assert partial.returncode == 1, partial.stdout
    assert "this login sees the experiments of 1 of 3 teams" in partial.stderr.splitlines()[0], partial.stderr

    import csv

    rows = {row["team"]: row for row in csv.DictReader(csv_path.open())}
    assert list(rows) == ["team-churn", "team-houses", IDLE]  # the roster's order
    assert [rows[team]["stage_1"] for team in rows] == ["passed", "failed", "not attempted"]
    assert [rows[team]["stages_passed"] for team in rows] == ["1", "0", "0"]
    assert rows["team-churn"]["stage_1_pr"] == "11" and rows["team-houses"]["stage_1_pr"] == "12"
    assert rows["team-churn"]["stage_1_report"].startswith(f"{server.url}/#/experiments/")
    assert all(rows[team][f"stage_{n}"] == "not attempted" for team in rows for n in range(2, 6))
    assert int(rows["team-churn"]["runs"]) > 0 and rows[IDLE]["runs"] == "0" and rows[IDLE]["last_activity"] == ""
    assert "Ada Lovelace 2" in rows["team-churn"]["contributors"]  # one commit, one co-authored
    assert "Grace Hopper 1" in rows["team-churn"]["contributors"]

    page = browser("--dump-dom", html_path.as_uri()).stdout if CHROMIUM else html_path.read_text()
    grid = {row[0]: row for row in cells(page)}
    assert grid["team-churn"][2].startswith("passed") and "PR #11" in grid["team-churn"][2]
    assert grid["team-houses"][2].startswith("failed") and grid[IDLE][2:7] == ["not attempted"] * 5

    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.strip("│ ").startswith("team-")}
    assert "passed" in lines["team-churn"] and "failed" in lines["team-houses"], table.stdout
    assert "not attempted" in lines[IDLE], table.stdout


@full
def test_a_team_sees_its_official_results_in_make_status(teams, recorded):
    repo = teams["team-churn"]  # its .env holds the team's login, which reads checkpoints/team-churn
    done = subprocess.run(
        [str(repo / ".venv" / "bin" / "capstone"), "status"],
        cwd=repo,
        env={**team_env(repo), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the course's record" in done.stdout, done.stdout
    [stage_one] = [line for line in done.stdout.splitlines() if line.split()[:2] == ["1", "data"]]
    assert "passed, " in stage_one and "PR #11" in stage_one and "not checked" in stage_one, done.stdout


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
