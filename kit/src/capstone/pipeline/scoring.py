"""The score models are tuned and compared on, and the named metrics reported beside it.

The deciding score is a scikit-learn scorer, so higher is always better (errors are negated:
neg_root_mean_squared_error). The named metrics are for people and keep their usual sign
(rmse, mae and log_loss: lower is better).
"""

import sys

import numpy as np
from sklearn import metrics

# train.metric: auto picks one that suits the task.
AUTO_METRIC = dict(binary="roc_auc", multiclass="f1_macro", regression="r2")


def metric_name(setting: str | None, task: str) -> str:
    """The scikit-learn scorer name for train.metric in params.yaml."""
    name = str(setting or "auto").strip()
    if name == "auto":
        return AUTO_METRIC[task]
    if name not in metrics.get_scorer_names():
        sys.exit(
            f"ERROR: train.metric {name!r} in params.yaml is not a scikit-learn scorer; "
            f"use auto or a name such as {', '.join(AUTO_METRIC.values())}"
        )
    return name


def score(model, X, y, metric: str) -> float:
    return float(metrics.get_scorer(metric)(model, X, y))


def named_metrics(model, X, y, task: str) -> dict[str, float]:
    """The usual metrics for the task, for people to read (the metric above decides)."""
    if task == "regression":
        predicted = model.predict(X)
        return _floats(
            r2=metrics.r2_score(y, predicted),
            rmse=metrics.root_mean_squared_error(y, predicted),
            mae=metrics.mean_absolute_error(y, predicted),
        )
    predicted = model.predict(X)
    found = dict(
        accuracy=metrics.accuracy_score(y, predicted),
        balanced_accuracy=metrics.balanced_accuracy_score(y, predicted),
        f1_macro=metrics.f1_score(y, predicted, average="macro", zero_division=0),
    )
    if not hasattr(model, "predict_proba"):
        return _floats(**found)
    probabilities = model.predict_proba(X)
    if task == "binary":
        positive = model.classes_[1]
        found["f1"] = metrics.f1_score(y, predicted, pos_label=positive, zero_division=0)
        found["roc_auc"] = metrics.roc_auc_score(y == positive, probabilities[:, 1])
        found["average_precision"] = metrics.average_precision_score(y == positive, probabilities[:, 1])
    elif len(np.unique(y)) == len(model.classes_):
        # One-vs-rest AUC needs every class in y; a tiny split may miss a rare one.
        found["roc_auc_ovr"] = metrics.roc_auc_score(y, probabilities, multi_class="ovr", labels=model.classes_)
    found["log_loss"] = metrics.log_loss(y, probabilities, labels=model.classes_)
    return _floats(**found)


def per_class(model, X, y) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class (for multiclass tasks)."""
    report = metrics.classification_report(y, model.predict(X), output_dict=True, zero_division=0)
    return dict(
        (str(label), dict((key, float(value)) for key, value in values.items()))
        for label, values in report.items()
        if isinstance(values, dict) and label not in ("macro avg", "weighted avg")
    )


def _floats(**values) -> dict[str, float]:
    return dict((name, float(value)) for name, value in values.items())
