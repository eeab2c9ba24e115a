"""`capstone retrain` and `capstone rollback` (make retrain BATCH=K, make rollback): capstone.operations."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from capstone.config import ConfigError, find_root
from capstone.operations import REFRESH, refresh_serving, roll_back, run_pipeline, set_feed_batch, undo_rollback
from capstone.pipeline.register import CHAMPION_REPORT


def _fail(message: str) -> None:
    print(f"ERROR: {message}", file=sys.stderr)
    raise typer.Exit(code=1)


def _register_verdict(root: Path) -> str:
    """What register decided, from reports/champion.json, in one sentence."""
    try:
        report = json.loads((root / CHAMPION_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{CHAMPION_REPORT} is missing; run make pipeline"
    version, champion = report.get("version"), report.get("champion_version")
    if report.get("promoted"):
        return f"version {version} is now the champion: {report.get('reason')}"
    if version == champion:
        return f"version {version} is the champion"
    return f"version {version} did not become the champion (version {champion} is): {report.get('reason')}"


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
    if before == batch:
        print(
            f"params.yaml: data.feed.batch is already {batch}. Running the pipeline (make pipeline): it reruns "
            "only what changed since.",
            flush=True,
        )
    else:
        print(f"params.yaml: data.feed.batch {before} -> {batch}. Running the pipeline (make pipeline) ...", flush=True)
    code = run_pipeline(root)
    if code != 0:
        _fail(f"the pipeline failed on delivery {batch} (exit {code}); the lines above say where")
    print(f"Register: {_register_verdict(root)}")
    print(
        "Commit the change with the pipeline's outputs (git add params.yaml dvc.lock metrics.json plots reports "
        "gx), then make push (the new data version). A running make serve still serves the model it started "
        "with: stop it and start it again."
    )


def rollback_command(
    undo: Annotated[
        bool, typer.Option("--undo", help="go forward again: the champion back to the version the rollback left")
    ] = False,
) -> None:
    """Roll the champion back to the version it replaced (MLflow alias), and rebuild the bento for it."""
    from capstone.config import load_params

    try:
        root = find_root()
        params = load_params(root)
        moved = undo_rollback(params) if undo else roll_back(params)
    except ConfigError as problem:
        _fail(str(problem))
    direction = "forward" if undo else "back"
    print(
        f"{moved.name}: the champion alias moved {direction} from version {moved.from_version} to "
        f"{moved.to_version} (run {moved.run_id}, commit {moved.git_sha}, data version {moved.data_version})."
    )
    print(f"Register, the bento and the monitor again for it (dvc repro {' '.join(REFRESH)}) ...", flush=True)
    if refresh_serving(root) != 0:
        _fail(
            "the bento could not be rebuilt, though the alias has moved; fix what the lines above say, then run "
            f".venv/bin/dvc repro {' '.join(REFRESH)}"
        )
    print(f"Register: {_register_verdict(root)}")
    done = "Done: commit dvc.lock and reports/; restart make serve to serve version " + moved.to_version + "."
    if undo:
        print(done)
        return
    print(
        f"{done} Its code and data: `git switch -c rollback {moved.git_sha}` then `make pull`. Version "
        f"{moved.from_version} is tagged rolled_back: register will not promote it again by itself; "
        "make rollback UNDO=1 serves it again, and a retrain on newer data may promote a newer model."
    )
