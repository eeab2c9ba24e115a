"""`capstone retrain` and `capstone rollback` (make retrain BATCH=K, make rollback): capstone.operations."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from capstone.config import ConfigError, find_root
from capstone.operations import rebuild_bento, roll_back, set_feed_batch


def _fail(message: str) -> None:
    print(f"ERROR: {message}", file=sys.stderr)
    raise typer.Exit(code=1)


def retrain_command(
    batch: Annotated[int, typer.Option("--batch", help="the delivery to retrain on (data.feed.batch)", min=1)],
) -> None:
    """Retrain on delivery K: set data.feed.batch in params.yaml and run the pipeline; the champion moves only
    when the new model beats it on the newest validation rows."""
    try:
        root = find_root()
        before = set_feed_batch(root / "params.yaml", batch)
    except ConfigError as problem:
        _fail(str(problem))
    print(f"params.yaml: data.feed.batch {before} -> {batch}. Running the pipeline (make pipeline) ...", flush=True)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "capstone.runner", str(bin_dir / "dvc"), "repro"], cwd=root, env=env)
    if done.returncode != 0:
        _fail(f"the pipeline failed on delivery {batch} (exit {done.returncode}); the lines above say where")
    print(
        "Retrained. reports/champion.json says whether the champion moved and why; commit params.yaml and "
        "dvc.lock, then make push (the new data version)."
    )


def rollback_command() -> None:
    """Roll the champion back to the version it replaced (MLflow alias), and rebuild the bento for it."""
    from capstone.config import load_params

    try:
        root = find_root()
        moved = roll_back(load_params(root))
    except ConfigError as problem:
        _fail(str(problem))
    print(
        f"{moved.name}: the champion alias moved from version {moved.from_version} back to {moved.to_version} "
        f"(run {moved.run_id}, commit {moved.git_sha}, data version {moved.data_version})."
    )
    print("Rebuilding the bento for it (dvc repro --force --single-item bento) ...", flush=True)
    if rebuild_bento(root) != 0:
        _fail("the bento could not be rebuilt; the alias has moved: run `dvc repro --force --single-item bento`")
    print(
        "Done: make serve serves the old champion. Its code and data: "
        f"`git switch -c rollback {moved.git_sha}` then `make pull`. A later make pipeline retrains from this "
        "commit's code and data, and register may promote the newer model again."
    )
