"""Pipeline stage `train`: tune every model family, log each as an MLflow run, pick the best.

    python -m <package>.models.train

For each candidate in candidates.py, one MLflow run:
- the model is a Pipeline: the feature pipeline (features/pipeline.py), then the estimator;
- RandomizedSearchCV tunes it on the training split (train.n_iter candidates, train.cv_folds
  folds, scored with train.metric) and refits the best candidate on the whole training split;
- it is scored on the validation split: valid_score (train.metric) plus named metrics;
- the run gets params, metrics, tags (tracking.run_tags), PNG plots, features.json, and the model,
  logged once with its signature, an input example and pinned pip requirements (tracking.log_model).
Writes reports/training.json (the runs, the best one and the baseline) for evaluate and register.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.feed.errors import FeedError
from capstone.hooks import HookError
from capstone.pipeline import tracking
from capstone.pipeline.runtime import calm_threads
from capstone.pipeline.stage import team_hooks

TRAINING_REPORT = Path("reports/training.json")
DEFAULTS = dict(seed=42, metric="auto", cv_folds=3, n_iter=6)
# The runs this checkout started and did not finish. A training stopped midway (the tracking server
# went down, Ctrl-C, a crash) cannot tell the server, so its run stays RUNNING there; the next
# training marks it FAILED. Only this checkout's own runs: a teammate's may really be running.
# In DVC's scratch folder, which git ignores.
UNFINISHED = Path(".dvc/tmp/unfinished-runs.json")


def run_stage() -> None:
    started = time.perf_counter()
    calm_threads()
    try:
        params = load_params(Path("."))
        schema = load_schema(params)
    except (ConfigError, FeedError) as problem:
        sys.exit(f"ERROR: {problem}")
    settings = {**DEFAULTS, **(params.model_extra.get("train") or {})}

    # Heavy imports after the cheap checks, so a configuration error is reported at once.
    from capstone.pipeline.scoring import metric_name
    from capstone.pipeline.splits import read_split

    metric = metric_name(settings["metric"], schema.task)
    X, y = read_split("train", schema)
    X_valid, y_valid = read_split("valid", schema)
    print(
        f"Training on {len(X)} rows, validating on {len(X_valid)}; task {schema.task}, metric {metric}",
        flush=True,
    )

    if schema.is_classification:
        check_labels(y, schema, int(settings["cv_folds"]))
    try:
        families = team_hooks(params).candidates(schema, settings, y)
    except HookError as problem:
        sys.exit(f"ERROR: {problem}")
    except ValueError as problem:
        sys.exit(f"ERROR: the model candidates (models/candidates.py, features/pipeline.py): {problem}")
    experiment_id = tracking.connect(params, create=True)
    fail_unfinished_runs()
    tags = tracking.run_tags(params)
    runs = []
    # The features are the same for every candidate of a search: caching their fit per fold
    # (joblib.Memory in a temporary folder) saves much of the search time.
    with tempfile.TemporaryDirectory(prefix="train-cache-") as cache:
        for candidate in families:
            runs.append(
                train_candidate(
                    candidate, schema, settings, metric, tags, (X, y, X_valid, y_valid), cache, params.project.package
                )
            )

    best = max(runs, key=lambda run: run["valid_score"])
    baselines = [run for run in runs if run["baseline"]]
    if not baselines:
        sys.exit("ERROR: models/candidates.py has no baseline (baseline=True); keep the dummy model")
    report = dict(
        metric=metric,
        experiment=params.mlflow.experiment,
        best_run_id=best["run_id"],
        baseline_run_id=baselines[0]["run_id"],
        runs=runs,
    )
    TRAINING_REPORT.parent.mkdir(parents=True, exist_ok=True)
    TRAINING_REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Best: {best['family']} (valid {metric} {best['valid_score']:.4f}, run {best['run_id']})")
    link = tracking.ui_link(f"experiments/{experiment_id}/runs/{best['run_id']}")
    if link:
        print(f"  {link}")
    print(f"Wrote {TRAINING_REPORT} in {time.perf_counter() - started:.1f} s")


def check_labels(y, schema, folds: int) -> None:
    """Stop on labels the task cannot train on; say which classes are too rare to learn."""
    from capstone.feed.custom_csv import seen_values

    counts = y.value_counts()
    if schema.task == "binary" and len(counts) > 2:
        sys.exit(
            f"ERROR: the task is binary but the training labels of {schema.target!r} hold {len(counts)} classes "
            f"({seen_values(y)}); map them to two in data/clean.py, or set data.custom_csv.task to multiclass"
        )
    rare = counts[counts < folds]
    if len(rare):
        print(
            f"train: {len(rare)} class(es) of {schema.target!r} have fewer training rows than the {folds} "
            f"cross-validation folds ({seen_values(y[y.isin(rare.index)])}): no model can learn them reliably; "
            "merge them into another class in data/clean.py, or bring more rows",
            flush=True,
        )


def train_candidate(candidate, schema, settings, metric, tags, data, cache, package: str) -> dict:
    """Tune, score and log one model family as one MLflow run; returns its line of training.json."""
    import mlflow
    from sklearn.pipeline import Pipeline

    from capstone.pipeline.scoring import named_metrics, score

    X, y, X_valid, y_valid = data
    started = time.perf_counter()
    # The feature pipeline ships inside the model: the served model takes the raw columns.
    pipeline = Pipeline([("features", candidate.features), ("model", candidate.model)])

    with mlflow.start_run(run_name=candidate.family) as run:
        note_unfinished(run.info.run_id, True)
        mlflow.set_tags({**tags, "family": candidate.family, "baseline": str(candidate.baseline).lower()})
        model, search = fit(pipeline, candidate, schema, settings, metric, X, y, cache)
        valid_score = score(model, X_valid, y_valid, metric)
        metrics = dict(valid_score=valid_score, fit_seconds=time.perf_counter() - started)
        metrics.update(
            (f"valid_{name}", value) for name, value in named_metrics(model, X_valid, y_valid, schema.task).items()
        )
        if search is not None:
            metrics["cv_score"] = float(search.best_score_)
        mlflow.log_metrics(metrics)
        mlflow.log_params(run_params(model, candidate, settings, metric, search, X))
        mlflow.log_dict(feature_report(model, schema), "features.json")
        log_plots(model, search, candidate.family, schema.task, metric, X_valid, y_valid)
        model_uri = tracking.log_model(model, X, package)
    note_unfinished(run.info.run_id, False)

    print(
        f"  {candidate.family:<24} valid {metric} {valid_score:.4f}"
        + (f" (cv {search.best_score_:.4f})" if search is not None else "")
        + f"  {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return dict(
        run_id=run.info.run_id,
        family=candidate.family,
        valid_score=valid_score,
        baseline=candidate.baseline,
        model_uri=model_uri,
    )


def note_unfinished(run_id: str, started: bool) -> None:
    """Add a run to UNFINISHED when it starts, take it off when it has ended well."""
    runs = json.loads(UNFINISHED.read_text(encoding="utf-8")) if UNFINISHED.is_file() else []
    runs = [*runs, run_id] if started else [known for known in runs if known != run_id]
    UNFINISHED.parent.mkdir(parents=True, exist_ok=True)
    UNFINISHED.write_text(json.dumps(runs), encoding="utf-8")


def fail_unfinished_runs() -> None:
    """Mark FAILED the runs of an earlier training of this checkout that was stopped midway."""
    if not UNFINISHED.is_file():
        return
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    for run_id in json.loads(UNFINISHED.read_text(encoding="utf-8")):
        try:
            if client.get_run(run_id).info.status == "RUNNING":
                client.set_terminated(run_id, status="FAILED")
                print(f"Run {run_id} is marked FAILED: the training that started it was stopped midway")
        except MlflowException:
            continue  # not in this tracking store (it changed since): nothing to mark
    UNFINISHED.unlink()


def fit(pipeline, candidate, schema, settings, metric, X, y, cache):
    """The tuned model and its search (None for a family without a search space)."""
    from sklearn.model_selection import KFold, RandomizedSearchCV, StratifiedKFold

    if not candidate.space:
        return pipeline.fit(X, y), None
    seed = int(settings["seed"])
    folds_class = StratifiedKFold if schema.is_classification else KFold
    folds = folds_class(n_splits=int(settings["cv_folds"]), shuffle=True, random_state=seed)
    space = dict((f"model__{name}", values) for name, values in candidate.space.items())
    search = RandomizedSearchCV(
        pipeline.set_params(memory=cache),
        space,
        n_iter=min(int(settings["n_iter"]), _grid_size(space)),
        scoring=metric,
        cv=folds,
        refit=True,
        random_state=seed,
    )
    search.fit(X, y)
    # The cache only served the search: the logged model must not point at a temporary folder.
    return search.best_estimator_.set_params(memory=None), search


def _grid_size(space: dict) -> int:
    """How many distinct candidates a space of lists holds (a distribution counts as endless)."""
    size = 1
    for values in space.values():
        if not isinstance(values, list):
            return sys.maxsize
        size *= len(values)
    return size


def run_params(model, candidate, settings, metric, search, X) -> dict:
    """The estimator's hyperparameters (the tuned values included) and the search settings."""
    estimator = model.named_steps["model"]
    values = dict(
        (name, value)
        for name, value in estimator.get_params().items()
        if value is None or isinstance(value, bool | int | float | str)
    )
    values.update(
        family=candidate.family,
        estimator=type(estimator).__name__,
        metric=metric,
        seed=settings["seed"],
        search="RandomizedSearchCV" if search is not None else "none",
        cv_folds=settings["cv_folds"] if search is not None else 0,
        n_candidates=len(search.cv_results_["params"]) if search is not None else 1,
        train_rows=len(X),
        input_columns=X.shape[1],
    )
    return values


def feature_report(model, schema) -> dict:
    """features.json: which columns go in, which are kept out, and the features the model sees."""
    try:
        engineered = [str(name) for name in model.named_steps["features"].get_feature_names_out()]
    except (AttributeError, ValueError):
        engineered = []  # a custom transformer without feature names
    return dict(
        input_columns=list(schema.feature_columns),
        numeric=list(schema.numeric),
        categorical=list(schema.categorical),
        dates=list(schema.dates),
        text=list(schema.text),
        not_used=dict(target=schema.target, id=schema.id_column, leaky=list(schema.leaky_columns)),
        engineered=engineered,
    )


def log_plots(model, search, family, task, metric, X_valid, y_valid) -> None:
    import mlflow

    from capstone.pipeline import plots

    if search is not None:
        mlflow.log_figure(plots.cv_scores(search.cv_results_, metric, family), "plots/cv_scores.png")
    title = f"{family}, validation split"
    if task == "regression":
        mlflow.log_figure(
            plots.predicted_vs_actual(y_valid, model.predict(X_valid), title),
            "plots/valid_predicted_vs_actual.png",
        )
        return
    if task == "binary":
        mlflow.log_figure(plots.roc_curves(model, X_valid, y_valid, title), "plots/valid_roc_curve.png")
    else:
        mlflow.log_figure(plots.confusion_matrix(model, X_valid, y_valid, title), "plots/valid_confusion_matrix.png")


def main() -> None:
    """Run the stage; a tracking server's refusal (down, wrong login, another team's model) in one line."""
    with tracking.explained():
        run_stage()


if __name__ == "__main__":
    main()
