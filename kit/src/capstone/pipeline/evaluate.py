"""Pipeline stage `evaluate`: the best run's model on the test split, once.

    python -m <package>.models.evaluate

Writes metrics.json (DVC metrics: the test and validation scores, per-class metrics for a
multiclass task; with params.yaml evaluate.costs the decision threshold that costs least, and with
evaluate.slices the test score by segment: capstone.pipeline.decisions) and PNG plots in plots/:
confusion matrix, ROC, precision-recall and (binary) calibration curves for classification;
predicted vs actual and residuals for regression; permutation importance of the input columns for
both. The plots and test metrics are also logged to the best run in MLflow.
The test split is used here only: choosing between models happens on the validation split.
"""

import json
import shutil
import sys
import time
from pathlib import Path

from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.feed.errors import FeedError
from capstone.pipeline import tracking
from capstone.pipeline.runtime import calm_threads

TRAINING_REPORT = Path("reports/training.json")
METRICS = Path("metrics.json")
PLOTS = Path("plots")
# Permutation importance re-scores the model once per column and repeat: a sample keeps it quick.
IMPORTANCE_ROWS = 1000
IMPORTANCE_REPEATS = 3


def run_stage() -> None:
    started = time.perf_counter()
    calm_threads()
    try:
        params = load_params(Path("."))
        schema = load_schema(params)
    except (ConfigError, FeedError) as problem:
        sys.exit(f"ERROR: {problem}")
    if not TRAINING_REPORT.is_file():
        sys.exit(f"ERROR: {TRAINING_REPORT} not found; run the train stage first: dvc repro train")
    training = json.loads(TRAINING_REPORT.read_text(encoding="utf-8"))
    run_id, metric = training["best_run_id"], training["metric"]
    settings = params.model_extra.get("evaluate") or {}
    best = next((run for run in training["runs"] if run["run_id"] == run_id), {})
    seed = int((params.model_extra.get("train") or {}).get("seed", 42))

    import mlflow
    from mlflow.exceptions import MlflowException

    from capstone.pipeline.splits import read_split

    X_test, y_test = read_split("test", schema)
    X_valid, y_valid = read_split("valid", schema)
    tracking.connect(params)
    try:
        model = mlflow.sklearn.load_model(best.get("model_uri") or f"runs:/{run_id}/model")
    except (MlflowException, OSError) as problem:
        sys.exit(
            f"ERROR: cannot load the model of run {run_id} from MLflow ({tracking.tracking_uri(params)}): "
            f"{str(problem).splitlines()[0]}; rerun the train stage: dvc repro train"
        )

    family = best.get("family", "")
    result = dict(
        run_id=run_id,
        family=family,
        metric=metric,
        test=evaluate(model, X_test, y_test, schema.task, metric),
        valid=evaluate(model, X_valid, y_valid, schema.task, metric),
    )
    if schema.task == "multiclass":
        from capstone.pipeline.scoring import per_class

        result["test"]["per_class"] = per_class(model, X_test, y_test)
    result.update(decide(model, settings, schema.task, (X_valid, y_valid), (X_test, y_test), metric))
    METRICS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    draw_plots(model, X_test, y_test, schema.task, metric, family, seed)
    log_to_run(run_id, result["test"])
    if "decision" in result:  # the card of this model names its threshold (capstone.pipeline.model_card)
        from mlflow import MlflowClient

        MlflowClient().log_metric(run_id, "decision_threshold", result["decision"]["threshold"])
    if "slices" in result:
        from mlflow import MlflowClient

        MlflowClient().log_dict(run_id, result["slices"], "evaluation/slices.json")
    test, valid = result["test"]["score"], result["valid"]["score"]
    print(f"{family}: test {metric} {test:.4f}, valid {metric} {valid:.4f}")
    print(f"Wrote {METRICS} and {PLOTS}/ in {time.perf_counter() - started:.1f} s")


def decide(model, settings: dict, task: str, valid: tuple, test: tuple, metric: str) -> dict:
    """The decision threshold from evaluate.costs (binary tasks) and the test score by evaluate.slices."""
    from capstone.pipeline import decisions

    found = {}
    costs = decisions.costs_of(settings)
    if costs and task == "binary" and hasattr(model, "predict_proba"):
        found["decision"] = decisions.decision(model, valid, test, costs)
    columns = [str(column) for column in settings.get("slices") or []]
    if columns:
        found["slices"] = decisions.slice_scores(model, test[0], test[1], columns, metric)
    return found


def evaluate(model, X, y, task: str, metric: str) -> dict:
    from capstone.pipeline.scoring import named_metrics, score

    return dict(score=score(model, X, y, metric), rows=len(X), **named_metrics(model, X, y, task))


def draw_plots(model, X, y, task: str, metric: str, family: str, seed: int) -> None:
    from capstone.pipeline import plots

    # Start from an empty folder: no picture of an earlier model may linger.
    shutil.rmtree(PLOTS, ignore_errors=True)
    PLOTS.mkdir(parents=True)
    title = f"{family}, test split"
    figures = {}
    if task == "regression":
        predicted = model.predict(X)
        figures["predicted_vs_actual"] = plots.predicted_vs_actual(y, predicted, title)
        figures["residuals"] = plots.residuals(y, predicted, title)
    else:
        figures["confusion_matrix"] = plots.confusion_matrix(model, X, y, title)
        if hasattr(model, "predict_proba"):
            figures["roc_curve"] = plots.roc_curves(model, X, y, title)
            figures["precision_recall_curve"] = plots.precision_recall_curves(model, X, y, title)
            if task == "binary":
                figures["calibration"] = plots.calibration(model, X, y, title)
    names, means, stds = importance(model, X, y, metric, seed)
    figures["feature_importance"] = plots.feature_importance(names, means, stds, f"{family}: permutation importance")
    for name, figure in figures.items():
        figure.savefig(PLOTS / f"{name}.png", dpi=100)


def importance(model, X, y, metric: str, seed: int):
    """Permutation importance of each input column, on a sample of the test rows."""
    from sklearn.inspection import permutation_importance

    sample = X.sample(n=min(IMPORTANCE_ROWS, len(X)), random_state=seed)
    result = permutation_importance(
        model, sample, y.loc[sample.index], scoring=metric, n_repeats=IMPORTANCE_REPEATS, random_state=seed
    )
    return list(X.columns), result.importances_mean, result.importances_std


def log_to_run(run_id: str, test: dict) -> None:
    """The test metrics and the plots, on the best run: one place to look for the whole story."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    now = int(time.time() * 1000)
    numbers = [(f"test_{name}", value) for name, value in test.items() if isinstance(value, int | float)]
    client.log_batch(run_id, metrics=[Metric(name, float(value), now, 0) for name, value in numbers])
    client.log_artifacts(run_id, str(PLOTS), artifact_path="evaluation")


def main() -> None:
    """Run the stage; a tracking server's refusal (down, wrong login, another team's model) in one line."""
    with tracking.explained():
        run_stage()


if __name__ == "__main__":
    main()
