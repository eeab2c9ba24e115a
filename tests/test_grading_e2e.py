"""Full tier: the course's checkpoint jobs, run locally in order, each in its own process and environment.

The reusable workflow (.github/workflows/checkpoint.yml) runs these commands of the course's grader:

    job 1  capstone grade features   holds the secret, runs no team code
    job 2  capstone grade run        no secret; the team's code as an unprivileged user
    job 3  capstone grade score      holds the secret, runs no team code

Here they run in a baked reference repository, as root, with the team's code switched to the user
capstone-team (setpriv, as on a GitHub runner it is sudo). While job 2 runs, every process of that
user is scanned: its environment (/proc/<pid>/environ) never holds the secret. A team module tries
to overwrite the grader's kit, the lent kit and the report, and leaves a process behind; none of it
works, and the report shows the real result. A custom CSV's holdout URL with a token never appears
in a report, the job summary, stdout or stderr.
"""

import hashlib
import http.server
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from bakery import bake
from teamrepo import run, team_env

pytestmark = pytest.mark.full

TEAM_USER = "capstone-team"
SECRET = "mentors-only-7f3a9c"
TOKEN = "tok-5be2d1f0c9"
GRADER = Path(sys.executable).parent / "capstone"  # the course's grader: the template's own environment
PYTHONS = ("/usr/bin/python3.11", "/usr/local/bin/python3.11", "/usr/bin/python3.12")


def _team_python() -> str | None:
    """A Python the team user can run (the developer's own may live under /root, which it cannot enter)."""
    return next((path for path in PYTHONS if Path(path).is_file() and "/root" not in os.path.realpath(path)), None)


def _team_user() -> str | None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    try:
        pwd.getpwnam(TEAM_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", TEAM_USER], check=True)
    return TEAM_USER


@pytest.fixture(scope="module")
def sandbox_ready():
    python, user = _team_python(), _team_user()
    if python is None or user is None:
        pytest.skip("needs root, setpriv and a system Python the team user can run (/usr/bin/python3.11)")
    return python, user


@pytest.fixture(scope="module")
def place(sandbox_ready):
    """A folder every user can enter (pytest's own tmp folders are private to root), with uv in bin/."""
    folder = Path(tempfile.mkdtemp(prefix="capstone-grade-", dir="/tmp"))
    folder.chmod(0o755)
    (folder / "bin").mkdir(mode=0o755)
    uv = shutil.which("uv")
    real = (
        subprocess.run(["pyenv", "which", "uv"], capture_output=True, text=True).stdout.strip()
        if shutil.which("pyenv")
        else ""
    )
    shutil.copy(real or uv, folder / "bin" / "uv")
    (folder / "bin" / "uv").chmod(0o755)
    yield folder
    subprocess.run(["pkill", "-KILL", "-u", TEAM_USER], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def _grader_env(place: Path, python: str, **extra) -> dict[str, str]:
    """A grading job's environment: the runner's PATH (with uv), the tools quiet, and what the job adds."""
    env = {
        "PATH": f"{place / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "UV_PYTHON": python,
        "UV_OFFLINE": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "BENTOML_DO_NOT_TRACK": "true",
        "DVC_NO_ANALYTICS": "1",
    }
    env.update(extra)
    return env


def _grade(place: Path, python: str, *args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GRADER), "grade", *args],
        env=_grader_env(place, python, **env),
        capture_output=True,
        text=True,
        timeout=1200,
    )


class EnvironScanner(threading.Thread):
    """Reads the environment of every process of a user, as long as it runs."""

    def __init__(self, uid: int):
        super().__init__(daemon=True)
        self.uid, self.stop, self.seen, self.environs = uid, threading.Event(), set(), []

    def run(self):
        while not self.stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or entry.name in self.seen:
                    continue
                try:
                    if entry.stat().st_uid != self.uid:
                        continue
                    text = (entry / "environ").read_bytes()
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    continue
                self.seen.add(entry.name)
                self.environs.append((command.decode(errors="replace")[:200], text))
            time.sleep(0.02)


ATTACK = """
# --- planted by the test: what a hostile team module would try while the grader runs ---
import os as _os, subprocess as _subprocess, sys as _sys
from pathlib import Path as _Path


def _attempt(target, text):
    try:
        _Path(target).write_text(text)
        return "WROTE"
    except OSError as error:
        return type(error).__name__


_log = _Path(__file__).resolve().parents[3] / "attack.log"
with _log.open("a") as _out:
    for _target in {targets!r}:
        _out.write(f"{{_target}} {{_attempt(_target, 'forged')}}\\n")
# A process left behind, to forge the report once the grader has written it.
_subprocess.Popen(
    [_sys.executable, "-c", "import time, pathlib\\nfor _ in range(600):\\n    time.sleep(0.5)\\n"
     "    try: pathlib.Path({report!r}).write_text('{{\\"passed\\": true}}')\\n    except OSError: pass"],
    start_new_session=True, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL,
)
"""


@pytest.fixture(scope="module")
def graded(place, sandbox_ready, cc_config, pre_commit_home):
    """A reference churn repo graded at stage 4 by the three jobs, with an attack planted in the team's code."""
    python, user = sandbox_ready
    repo = bake(place, cc_config, dataset="churn", scaffold="reference", project_slug="graded-team")
    env = {**team_env(repo), "UV_PYTHON": python}
    subprocess.run(["make", "setup"], cwd=repo, env=env, check=True, capture_output=True, timeout=900)
    # As a team at stage 4 has it: the data versioned and pushed since stage 1 (grading adds up).
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", "rows: 5000"))
    for command in (["make", "pipeline"], ["git", "add", "-A", "."], ["git", "commit", "--no-verify", "-qm", "run"]):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True, timeout=900)
    subprocess.run(["make", "push"], cwd=repo, env=env, check=True, capture_output=True, timeout=300)
    for store in ("mlflow.db", "mlartifacts", ".bentoml"):  # a CI checkout has no local MLflow or BentoML store
        shutil.rmtree(repo / store, ignore_errors=True)
        (repo / store).unlink(missing_ok=True)
    out, work, holdout, final = place / "graded", place / "work", place / "holdout", place / "report"
    kit_file = Path(
        subprocess.run(
            [str(GRADER.parent / "python"), "-c", "import capstone.grading.grade as g; print(g.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    targets = [str(kit_file), str(work / "kit" / "capstone" / "grading" / "grade.py"), str(out / "checkpoint-4.json")]
    candidates = repo / "src" / "graded_team" / "models" / "candidates.py"
    candidates.write_text(
        candidates.read_text() + ATTACK.format(targets=targets, report=str(out / "checkpoint-4.json"))
    )
    subprocess.run(["git", "commit", "--no-verify", "-qam", "candidates"], cwd=repo, check=True)
    kit_before = hashlib.sha256(kit_file.read_bytes()).hexdigest()

    one = _grade(place, python, "features", "--team", str(repo), "--out", str(holdout), CAPSTONE_HOLDOUT_SEED=SECRET)
    assert one.returncode == 0, one.stdout + one.stderr

    scanner = EnvironScanner(pwd.getpwnam(user).pw_uid)
    scanner.start()
    # The grading job is given the secret and a token on purpose: the sandbox must keep both from the team.
    two = _grade(
        place,
        python,
        "run",
        "4",
        "--team",
        str(repo),
        "--out",
        str(out),
        "--work",
        str(work),
        "--as-user",
        user,
        "--holdout",
        str(holdout),
        "--no-setup",
        "--rows",
        "5000",
        "--kit-source",
        "git+https://example.org/course@v0",
        CAPSTONE_HOLDOUT_SEED=SECRET,
        GITHUB_TOKEN=TOKEN,
    )
    scanner.stop.set()
    scanner.join()
    report_after_job2 = (out / "checkpoint-4.json").read_text()

    three = _grade(
        place,
        python,
        "score",
        "4",
        "--team",
        str(repo),
        "--graded",
        str(out),
        "--out",
        str(final),
        CAPSTONE_HOLDOUT_SEED=SECRET,
    )
    return dict(
        repo=repo,
        python=python,
        env=env,
        out=out,
        final=final,
        holdout=holdout,
        work=work,
        jobs=(one, two, three),
        scanner=scanner,
        kit_file=kit_file,
        kit_before=kit_before,
        targets=targets,
        report_after_job2=report_after_job2,
    )


def test_the_three_jobs_grade_stage_4_with_the_secret_holdout(graded):
    one, two, three = graded["jobs"]
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-3000:]  # not final yet: job 3 decides
    report = json.loads((graded["final"] / "checkpoint-4.json").read_text())
    failing = {g["id"]: f"{g['measured']}: {g['detail'][:400]}" for g in report["gates"] if g["status"] == "failed"}
    assert three.returncode == 0, (three.stdout + three.stderr, failing)
    gate = next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")
    assert gate["status"] == "passed", gate
    assert report["holdout_secret"] is True
    assert report["meta"]["official"] is True
    assert "capstone-kit" in report["meta"]["grader"] and "example.org/course@v0" in report["meta"]["grader"]
    assert "unprivileged user capstone-team" in report["meta"]["team_code"]
    markdown = (graded["final"] / "checkpoint-4.md").read_text()
    assert "graded by capstone-kit" in markdown and "not secret" not in markdown
    assert "### Contributions" in markdown  # who changed what, from the checkout's git history


def test_the_score_is_the_one_capstone_check_gives_in_one_process(graded):
    repo = graded["repo"]
    # The local check runs the team's code in this (root) process: only stage 4's gates, which load models
    # but never call the team's candidates (where the attack is planted); stages 1-3 would.
    check = subprocess.run(
        [".venv/bin/capstone", "check", "4", "--this-stage-only"],
        cwd=repo,
        env={**graded["env"], "CAPSTONE_HOLDOUT_SEED": SECRET},
        capture_output=True,
        text=True,
        timeout=900,
    )
    local = json.loads((repo / "reports" / "checkpoint-4.json").read_text())
    official = json.loads((graded["final"] / "checkpoint-4.json").read_text())
    pick = lambda report: next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")  # noqa: E731
    assert pick(local)["measured"] == pick(official)["measured"], check.stdout[-2000:]
    assert "margin +" in pick(official)["measured"]


def test_the_answers_come_from_the_team_champion(graded):
    """The champion, loaded in the team's environment, answers the features exactly as job 2 recorded."""
    repo = graded["repo"]
    script = (
        "import json, sys, numpy as np, pandas as pd, mlflow.sklearn\n"
        "from capstone.config import load_params\n"
        "from capstone.dataset import load_schema\n"
        "from capstone.pipeline.splits import model_input\n"
        "params = load_params(__import__('pathlib').Path('.'))\n"
        "mlflow.set_tracking_uri('sqlite:///mlflow.db')\n"
        "model = mlflow.sklearn.load_model(f'models:/{params.mlflow.registered_model}@champion')\n"
        "frame = pd.read_parquet(sys.argv[1])\n"
        "X = model_input(frame, load_schema(params, __import__('pathlib').Path('.')))\n"
        "stored = np.load(sys.argv[2], allow_pickle=False)['champion.predict_proba']\n"
        "print(json.dumps(bool(np.allclose(model.predict_proba(X), stored))))\n"
    )
    done = subprocess.run(
        [
            ".venv/bin/python",
            "-c",
            script,
            str(graded["holdout"] / "holdout-features.parquet"),
            str(graded["out"] / "graded" / "holdout-answers.npz"),
        ],
        cwd=repo,
        env={**graded["env"], "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"},
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "true", done.stderr[-2000:]
    features = pd.read_parquet(graded["holdout"] / "holdout-features.parquet")
    assert "churned" not in features.columns  # job 2 never had the labels


def test_no_team_process_ever_had_the_secret_or_the_token(graded):
    scanner = graded["scanner"]
    commands = [command for command, _ in scanner.environs]
    assert len(commands) >= 5, commands  # make, dvc, the stages, the worker: the scan saw them run
    assert any("capstone.grading.worker" in command for command in commands), commands
    for command, environ in scanner.environs:
        assert SECRET.encode() not in environ, command
        assert TOKEN.encode() not in environ, command
        assert b"CAPSTONE_HOLDOUT" not in environ, command


def test_team_code_cannot_rewrite_the_grader_or_the_report(graded):
    attempts = (graded["repo"] / "attack.log").read_text().splitlines()
    assert attempts, "the planted module did not run"
    for line in attempts:
        target, result = line.rsplit(" ", 1)
        assert result != "WROTE", line
    assert hashlib.sha256(graded["kit_file"].read_bytes()).hexdigest() == graded["kit_before"]
    # The process left behind was stopped, so the report is the grader's, before and after job 3.
    report = json.loads((graded["out"] / "checkpoint-4.json").read_text())
    assert report == json.loads(graded["report_after_job2"])
    assert "process(es) the team's code left running were stopped" in report["meta"]["team_code"]
    time.sleep(1.5)
    assert json.loads((graded["out"] / "checkpoint-4.json").read_text()) == report
    leftover = subprocess.run(["pgrep", "-u", TEAM_USER], capture_output=True, text=True).stdout.split()
    assert leftover == []


def test_a_team_that_pins_another_kit_is_graded_by_the_course_kit_and_flagged(graded, place):
    """The report's warning names what the team's files pin; the grader's version is the course's."""
    repo = graded["repo"]
    project = repo / "pyproject.toml"
    original = project.read_text()
    try:
        project.write_text(re.sub(r"capstone-kit==[^\"]+", "capstone-kit==0.1.9", original, count=1))
        python = graded["python"]
        out = place / "graded-pinned"
        done = _grade(place, python, "run", "1", "--team", str(repo), "--out", str(out), "--no-setup", "--no-pipeline")
        report = json.loads((out / "checkpoint-1.json").read_text())
        assert "pyproject.toml pins capstone-kit 0.1.9" in report["meta"]["kit_mismatch"], done.stdout + done.stderr
        assert "The team pins another kit" in (out / "checkpoint-1.md").read_text()
        assert report["kit_version"] != "0.1.9"
    finally:
        project.write_text(original)


def test_a_team_pipeline_that_breaks_is_reported_as_not_finished_and_nothing_old_is_scored(graded, place):
    """Graded again into the same folder with a broken training: no old answer is scored, nothing blames the secret."""
    repo, python = graded["repo"], graded["python"]
    train = repo / "src" / "graded_team" / "models" / "train.py"
    original = train.read_text()
    try:
        train.write_text(original + "\nraise SystemExit('broken on purpose')\n")
        two = _grade(
            place,
            python,
            "run",
            "4",
            "--team",
            str(repo),
            "--out",
            str(graded["out"]),
            "--work",
            str(graded["work"]),
            "--as-user",
            TEAM_USER,
            "--holdout",
            str(graded["holdout"]),
            "--no-setup",
        )
        three = _grade(
            place,
            python,
            "score",
            "4",
            "--team",
            str(repo),
            "--graded",
            str(graded["out"]),
            "--out",
            str(place / "report-broken"),
            CAPSTONE_HOLDOUT_SEED=SECRET,
        )
    finally:
        train.write_text(original)
    assert two.returncode == 1 and three.returncode == 1, two.stdout[-2000:]
    report = json.loads((place / "report-broken" / "checkpoint-4.json").read_text())
    gate = next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")
    assert gate["measured"] == "not graded" and "make pipeline failed" in gate["detail"], gate
    assert report["holdout_secret"] is True
    markdown = (place / "report-broken" / "checkpoint-4.md").read_text()
    assert "The team's code did not finish" in markdown
    assert "do not match" not in markdown and "not secret" not in markdown
    assert not (graded["out"] / "graded" / "holdout-answers.npz").exists()


# --- custom_csv: the mentors' holdout file behind a URL with a token -----------------------------


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the server's log would print the URL: keep the test's output clean
        pass


@pytest.fixture(scope="module")
def holdout_server(place):
    folder = place / "served"
    folder.mkdir()
    handler = lambda *args, **kwargs: _Files(*args, directory=str(folder), **kwargs)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def custom_repo(place, sandbox_ready, cc_config, pre_commit_home):
    """A reference custom_csv repo (binary target), set up and through its pipeline; and its holdout rows."""
    python, _ = sandbox_ready
    repo = bake(place, cc_config, dataset="custom_csv", scaffold="reference", project_slug="own-data")
    env = {**team_env(repo), "UV_PYTHON": python}
    subprocess.run(["make", "setup"], cwd=repo, env=env, check=True, capture_output=True, timeout=900)
    source = place / "own.csv"
    run(
        repo,
        ".venv/bin/capstone",
        "data",
        "generate",
        "--domain",
        "churn",
        "--rows",
        "3000",
        "--no-defects",
        "--out",
        str(source),
    )
    frame = pd.read_csv(source).drop(columns=["retention_team_contacted", "customer_id"])
    frame.iloc[:2000].to_csv(repo / "data" / "external" / "data.csv", index=False)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace('target: ""', "target: churned"))
    subprocess.run(["make", "pipeline"], cwd=repo, env=env, check=True, capture_output=True, timeout=900)
    return repo, frame.iloc[2000:].reset_index(drop=True), env


def _scores_everywhere(place, python, repo, url, label):
    """Jobs 1-3 and the job summary for a custom_csv repo whose holdout is `url`; every text they produced."""
    holdout, out, final = place / f"h-{label}", place / f"g-{label}", place / f"r-{label}"
    secret = {"CAPSTONE_HOLDOUT_PATH": url}
    jobs = [
        _grade(place, python, "features", "--team", str(repo), "--out", str(holdout), **secret),
        _grade(
            place,
            python,
            "run",
            "4",
            "--team",
            str(repo),
            "--out",
            str(out),
            "--holdout",
            str(holdout),
            "--no-setup",
            "--no-pipeline",
        ),
        _grade(place, python, "score", "4", "--team", str(repo), "--graded", str(out), "--out", str(final), **secret),
    ]
    summary = place / f"summary-{label}.md"
    subprocess.run(
        [sys.executable, "-m", "capstone.checkpoints.ci", "summary", "--stage", "4", "--reports", str(final)],
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
        check=True,
    )
    texts = [job.stdout + job.stderr for job in jobs] + [summary.read_text()]
    for folder in (holdout, out, final, repo / "reports"):
        texts += [path.read_text(errors="replace") for path in folder.rglob("*") if path.suffix in (".md", ".json")]
    return jobs, texts, json.loads((final / "checkpoint-4.json").read_text())


def test_a_holdout_url_with_a_token_never_appears_anywhere(place, sandbox_ready, custom_repo, holdout_server):
    python, _ = sandbox_ready
    repo, rows, _ = custom_repo
    folder, base = holdout_server
    rows.to_csv(folder / "holdout.csv", index=False)
    url = f"{base}/holdout.csv?token={TOKEN}"
    jobs, texts, report = _scores_everywhere(place, python, repo, url, "good")
    gate = next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")
    assert gate["status"] == "passed", (gate, [job.stdout + job.stderr for job in jobs])
    assert report["holdout_secret"] is True
    for text in texts:
        assert TOKEN not in text and base not in text and "holdout.csv" not in text


@pytest.mark.parametrize(
    ("label", "broken", "said"),
    [
        ("missing", None, "the mentors' holdout cannot be"),
        ("unlabelled", "unlabelled", "rows without a label"),
        ("columns", "columns", "lacks columns of the team's data"),
    ],
)
def test_a_bad_holdout_is_the_mentors_problem_and_its_location_stays_secret(
    place, sandbox_ready, custom_repo, holdout_server, label, broken, said
):
    python, _ = sandbox_ready
    repo, rows, _ = custom_repo
    folder, base = holdout_server
    name = f"holdout-{label}.csv"
    if broken == "unlabelled":
        bad = rows.copy()
        bad.loc[:9, "churned"] = None
        bad.to_csv(folder / name, index=False)
    elif broken == "columns":
        rows.drop(columns=["plan", "region"]).to_csv(folder / name, index=False)
    url = f"{base}/{name}?token={TOKEN}"  # "missing": nothing is served there, a 404
    jobs, texts, report = _scores_everywhere(place, python, repo, url, label)
    gate = next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")
    assert gate["status"] == "mentor", gate  # the team's gate is not failed for the mentors' file
    assert said in gate["detail"], gate
    assert "mentors" in gate["detail"]
    for text in texts:
        assert TOKEN not in text and base not in text and name not in text


def test_without_a_mentors_file_the_team_split_stands_in_and_the_report_says_so(place, sandbox_ready, custom_repo):
    python, _ = sandbox_ready
    repo, _, _ = custom_repo
    jobs, _, report = _scores_everywhere(place, python, repo, "", "none")
    assert jobs[0].returncode == 0, jobs[0].stderr
    gate = next(g for g in report["gates"] if g["id"] == "champion-beats-baseline")
    assert gate["status"] in ("passed", "failed") and "holdout not secret" in gate["measured"], gate
    assert report["holdout_secret"] is False
