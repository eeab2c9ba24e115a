"""What the cohort's tracking server costs a team: the same pipeline logging to the local sqlite store
and to the cohort server (MLflow + basic auth + PostgreSQL + proxied artifacts, on this machine).

    .venv/bin/python benchmarks/cohort_tracking.py [--rows 5000] [--scaffold reference] [--repeats 2]
    (make cohort-bench)

Bakes two identical team repos (same answers, same data), one with the default sqlite store and one
with mlflow_tracking_uri pointing at a throwaway cohort server (cohort/trial.py), and runs `make setup`
in both, and a first `make pipeline` in both (it also makes the data). Then, alternating which goes
first, it times the whole pipeline again (`dvc repro --force` through the
warm runner, as `make pipeline` does) and reads the seconds the MLflow-heavy stages report: train (one
run per model family: params, metrics, plots, the model) and evaluate (loads the model from MLflow, logs
test metrics and plots). register and bento (model version, alias, model import) count in the whole.
The difference is the tracking overhead.
The server shares the two cores with the pipeline here; on its own machine it would cost the team less.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE.parent / "cohort"))

from cookiecutter.main import cookiecutter  # noqa: E402
from teamrepo import TEMPLATE, run, team_env  # noqa: E402
from trial import trial_server  # noqa: E402

SERVER = TEMPLATE / "cohort" / "server.py"
# The lines the stages print at their end, e.g. "Wrote reports/training.json in 12.3 s".
STAGE_SECONDS = {
    "train": re.compile(r"Wrote reports/training\.json in ([\d.]+) s"),
    "evaluate": re.compile(r"Wrote metrics\.json and plots/ in ([\d.]+) s"),
}


def bake(work: Path, name: str, scaffold: str, uri: str) -> Path:
    config = work / "cc.yaml"
    config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(work / name),
            config_file=str(config),
            extra_context={"project_slug": "bench-team", "scaffold": scaffold, "mlflow_tracking_uri": uri},
        )
    )


def pipeline(repo: Path, first: bool) -> tuple[float, dict[str, float]]:
    """Seconds for the whole pipeline, and per stage where the stage reports it."""
    started = time.perf_counter()
    if first:
        done = run(repo, "make", "pipeline", timeout=1800)
    else:  # every stage again, through the same warm runner `make pipeline` uses, with .env as make reads it
        bin_dir = repo / ".venv" / "bin"
        command = [str(bin_dir / "python"), "-m", "capstone.runner", str(bin_dir / "dvc"), "repro", "--force"]
        env = {**team_env(repo), **dotenv(repo / ".env")}
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"dvc repro --force failed in {repo}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    stages = {name: float(pattern.findall(output)[-1]) for name, pattern in STAGE_SECONDS.items()}
    return seconds, stages


def dotenv(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows of the data feed's batch (default 5000)")
    parser.add_argument("--scaffold", default="reference", choices=["skeleton", "reference"])
    parser.add_argument("--repeats", type=int, default=2, help="timed pipelines per store (default 2)")
    parser.add_argument("--auth-cache-seconds", type=int, help="the server's setting (default: server.py's)")
    args = parser.parse_args()
    server_args = () if args.auth_cache_seconds is None else ("--auth-cache-seconds", str(args.auth_cache_seconds))

    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as scratch, trial_server(args=server_args) as server:
        work = Path(scratch)
        folder = work / "credentials"
        (work / "cohort.yaml").write_text("teams: [bench-team]\n")
        add = [sys.executable, str(SERVER), "add-teams", str(work / "cohort.yaml"), "--out", str(folder)]
        subprocess.run(add, env={**os.environ, **server.admin_env}, check=True, timeout=300)
        repos = {
            "sqlite": bake(work, "sqlite", args.scaffold, ""),
            "server": bake(work, "server", args.scaffold, server.url),
        }
        (repos["server"] / ".env").write_text((folder / "bench-team.env").read_text())
        for repo in repos.values():
            params = repo / "params.yaml"
            params.write_text(params.read_text().replace("rows: 20000", f"rows: {args.rows}"))
            run(repo, "git", "commit", "-qam", f"Use {args.rows} rows")
            run(repo, "make", "setup", timeout=1800)

        # The first `make pipeline` also makes the data and, for sqlite, the database: shown, not counted.
        for name, repo in repos.items():
            seconds, _ = pipeline(repo, first=True)
            print(f"  first make pipeline, {name:<6}: {seconds:6.1f} s", flush=True)
        results: dict[str, list[tuple[float, dict[str, float]]]] = {name: [] for name in repos}
        for repeat in range(args.repeats):
            order = list(repos) if repeat % 2 == 0 else list(reversed(repos))
            for name in order:
                seconds, stages = pipeline(repos[name], first=False)
                results[name].append((seconds, stages))
                print(
                    f"  run {repeat + 1}, {name:<6}: pipeline {seconds:6.1f} s, train {stages['train']:5.1f} s, "
                    f"evaluate {stages['evaluate']:5.1f} s",
                    flush=True,
                )

    settings = " ".join(server_args) or "default server settings"
    print(
        f"\n{args.scaffold} scaffold, {args.rows} rows, {args.repeats} forced pipelines per store, "
        f"{settings} (medians):\n"
    )
    print("| store | pipeline (s) | train stage (s) | evaluate stage (s) |")
    print("|---|---|---|---|")
    medians = {}
    for name, runs in results.items():
        whole = statistics.median(seconds for seconds, _ in runs)
        train = statistics.median(stages["train"] for _, stages in runs)
        evaluate = statistics.median(stages["evaluate"] for _, stages in runs)
        medians[name] = (whole, train, evaluate)
        label = "local sqlite (default)" if name == "sqlite" else "cohort server (PostgreSQL, basic auth)"
        print(f"| {label} | {whole:.1f} | {train:.1f} | {evaluate:.1f} |")
    extra = [server - local for server, local in zip(medians["server"], medians["sqlite"], strict=True)]
    print(
        f"\nOverhead of the server: {extra[0]:+.1f} s per pipeline ({extra[0] / medians['sqlite'][0]:+.0%}); "
        f"train {extra[1]:+.1f} s, evaluate {extra[2]:+.1f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
