"""The pictures of training and evaluation, as PNG files people look at in MLflow and in plots/.

Each function returns a matplotlib Figure; the caller saves it or logs it with mlflow.log_figure.
Figures are built without pyplot, so nothing needs a display and nothing stays in memory.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # no display on servers and in CI

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)

SIZE = (6.4, 4.8)


def cv_scores(cv_results: dict, metric: str, family: str) -> Figure:
    """Mean cross-validation score (and its spread over the folds) of every candidate tried."""
    means = np.asarray(cv_results["mean_test_score"], dtype=float)
    stds = np.asarray(cv_results["std_test_score"], dtype=float)
    best = int(np.nanargmax(means)) if np.isfinite(means).any() else 0
    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    positions = np.arange(1, len(means) + 1)
    ax.errorbar(positions, means, yerr=stds, fmt="o", capsize=3, label="candidate")
    ax.plot(positions[best], means[best], "o", color="tab:orange", markersize=10, label="chosen")
    ax.set_xticks(positions)
    ax.set(xlabel="candidate", ylabel=f"mean CV {metric}", title=f"{family}: hyperparameter search")
    ax.legend(loc="best")
    return figure


def confusion_matrix(model, X, y, title: str) -> Figure:
    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    ConfusionMatrixDisplay.from_estimator(model, X, y, ax=ax, colorbar=False, xticks_rotation=45)
    ax.set_title(title)
    return figure


def roc_curves(model, X, y, title: str) -> Figure:
    """The ROC curve (binary) or one curve per class against the rest (multiclass)."""
    return _curves(RocCurveDisplay, model, X, y, title)


def precision_recall_curves(model, X, y, title: str) -> Figure:
    return _curves(PrecisionRecallDisplay, model, X, y, title)


def _curves(display, model, X, y, title: str) -> Figure:
    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    probabilities = model.predict_proba(X)
    classes = list(model.classes_)
    shown = classes[1:] if len(classes) == 2 else classes
    y = np.asarray(y)
    for label in shown:
        column = classes.index(label)
        display.from_predictions(y == label, probabilities[:, column], ax=ax, name=str(label))
    ax.set_title(title)
    return figure


def calibration(model, X, y, title: str) -> Figure:
    """Predicted probability against the observed rate of the positive class, in ten bins."""
    from sklearn.calibration import CalibrationDisplay

    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    CalibrationDisplay.from_estimator(model, X, y, n_bins=10, ax=ax, name="champion")
    ax.set_title(f"{title}: calibration")
    return figure


def predicted_vs_actual(y, predicted, title: str) -> Figure:
    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    ax.scatter(y, predicted, s=6, alpha=0.4)
    low, high = float(np.nanmin(y)), float(np.nanmax(y))
    ax.plot([low, high], [low, high], color="tab:orange", label="perfect")
    ax.set(xlabel="actual", ylabel="predicted", title=title)
    ax.legend(loc="upper left")
    return figure


def residuals(y, predicted, title: str) -> Figure:
    """Errors against the prediction: a pattern here is signal the model missed."""
    figure = Figure(figsize=SIZE, layout="constrained")
    ax = figure.subplots()
    ax.scatter(predicted, np.asarray(y) - np.asarray(predicted), s=6, alpha=0.4)
    ax.axhline(0, color="tab:orange")
    ax.set(xlabel="predicted", ylabel="actual - predicted", title=title)
    return figure


def feature_importance(names: list[str], means, stds, title: str, top: int = 20) -> Figure:
    """Permutation importance: how much the score drops when a column is shuffled."""
    order = np.argsort(means)[-top:]
    figure = Figure(figsize=(6.4, max(3.0, 0.3 * len(order) + 1.2)), layout="constrained")
    ax = figure.subplots()
    ax.barh([names[index] for index in order], np.asarray(means)[order], xerr=np.asarray(stds)[order])
    ax.set(xlabel="drop in score when shuffled", title=title)
    return figure
