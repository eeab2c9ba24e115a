"""MLflow setup and the provenance tags every training run carries.

Where the runs go: MLFLOW_TRACKING_URI when set (for example in .env, for a cohort's shared
server), otherwise mlflow.tracking_uri from params.yaml (sqlite:///mlflow.db by default).
The tags answer a mentor's first questions about a run: which code (git_sha, branch, pr_number),
which data (data_version, dataset) and which scaffold produced it.
Everything here works without git, without dvc.lock and outside CI: a missing value is "unknown".
"""

import logging
import os
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

UNKNOWN = "unknown"
# The packages the logged model needs at prediction time, pinned to the installed versions.
MODEL_PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "skops")


def quiet_telemetry() -> None:
    """Nothing phones home, even when a stage is run by hand instead of through make; less noise."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # The model's requirements are pinned explicitly (pip_requirements), so MLflow need not look
    # for uv.lock; it only logged a line about it.
    os.environ.setdefault("MLFLOW_UV_AUTO_DETECT", "false")
    # "Failed to resolve installed pip version": uv environments have no pip, and models need none.
    logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)


def tracking_uri(params) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or params.mlflow.tracking_uri


def connect(params, create: bool = False) -> str:
    """Point MLflow at the tracking store; with create=True make sure the experiment exists.

    Returns the experiment id ("" when create is False). With a local store (sqlite or a folder)
    the experiment's artifacts go to the absolute path of mlflow.artifact_root, not to the
    current directory, so every stage finds them wherever it runs from.
    """
    quiet_telemetry()
    import mlflow

    uri = tracking_uri(params)
    mlflow.set_tracking_uri(uri)
    if not create:
        return ""
    name = params.mlflow.experiment
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        local = uri.startswith(("sqlite:", "file:")) or "://" not in uri
        location = Path(params.mlflow.artifact_root).resolve().as_uri() if local else None
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def run_tags(params, root: Path = Path(".")) -> dict[str, str]:
    """Provenance for a run: code, data, dataset, scaffold and the pull request (in CI)."""
    tags = dict(
        git_sha=_git(root, "rev-parse", "HEAD"),
        branch=_branch(root),
        data_version=data_version(root),
        dataset=params.data.dataset,
        scaffold=params.project.scaffold,
    )
    pr = pr_number()
    if pr:
        tags["pr_number"] = pr
    return tags


def data_version(root: Path = Path(".")) -> str:
    """The md5 DVC recorded for the ingest stage's data/raw output in dvc.lock."""
    lock = root / "dvc.lock"
    try:
        stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
        outs = stages.get("ingest", {}).get("outs", [])
    except (OSError, yaml.YAMLError, AttributeError):
        return UNKNOWN
    for out in outs:
        if isinstance(out, dict) and out.get("path") == "data/raw" and out.get("md5"):
            return str(out["md5"])
    return UNKNOWN


def pr_number() -> str:
    """The pull request number when CI runs for one (GitHub: GITHUB_REF=refs/pull/<n>/merge)."""
    match = re.fullmatch(r"refs/pull/(\d+)/(merge|head)", os.environ.get("GITHUB_REF", ""))
    if match:
        return match.group(1)
    return os.environ.get("PR_NUMBER", "").strip()


def pip_requirements() -> list[str]:
    """Pins for the logged model. Given explicitly, MLflow skips inferring them (about 10 s)."""
    pins = []
    for package in MODEL_PACKAGES:
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    return pins


def _branch(root: Path) -> str:
    # In CI the checkout is a detached HEAD: GitHub names the branch in the environment.
    for variable in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
        value = os.environ.get(variable, "").strip()
        if value and not value.endswith("/merge"):
            return value
    return _git(root, "rev-parse", "--abbrev-ref", "HEAD")


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else UNKNOWN
