"""`make demo`: bake a team repo with the default answers, run its whole pipeline, serve the model
and answer one prediction. Everything happens in a new temporary folder, offline.

    python scripts/demo.py [--rows N]     N rows in the delivered batch (default: params.yaml's 20 000)
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter
from teamrepo import SNAPSHOTS, http, served, team_env, template_snapshot

EXAMPLE_REQUEST = Path("reports/example_request.json")


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def make(repo: Path, target: str, log: Path) -> None:
    """Run a make target of the team repo; its output (uv's package list, DVC's and MLflow's lines) goes to `log`."""
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ make {target}\n")
        out.flush()
        done = subprocess.run(["make", target], cwd=repo, env=team_env(repo), stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(f"    | {line}" for line in tail), file=sys.stderr)
        raise subprocess.CalledProcessError(done.returncode, ["make", target])
    print(f"    (make {target}: {time.monotonic() - started:.0f} s)", flush=True)


def main(work: Path | None = None, rows: int | None = None) -> int:
    work = work or Path(tempfile.mkdtemp(prefix="ml-capstone-demo-"))
    config = work / "cookiecutter-config.yaml"
    config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
    step(f"Baking a team repository with the default answers into {work}")
    repo = Path(cookiecutter(str(template_snapshot()), no_input=True, output_dir=str(work), config_file=str(config)))
    if rows:
        params = repo / "params.yaml"
        params.write_text(params.read_text().replace("rows: 20000", f"rows: {rows}"))
    log = work / "demo.log"
    print(f"    (the commands' own output goes to {log})")
    try:
        step("make setup: uv installs the locked ML stack into .venv")
        make(repo, "setup", log)
        step(
            "make pipeline: dvc repro runs ingest → explore → validate_raw → clean → validate_clean → split → "
            "train → evaluate → register → model_card → bento → monitor"
        )
        make(repo, "pipeline", log)
        step("Serving the champion with BentoML on 127.0.0.1")
        request = (repo / EXAMPLE_REQUEST).read_text()
        with served(repo) as url:
            endpoint = f"{url}/predict"
            status, answer = http("POST", endpoint, request.encode())
            print(f"POST {endpoint}\n{request.strip()}\n\n-> {status}\n{json.dumps(json.loads(answer), indent=2)}")
        step("Where to look next")
        print(f"  team repository:  {repo}")
        print(f"  MLflow UI:        make -C {repo} mlflow-ui   (then http://127.0.0.1:5000)")
        print(f"  Data Docs:        {repo / 'gx/uncommitted/data_docs/local_site/index.html'}")
        print(f"  metrics:          {repo / 'metrics.json'}; plots in {repo / 'plots'}")
        print(f"  model card:       {repo / 'reports/model_card.md'}")
        print(f"  the commands' log: {log}")
        print(f"  when done:        rm -rf {work}")
        print(f"  (it baked from a snapshot of this template in {SNAPSHOTS}/, deleted after a day unused)")
        return 0 if status == 200 else 1
    except subprocess.CalledProcessError as failure:
        print(
            f"ERROR: {' '.join(map(str, failure.cmd))} failed in {repo}; the end of its output is above, "
            f"all of it in {log}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="rows in the delivered batch (default 20 000)")
    sys.exit(main(rows=parser.parse_args().rows))
