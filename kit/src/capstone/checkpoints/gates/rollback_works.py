"""rollback-works (stage 6): the champion can go back to the version it replaced, with its code and data.

The checkpoint runs the rollback itself, in MLflow: it moves the `champion` alias to the previous
version (its tag previous_champion), loads the model through the alias and checks it answers as that
version does, then moves the alias back. Editing reports/champion.json or reports/bento.json changes
nothing it reads. It also checks that the old champion is recoverable: its run's commit (tag git_sha)
is in the repository's history, and a committed dvc.lock holds its data version (the commit after a
run is the one that records its data: `git log -p dvc.lock` finds it, `dvc checkout` brings it back).
"""

import subprocess

import numpy as np

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import predictions
from capstone.checkpoints.registry import Outcome, gate, one_thread
from capstone.checkpoints.text import failure
from capstone.operations import ALIAS, PREVIOUS, rolled_back_from

BRIEF = "docs/stages/6-operations.md"
EXPECTED = "the alias goes back and serves the old version; its commit and data version are recoverable"
ADVICE = dict(
    never=(
        "the champion (version {version}) replaced no earlier champion, so there is nothing to roll back to",
        "Retrain on a drifted delivery (`make retrain BATCH=2`) so that a new champion replaces the old one; "
        "then try `make rollback` (and retrain again to go forward).",
    ),
    rolled=(
        "the champion is version {version}, where a rollback left it, so it has no earlier version to go back to",
        "The drill runs on the retrained champion: go forward again with `make rollback UNDO=1`, then check again.",
    ),
    answers=(
        "after the alias moved back, the model it names does not answer as version {version} does",
        "The registry's versions must hold the models they were registered with: register models only "
        "through the pipeline (make pipeline), never by hand.",
    ),
    commit=(
        "the old champion's commit {sha} is not in this repository's history",
        "Keep the history of the commits a champion was trained at: do not rebase or squash them away "
        "(merge the pull requests instead), so that its code can be checked out again.",
    ),
    data=(
        "the old champion's data version {version} is in no committed dvc.lock",
        "Commit dvc.lock with every pipeline run that trains a champion, and `make push` its data.",
    ),
)


@gate("rollback-works")
@one_thread
def rollback_works(context, thresholds) -> Outcome:
    champion = context.champion
    earlier = champion.tags.get(PREVIOUS)
    name = context.params.mlflow.registered_model
    client = context.mlflow
    if not earlier:
        finding, advice = ADVICE["rolled" if rolled_back_from(client, name, champion.version) else "never"]
        return failure(finding.format(version=champion.version), advice, BRIEF, EXPECTED)
    rows = evidence.model_input(context, evidence.sample_rows(context, 200))
    wanted = predictions(context.load_model(f"models:/{name}/{earlier}"), rows, context.schema.task)
    client.set_registered_model_alias(name, ALIAS, earlier)
    try:
        served = predictions(context.load_model(f"models:/{name}@{ALIAS}"), rows, context.schema.task)
    finally:
        client.set_registered_model_alias(name, ALIAS, champion.version)
    if not np.allclose(served, wanted, equal_nan=True):
        finding, advice = ADVICE["answers"]
        return failure(finding.format(version=earlier), advice, BRIEF, EXPECTED)
    tags = client.get_run(client.get_model_version(name, earlier).run_id).data.tags
    sha, version = tags.get("git_sha", ""), tags.get("data_version", "")
    if not sha or not _is_commit(context.root, sha):
        finding, advice = ADVICE["commit"]
        return failure(finding.format(sha=sha or "(none)"), advice, BRIEF, EXPECTED)
    if not version or version not in _lock_history(context.root):
        finding, advice = ADVICE["data"]
        return failure(finding.format(version=version or "(none)"), advice, BRIEF, EXPECTED)
    measured = f"version {champion.version} -> {earlier} and back; commit {sha[:7]} and data {version[:8]} recoverable"
    return Outcome(True, measured, EXPECTED)


def _is_commit(root, sha: str) -> bool:
    done = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=root, capture_output=True, check=False)
    return done.returncode == 0


def _lock_history(root) -> str:
    """Every committed version of dvc.lock, as one text (git log -p)."""
    command = ["git", "log", "--all", "-p", "--format=", "--", "dvc.lock"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""
