"""Decision-focused evaluation (stage 4): the decision threshold that costs least, and the score by segment.

A model's probabilities become decisions at a threshold. 0.5 is right only when both errors cost the
same; params.yaml `evaluate.costs` says what a false positive and a false negative cost (in any one
unit), and the threshold that costs least on the validation split is chosen there, then judged on the
test split. `evaluate.slices` names columns (segments the business cares about) to score the model on
each of their most common values: a good average can hide a segment where the model fails.
"""

from __future__ import annotations

import numpy as np

THRESHOLDS = np.round(np.linspace(0.02, 0.98, 49), 2)
MIN_SLICE_ROWS = 30  # a segment with fewer rows says nothing reliable
MAX_SLICE_VALUES = 8


def costs_of(settings: dict) -> tuple[float, float] | None:
    """(false positive, false negative) from params.yaml evaluate.costs, or None when not set."""
    costs = settings.get("costs") or {}
    if not costs:
        return None
    return float(costs.get("false_positive", 1.0)), float(costs.get("false_negative", 1.0))


def cost_per_row(y, positive, threshold: float, costs: tuple[float, float]) -> float:
    """The mean cost of deciding "positive" when the probability is at least `threshold`."""
    truth = np.asarray(y) == 1
    decided = np.asarray(positive) >= threshold
    false_positive = np.sum(decided & ~truth)
    false_negative = np.sum(~decided & truth)
    return float((false_positive * costs[0] + false_negative * costs[1]) / max(1, len(truth)))


def best_threshold(y, positive, costs: tuple[float, float]) -> float:
    """The threshold of THRESHOLDS with the least cost on (y, positive); the lowest one on a tie."""
    spent = [cost_per_row(y, positive, threshold, costs) for threshold in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmin(spent))])


def decision(model, valid: tuple, test: tuple, costs: tuple[float, float]) -> dict:
    """The threshold chosen on the validation split, and what it costs on the test split against 0.5."""
    (X_valid, y_valid), (X_test, y_test) = valid, test
    threshold = best_threshold(y_valid, model.predict_proba(X_valid)[:, 1], costs)
    positive = model.predict_proba(X_test)[:, 1]
    return dict(
        costs=dict(false_positive=costs[0], false_negative=costs[1]),
        threshold=threshold,
        test_cost_per_row=cost_per_row(y_test, positive, threshold, costs),
        test_cost_per_row_at_half=cost_per_row(y_test, positive, 0.5, costs),
    )


def slice_scores(model, X, y, columns: list[str], metric: str) -> dict:
    """{column: {value: {rows, score[, positives]}}} for the most common values of each column with at least
    MIN_SLICE_ROWS rows (score None: not defined there, such as an AUC with one class)."""
    from sklearn.metrics import get_scorer

    scorer = get_scorer(metric)
    binary = set(np.unique(np.asarray(y)).tolist()) <= {0, 1}  # a yes/no target
    result = {}
    for column in columns:
        if column not in X.columns:
            continue
        values = X[column].astype("string").fillna("(missing)")
        shares = {}
        for value, rows in values.value_counts().head(MAX_SLICE_VALUES).items():
            if rows < MIN_SLICE_ROWS:
                continue
            chosen = (values == value).to_numpy()
            try:
                score = float(scorer(model, X[chosen], y[chosen]))
            except ValueError:  # one class only in the segment: the metric is not defined
                score = None
            found = dict(rows=int(rows), score=score)
            if binary:  # how many positives the score rests on
                found["positives"] = int((y[chosen] == 1).sum())
            shares[str(value)] = found
        result[column] = shares
    return result
