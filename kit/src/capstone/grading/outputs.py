"""A model's answers on the holdout, captured in one process and scored in another.

The grading job that holds the holdout's labels runs no team code, so it cannot call the team's
model. The job that runs the model never sees the labels. In between travels this file: what each
response method of the model (predict, predict_proba, decision_function) returned for every holdout
row, saved as a NumPy .npz read back with allow_pickle=False (data only, never code).

The scorer then gets a stand-in estimator that replays those answers, so scikit-learn's own scorer
picks the same method and the same column it would pick on the real model: the score is the one
`capstone check 4` computes in one process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if

METHODS = ("predict", "predict_proba", "decision_function")
MODELS = ("champion", "baseline")


class OutputsError(ValueError):
    """The answers file is missing, unreadable or does not fit the holdout; the message says which."""


def capture(model, X) -> dict[str, np.ndarray]:
    """What each response method of `model` returns for X (only the methods the model has)."""
    found = {method: np.asarray(getattr(model, method)(X)) for method in METHODS if hasattr(model, method)}
    classes = getattr(model, "classes_", None)
    if classes is not None:
        found["classes"] = np.asarray(classes)
    return found


def save(path: Path, answers: dict[str, dict[str, np.ndarray]]) -> Path:
    """Write {"champion": capture(...), "baseline": capture(...)} to one .npz file."""
    flat = {f"{model}.{key}": value for model, captured in answers.items() for key, value in captured.items()}
    for key, value in flat.items():
        if value.dtype == object:
            flat[key] = value.astype(str)  # class labels as text: the file must load without pickle
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **flat)
    return path


def load(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """The answers saved by save(), checked: every model has predict, every array is data."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            flat = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as problem:
        raise OutputsError(f"the model's answers ({path.name}) cannot be read: {problem}") from None
    answers: dict[str, dict[str, np.ndarray]] = {}
    for key, value in flat.items():
        model, _, name = key.partition(".")
        if model not in MODELS or name not in (*METHODS, "classes"):
            raise OutputsError(f"the model's answers ({path.name}) hold an unexpected array {key!r}")
        answers.setdefault(model, {})[name] = value
    for model in MODELS:
        if "predict" not in answers.get(model, {}):
            raise OutputsError(f"the model's answers ({path.name}) have no predictions of the {model}")
    return answers


def _has(method: str):
    return available_if(lambda replay: method in replay.answers)


class _Replay(BaseEstimator):
    def __init__(self, answers: dict[str, np.ndarray]):
        self.answers = answers
        if "classes" in answers:
            self.classes_ = answers["classes"]

    def fit(self, X, y=None):  # pragma: no cover - a replay is never fitted
        return self

    def _answer(self, method: str, X):
        value = self.answers[method]
        if len(X) != len(value):
            raise OutputsError(f"{len(value)} answers for {len(X)} holdout rows: the files do not belong together")
        return value

    def predict(self, X):
        return self._answer("predict", X)

    @_has("predict_proba")
    def predict_proba(self, X):
        return self._answer("predict_proba", X)

    @_has("decision_function")
    def decision_function(self, X):
        return self._answer("decision_function", X)


class ReplayedClassifier(ClassifierMixin, _Replay):
    """A classifier that answers with what the real one answered."""


class ReplayedRegressor(RegressorMixin, _Replay):
    """A regressor that answers with what the real one answered."""


def replay(answers: dict[str, np.ndarray]) -> _Replay:
    """The stand-in estimator: a classifier when the model had classes, else a regressor."""
    return ReplayedClassifier(answers) if "classes" in answers else ReplayedRegressor(answers)


def score(metric: str, answers: dict[str, np.ndarray], y) -> float:
    """The scikit-learn scorer `metric` applied to the replayed answers against the labels y."""
    from sklearn.metrics import get_scorer

    rows = np.zeros((len(y), 1))  # the replay ignores its input; the scorer only needs its length
    return float(get_scorer(metric)(replay(answers), rows, y))
