"""Stage 6's operations: retrain on a new delivery, and roll the champion back.

    capstone retrain --batch K     # data.feed.batch: K in params.yaml, then the pipeline (make retrain BATCH=K)
    capstone rollback              # the champion alias back to the version it replaced (make rollback)

Retraining is the pipeline on the new delivery: DVC tracks the new raw data (dvc.lock), train logs
new runs, and register moves the `champion` alias only when the new model beats the current champion
on the same, newest validation rows (capstone.pipeline.register). The bento is rebuilt for the new
champion; the old one stays in the registry, tagged as the version the new one replaced.

Rollback moves the alias back to that version and rebuilds the bento for it. It prints the commit
and the data version the old champion was trained on, to get them back (git and DVC keep both).
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from capstone.config import ConfigError, Params

ALIAS = "champion"
PREVIOUS = "previous_champion"  # the model version tag register sets (capstone.pipeline.register)
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


def roll_back(params: Params) -> Rollback:
    """Move the champion alias to the version it replaced (MLflow); returns what moved where."""
    from mlflow import MlflowClient

    from capstone.pipeline import tracking

    tracking.connect(params)
    client = MlflowClient()
    name = params.mlflow.registered_model
    current, earlier = previous_version(client, name)
    client.set_registered_model_alias(name, ALIAS, earlier.version)
    client.set_model_version_tag(name, current.version, "rolled_back", "true")
    tags = client.get_run(earlier.run_id).data.tags
    return Rollback(
        name,
        str(current.version),
        str(earlier.version),
        earlier.run_id,
        tags.get("git_sha", "unknown"),
        tags.get("data_version", "unknown"),
    )


def set_feed_batch(params_path: Path, batch: int) -> int:
    """Write data.feed.batch: `batch` into params.yaml, comments kept; returns the batch it replaces."""
    text = params_path.read_text(encoding="utf-8")
    found = FEED_BATCH.search(text)
    if not found:
        raise OperationsError(f"{params_path} has no data.feed.batch to set; retrain works on the feed's deliveries")
    params_path.write_text(text[: found.start(2)] + str(batch) + text[found.end(2) :], encoding="utf-8")
    return int(found.group(2))


def rebuild_bento(root: Path) -> int:
    """The bento stage again (its inputs did not change, the champion did): dvc repro --force."""
    dvc = Path(sys.executable).with_name("dvc")
    return subprocess.run([str(dvc), "repro", "--force", "--single-item", "bento"], cwd=root, check=False).returncode
