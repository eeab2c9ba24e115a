"""Shared fixtures of the kit's unit tests: a Context on a scratch repository, a fake team package,
small churn frames and hand-built scikit-learn models.

No bake, no `make setup`, no pipeline: each gate is called directly, on inputs built here. The
MLflow store (sqlite in a scratch folder) is built once per session, by the first test that needs
it; the stub service and the DVC repository live in the test modules that need them.
"""

import importlib
import itertools
import os
import sys
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from kitdata import (  # noqa: E402 (helpers the test modules import too)
    DATASET,
    MODEL,
    SHA,
    TRAIN_ROWS,
    VERSION,
    Store,
    feature_steps,
    fitted,
    log_model,
    params_document,
    spec_document,
)

_names = itertools.count(1)


# MLflow's settings as the session found them, before any fixture ran.
MLFLOW_SETTINGS = {name: value for name, value in os.environ.items() if name.startswith("MLFLOW_")}


@pytest.fixture(autouse=True)
def _mlflow_settings_kept():
    """After each test, MLflow's environment variables as the session found them.

    mlflow.set_tracking_uri (the session's MLflow store, for one) exports MLFLOW_TRACKING_URI, and
    every later subprocess of this worker would inherit it: a team repo's pipeline run by the
    template's tests on the same worker would then log into this store instead of its own.
    """
    yield
    for name in [name for name in os.environ if name.startswith("MLFLOW_")]:
        del os.environ[name]
    os.environ.update(MLFLOW_SETTINGS)


@pytest.fixture
def team_package(tmp_path_factory):
    """team_package({"data/clean.py": source, ...}) -> the name of a fresh importable team package.

    Each call makes a new package (team_1, team_2, ...) in a scratch folder on sys.path, with an
    __init__.py in every folder; it is forgotten (sys.modules, sys.path) after the test.
    """
    made = []

    def make(files: dict[str, str]) -> str:
        name = f"fake_team_{next(_names)}"
        base = tmp_path_factory.mktemp("team")
        package = base / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        for relative, source in files.items():
            path = package / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            for folder in path.relative_to(package).parents:
                init = package / folder / "__init__.py"
                if not init.exists():
                    init.write_text("")
            path.write_text(textwrap.dedent(source))
        sys.path.insert(0, str(base))
        importlib.invalidate_caches()
        made.append((name, str(base)))
        return name

    yield make
    for name, base in made:
        for module in [module for module in sys.modules if module == name or module.startswith(name + ".")]:
            del sys.modules[module]
        if base in sys.path:
            sys.path.remove(base)


@pytest.fixture
def make_context(tmp_path, monkeypatch):
    """make_context(package, root=None, hooks=None, dataset="churn", **params sections) -> a Context.

    The root is a scratch repository folder (tmp_path unless given), and the working directory, as
    `capstone check` makes it.
    """
    from capstone.checkpoints.context import Context
    from capstone.config import CapstoneSpec, Params

    contexts = []

    def make(package: str = "no_team_package", root: Path | None = None, hooks: dict | None = None, **sections):
        root = root or tmp_path
        monkeypatch.chdir(root)
        params = Params.model_validate(params_document(package, **sections))
        context = Context(root, params, CapstoneSpec.model_validate(spec_document(hooks)))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def schema():
    from capstone.config import Params
    from capstone.dataset import load_schema

    return load_schema(Params.model_validate(params_document("any")))


@pytest.fixture(scope="session")
def clean_rows():
    """2,000 clean churn rows (every column, the target included), as the holdout delivers them."""
    from capstone.feed import generate_batch

    frame, _ = generate_batch(DATASET, rows=2000, seed=7, batch=1, defects=False)
    return frame


@pytest.fixture
def holdout(clean_rows):
    """A public Holdout of clean churn rows (what the stage 3 and 4 gates score on)."""
    from capstone.checkpoints.holdout import Holdout

    return Holdout(clean_rows, False, "2000 test rows from the feed", "churned", "binary")


@pytest.fixture(scope="session")
def champion(schema, clean_rows):
    """A good champion: a Pipeline of feature steps and a logistic regression, fit on raw churn rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    model = Pipeline([("features", feature_steps(schema)), ("model", LogisticRegression(max_iter=300))])
    return fitted(model, clean_rows.iloc[:1000], schema)


# --- a small MLflow store ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def store(tmp_path_factory, champion, clean_rows, schema):
    """A sqlite MLflow store: a baseline run, the champion's run (registered, aliased `champion`) and
    two more families, every run tagged as the pipeline tags them (git_sha, data_version, family)."""
    import mlflow
    from capstone.pipeline.splits import model_input
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import Pipeline

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder}/mlflow.db"
    client = MlflowClient(uri)
    experiment = client.create_experiment("test-team", artifact_location=(folder / "artifacts").as_uri())
    mlflow.set_tracking_uri(uri)
    train = clean_rows.iloc[:TRAIN_ROWS]
    X, y = model_input(train, schema), train[schema.target]
    tags = dict(git_sha=SHA, data_version=VERSION, dataset="churn")

    def fit(estimator):
        return Pipeline([("features", feature_steps(schema)), ("model", estimator)]).fit(X, y)

    runs = {}
    for family, search, model in [
        ("dummy", "none", fit(DummyClassifier())),
        ("logistic", "RandomizedSearchCV", champion),
        ("forest", "RandomizedSearchCV", fit(RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0))),
        ("boosting", "none", fit(HistGradientBoostingClassifier(max_iter=3, random_state=0))),
    ]:
        with mlflow.start_run(experiment_id=experiment, run_name=family) as run:
            mlflow.set_tags({**tags, "family": family, "baseline": str(family == "dummy").lower()})
            mlflow.log_params(dict(search=search, train_rows=TRAIN_ROWS))
            if model is not None:
                runs[family] = (run.info.run_id, log_model(model, X))
    version = mlflow.register_model(runs["logistic"][1], MODEL)
    client.set_registered_model_alias(MODEL, "champion", version.version)
    return Store(uri, runs["logistic"][0], runs["dummy"][0])


def pytest_configure(config):
    # Known noise of MLflow's dependencies and of pandas 3 (see stack-notes): none is actionable here.
    for line in (
        "ignore::DeprecationWarning",
        "ignore::FutureWarning",
        "ignore:.*noload loader strategy.*",
        "ignore::UserWarning:mlflow",
    ):
        config.addinivalue_line("filterwarnings", line)
