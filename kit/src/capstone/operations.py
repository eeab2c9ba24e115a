"""Stage 6's operations: retrain on a new delivery, and roll the champion back.

    capstone retrain --batch K     # data.feed.batch: K in params.yaml, then the pipeline (make retrain BATCH=K)
    capstone rollback              # the champion alias back to the version it replaced (make rollback)

Retraining is the pipeline on the new delivery: DVC tracks the new raw data (dvc.lock), train logs
new runs, and register moves the `champion` alias only when the new model beats the current champion
on the same, newest validation rows (capstone.pipeline.register). The bento is rebuilt for the new
champion; the old one stays in the registry, tagged as the version the new one replaced.

Rollback moves the alias back to that version, tags the version it leaves `rolled_back` (register
does not promote it again by itself), and runs register and the stages after it again, so that
reports/champion.json, the bento and dvc.lock all name the old champion. It prints the commit and the
data version the old champion was trained on, to get them back (git and DVC keep both).
`capstone rollback --undo` goes forward again: the alias back to the rolled-back version.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from capstone.config import ConfigError, Params
from capstone.pipeline.register import ALIAS, PREVIOUS, ROLLED_BACK

FEED_BATCH = re.compile(r"(?m)^(  feed:\n(?:    .*\n)*?    batch:[ \t]*)(\d+)")


class OperationsError(ConfigError):
    """A retrain or a rollback that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Rollback:
    name: str
    from_version: str
    to_version: str
    run_id: str
    git_sha: str
    data_version: str


def previous_version(client, name: str) -> tuple[object, object]:
    """(the current champion, the version it replaced); OperationsError when there is none to go back to."""
    from mlflow.exceptions import MlflowException

    try:
        current = client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        raise OperationsError(f"model {name!r} has no {ALIAS} yet: run make pipeline first") from None
    earlier = current.tags.get(PREVIOUS)
    if not earlier:
        raise OperationsError(
            f"the {ALIAS} (version {current.version} of {name!r}) replaced no earlier champion, so there is nothing "
            "to roll back to; a retrain that promotes a new champion (make retrain BATCH=K) makes one"
        )
    return current, client.get_model_version(name, earlier)


def rolled_back_from(client, name: str, version: str) -> object | None:
    """The newest version that was rolled back to `version` (tagged rolled_back, previous_champion=version)."""
    found = [
        candidate
        for candidate in client.search_model_versions(f"name = '{name}'")
        if candidate.tags.get(ROLLED_BACK) and candidate.tags.get(PREVIOUS) == str(version)
    ]
    return max(found, key=lambda candidate: int(candidate.version), default=None)


def _client(params: Params):
    from mlflow import MlflowClient

    from capstone.pipeline import tracking

    tracking.connect(params)
    return MlflowClient()


def _moved(client, name: str, current, target) -> Rollback:
    tags = client.get_run(target.run_id).data.tags
    return Rollback(
        name,
        str(current.version),
        str(target.version),
        target.run_id,
        tags.get("git_sha", "unknown"),
        tags.get("data_version", "unknown"),
    )


def roll_back(params: Params) -> Rollback:
    """Move the champion alias to the version it replaced (MLflow); returns what moved where."""
    client = _client(params)
    name = params.mlflow.registered_model
    current, earlier = previous_version(client, name)
    client.set_registered_model_alias(name, ALIAS, earlier.version)
    client.set_model_version_tag(name, current.version, ROLLED_BACK, "true")
    return _moved(client, name, current, earlier)


def undo_rollback(params: Params) -> Rollback:
    """Move the champion alias forward again, to the version a rollback left; returns what moved where."""
    from mlflow.exceptions import MlflowException

    client = _client(params)
    name = params.mlflow.registered_model
    try:
        current = client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        raise OperationsError(f"model {name!r} has no {ALIAS} yet: run make pipeline first") from None
    later = rolled_back_from(client, name, current.version)
    if later is None:
        raise OperationsError(
            f"no rollback left the {ALIAS} (version {current.version} of {name!r}), so there is nothing to undo"
        )
    client.set_registered_model_alias(name, ALIAS, later.version)
    client.delete_model_version_tag(name, later.version, ROLLED_BACK)
    return _moved(client, name, current, later)


def set_feed_batch(params_path: Path, batch: int) -> int:
    """Write data.feed.batch: `batch` into params.yaml, comments kept; returns the batch it replaces."""
    text = params_path.read_text(encoding="utf-8")
    found = FEED_BATCH.search(text)
    if not found:
        raise OperationsError(f"{params_path} has no data.feed.batch to set; retrain works on the feed's deliveries")
    params_path.write_text(text[: found.start(2)] + str(batch) + text[found.end(2) :], encoding="utf-8")
    return int(found.group(2))


def run_pipeline(root: Path, *arguments: str) -> int:
    """`dvc repro ARGUMENTS` through the kit's warm runner, with this environment first on PATH (make pipeline)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-m", "capstone.runner", str(bin_dir / "dvc"), "repro", *arguments]
    return subprocess.run(command, cwd=root, env=env, check=False).returncode


REFRESH = ("--force", "--downstream", "register")  # register, bento and monitor again: the champion moved


def refresh_serving(root: Path) -> int:
    """Register and the stages after it again, after the alias moved by hand: champion.json, bento, dvc.lock."""
    return run_pipeline(root, *REFRESH)
