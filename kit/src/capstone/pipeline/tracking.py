"""MLflow: where the runs go, the provenance tags every training run carries, and logging a model.

Where the runs go: MLFLOW_TRACKING_URI when set (for example in .env, for a cohort's shared
server), otherwise mlflow.tracking_uri from params.yaml (sqlite:///mlflow.db by default).
The tags answer a mentor's first questions about a run: which code (git_sha, dirty, branch, pr_number),
which data (data_version, dataset) and which scaffold produced it.
Everything here works without git, without dvc.lock and outside CI: a missing value is "unknown".
With a tracking server, `explained()` turns its three usual refusals (unreachable, wrong login,
another team's experiment) into one line that says what to fix.
"""

import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import warnings
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

UNKNOWN = "unknown"
# Types skops does not trust by default but that the train stage creates itself, each reviewed: a fitted
# SimpleImputer keeps a numpy dtype; tree models keep their nodes in Tree / TreePredictor (skops
# flags them because a forged file could make predict read out of bounds: ours are not forged);
# gradient boosting with categorical features keeps a functools.partial of sklearn's check_array.
# A new model family may need one more here: log_model's error names it.
REVIEWED_TYPES = (
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "functools.partial",
    "sklearn.utils.validation.check_array",
)

# The packages the logged model needs at prediction time, pinned to the installed versions.
MODEL_PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "skops")


def quiet() -> None:
    """Nothing phones home, even when a stage is run by hand instead of through make; less noise."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # The model's requirements are pinned explicitly (pip_requirements), so MLflow need not look
    # for uv.lock; it only logged a line about it.
    os.environ.setdefault("MLFLOW_UV_AUTO_DETECT", "false")
    # "Failed to resolve installed pip version": uv environments have no pip, and models need none.
    logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)
    # Known warnings from MLflow's dependencies with pandas 3 and SQLAlchemy 2.1: none is actionable.
    for category in (FutureWarning, DeprecationWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=r"mlflow(\.|$)")
    warnings.filterwarnings("ignore", message=r".*noload loader strategy.*")


def tracking_uri(params) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or params.mlflow.tracking_uri


# What connect() was pointed at, for the error messages of explained().
_target = dict(uri="", experiment="", model="")


def connect(params, create: bool = False) -> str:
    """Point MLflow at the tracking store; with create=True make sure the experiment exists.

    Returns the experiment id ("" when create is False). With a local store (sqlite or a folder)
    the experiment's artifacts go to the absolute path of mlflow.artifact_root, not to the
    current directory, so every stage finds them wherever it runs from.
    """
    quiet()
    import mlflow

    uri = tracking_uri(params)
    _target.update(uri=uri, experiment=params.mlflow.experiment, model=params.mlflow.registered_model)
    if uri.startswith(("http://", "https://")):
        check_reachable(uri)
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


def check_reachable(uri: str) -> None:
    """Stop in seconds, with one line, when the server is down: MLflow's client retries for minutes first."""
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=15) as response:
            response.read()
    except urllib.error.HTTPError:
        return  # it answers: the API calls will tell the rest
    except (urllib.error.URLError, OSError) as problem:
        sys.exit(_unreachable(uri, getattr(problem, "reason", None) or problem))


@contextmanager
def explained():
    """Turn the tracking server's usual refusals into one line (what, where, what to do), then detail.

    The stages wrap their main() in it: `with tracking.explained(): main()`.
    """
    try:
        yield
    except Exception as problem:
        from mlflow.exceptions import MlflowException

        if not isinstance(problem, MlflowException):
            raise
        uri, user = _target["uri"] or mlflow_uri(), os.environ.get("MLFLOW_TRACKING_USERNAME")
        status, detail = problem.get_http_status_code(), str(problem).strip().splitlines()[0]
        if status == 401 and user:
            line = (
                f"the MLflow server at {uri} refused the login of user '{user}' (401: wrong user name "
                "or password); check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in .env"
            )
        elif status == 401:
            line = (
                f"the MLflow server at {uri} asks for a login (401) and none is set; put "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in .env (see .env.example)"
            )
        elif status == 403:
            experiment, model = _target["experiment"], _target["model"]
            line = (
                f"user '{user}' may not use experiment '{experiment}' or model '{model}' on the MLflow "
                f"server at {uri} (403: permission denied); they belong to another team: check "
                "mlflow.experiment and mlflow.registered_model in params.yaml and the user in .env"
            )
        elif "Max retries exceeded" in detail or "Connection refused" in detail:
            sys.exit(f"{_unreachable(uri, 'the connection broke off')}\n{detail}")
        else:
            raise
        sys.exit(f"ERROR: {line}\n{detail}")


def _unreachable(uri: str, reason) -> str:
    return (
        f"ERROR: cannot reach the MLflow server at {uri} ({reason}); is it running, and is "
        "MLFLOW_TRACKING_URI (.env) or mlflow.tracking_uri (params.yaml) right?"
    )


def mlflow_uri() -> str:
    import mlflow

    return mlflow.get_tracking_uri()


def ui_link(page: str) -> str:
    """A page of the tracking server's MLflow UI ("" for a local store: browse it with make mlflow-ui).

    Pages: f"experiments/{experiment_id}/runs/{run_id}", f"models/{name}/versions/{version}".
    """
    uri = _target["uri"]
    if not uri.startswith(("http://", "https://")):
        return ""
    return f"{uri.rstrip('/')}/#/{page}"


def log_model(model, X, package: str) -> str:
    """Log the whole Pipeline once, with what a server needs to call it correctly; returns its URI."""
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.types.schema import ColSpec, Schema

    # The input schema straight from the column types (numbers are float64, the rest text), every
    # column optional: the pipeline imputes a missing value. Cheaper than inferring it from all rows.
    inputs = Schema(
        [
            ColSpec(type="double" if X[name].dtype.kind == "f" else "string", name=str(name), required=False)
            for name in X.columns
        ]
    )
    signature = infer_signature(X.head(20), model.predict(X.head(20)))
    signature.inputs = inputs
    complete = X.dropna()
    example = (complete if len(complete) else X).head(3)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=signature,
        input_example=example,
        pip_requirements=pip_requirements(),
        skops_trusted_types=trusted_types(model, package),
    )
    return info.model_uri


def trusted_types(model, package: str) -> list[str]:
    """The types skops must be told to trust to load the model: REVIEWED_TYPES and the team's `package`.

    MLflow saves scikit-learn models with skops, which loads only the types it trusts. The team's own
    functions and classes inside the model (such as the date features in features/pipeline.py) are
    found here and trusted: this stage wrote them.
    """
    own = package + "."
    found = set(REVIEWED_TYPES)
    for value in model.get_params(deep=True).values():
        # A function or class given as a parameter (FunctionTransformer's func), else the object's class.
        is_code = isinstance(value, type) or (callable(value) and not hasattr(value, "get_params"))
        kind = value if is_code else type(value)
        module = getattr(kind, "__module__", "") or ""
        if module.startswith(own):
            found.add(f"{module}.{kind.__qualname__}")
    return sorted(found)


def run_tags(params, root: Path = Path(".")) -> dict[str, str]:
    """Provenance for a run: code, data, dataset, scaffold and the pull request (in CI)."""
    tags = dict(
        git_sha=_git(root, "rev-parse", "HEAD"),
        # Uncommitted changes to the code: the run is not the commit's (capstone.checkpoints.commits).
        dirty=_dirty(root),
        branch=_branch(root),
        data_version=data_version(root),
        dataset=params.data.dataset,
        scaffold=params.project.scaffold,
    )
    pr = pr_number()
    if pr:
        tags["pr_number"] = pr
    return tags


def _dirty(root: Path) -> str:
    """ "true" when src/ has uncommitted changes (edited, new or deleted files), "false" when not."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    if done.returncode != 0:
        return UNKNOWN
    return "true" if done.stdout.strip() else "false"


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
