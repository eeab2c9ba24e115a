"""How long `capstone cohort status` (the gradebook) takes for a cohort of N teams on the cohort server.

    .venv/bin/python benchmarks/cohort_gradebook.py [--teams 100] [--runs 20] [--repeats 3] [--html out.html]
    (make gradebook-bench)

Starts a throwaway cohort server (PostgreSQL + MLflow with basic auth, cohort/trial.py), gives N teams and
one mentor their logins with the real `add-teams`, then fills it as a course would: each team logs
`--runs` runs of its own (params and metrics, as a pipeline's train stage), and the course's grader
records its checkpoints with each team's own grader login (capstone.grading.record): a spread of
stages 1-5, some failing first, some never checked. Then it times the gradebook as a mentor reads
it, in each format, and prints the medians. Nothing here is timed inside a test.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cohort"))
from trial import trial_server  # noqa: E402

# MLflow's client prints a "View run" line per run: not wanted a few thousand times.
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")

SERVER = HERE.parent / "cohort" / "server.py"
CAPSTONE = Path(sys.executable).parent / "capstone"


def dotenv(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def fill(url: str, teams: list[str], credentials: Path, runs: int, seed: int = 7) -> int:
    """Team runs with each team's login, checkpoints with each team's grader login; returns checkpoints recorded."""
    from capstone.grading.record import Login, record
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    chance = random.Random(seed)
    client, recorded = MlflowClient(url), 0
    for number, team in enumerate(teams):
        login = dotenv(credentials / f"{team}.env")
        os.environ.update(
            MLFLOW_TRACKING_USERNAME=login["MLFLOW_TRACKING_USERNAME"],
            MLFLOW_TRACKING_PASSWORD=login["MLFLOW_TRACKING_PASSWORD"],
        )
        experiment = client.get_experiment_by_name(team).experiment_id
        for index in range(runs):
            run = client.create_run(experiment, run_name=f"candidate-{index}")
            now = int(time.time() * 1000)
            params = [Param("model", chance.choice(["logreg", "forest", "boosting"])), Param("C", str(index))]
            metrics = [Metric(name, chance.random(), now, 0) for name in ("valid_roc_auc", "valid_f1", "fit_seconds")]
            client.log_batch(run.info.run_id, metrics=metrics, params=params)
            client.set_terminated(run.info.run_id)
        grader = dotenv(credentials / f"grader.{team}.env")
        reached = number % 6  # 0: never checked ... 5: all five stages
        for stage in range(1, reached + 1):
            for passed in [False, True] if chance.random() < 0.3 else [True]:
                folder = Path(tempfile.mkdtemp(prefix="report-"))
                gates = [{"id": "g", "blocking": True, "status": "passed" if passed else "failed"}]
                if stage == 4:
                    values = {"metric": "roc_auc", "champion": 0.8 + chance.random() / 10, "baseline": 0.5}
                    gates.append(
                        {"id": "champion-beats-baseline", "blocking": True, "status": "passed", "values": values}
                    )
                report = {"stage": stage, "passed": passed, "kit_version": "bench", "gates": gates}
                report["meta"] = {"team": team, "official": True, "contributors": {"Ada": 4, "Grace": 3}}
                (folder / f"checkpoint-{stage}.json").write_text(json.dumps(report))
                (folder / f"checkpoint-{stage}.md").write_text(f"# Checkpoint {stage}\n")
                login = Login(url, grader["CAPSTONE_RESULTS_USERNAME"], grader["CAPSTONE_RESULTS_PASSWORD"])
                record(login, folder, stage, commit=f"{number:07x}", pr=str(stage))
                recorded += 1
    return recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20, help="runs each team logs itself")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--html", type=Path, help="keep the HTML gradebook here")
    parser.add_argument("--show", action="store_true", help="print the terminal table once")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    teams = [f"team-{number:03d}" for number in range(1, args.teams + 1)]
    with tempfile.TemporaryDirectory(prefix="gradebook-bench-") as scratch, trial_server() as server:
        work = Path(scratch)
        cohort = work / "cohort.yaml"
        cohort.write_text(json.dumps({"server": server.url, "teams": teams, "mentors": ["mentor-ada"]}))
        started = time.perf_counter()
        env = {**os.environ, **server.admin_env}
        done = subprocess.run(
            [sys.executable, str(SERVER), "add-teams", str(cohort), "--out", str(work / "credentials")],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        print(f"add-teams: {len(teams)} teams, {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        recorded = fill(server.url, teams, work / "credentials", args.runs)
        took = time.perf_counter() - started
        print(f"filled: {len(teams) * args.runs} team runs, {recorded} checkpoints in {took:.0f} s", flush=True)
        mentor = dotenv(work / "credentials" / "mentor-ada.env")
        env = {**os.environ, **mentor, "COLUMNS": "200"}
        for form in ("table", "csv", "html"):
            seconds = []
            for _ in range(args.repeats):
                out = work / f"gradebook.{form}"
                command = [str(CAPSTONE), "cohort", "status", str(cohort), "--format", form]
                command += [] if form == "table" else ["--output", str(out)]
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                seconds.append(time.perf_counter() - started)
                if done.returncode:
                    sys.exit(done.stdout + done.stderr)
            print(
                f"cohort status --format {form}: median {statistics.median(seconds):.1f} s "
                f"({', '.join(f'{s:.1f}' for s in seconds)}), {len(teams)} teams",
                flush=True,
            )
        if args.show:
            shown = subprocess.run(
                [str(CAPSTONE), "cohort", "status", str(cohort)], env=env, capture_output=True, text=True
            )
            print(shown.stdout)
        if args.html:
            args.html.write_text((work / "gradebook.html").read_text())
            print(f"kept {args.html}")
        load = os.getloadavg()[0]
        print(f"1-minute load average at the end: {load:.1f} (2 cores)")


if __name__ == "__main__":
    main()
