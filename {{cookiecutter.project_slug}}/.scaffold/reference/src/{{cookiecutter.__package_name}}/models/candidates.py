"""The model families the train stage compares: for each, its features, its estimator and the
hyperparameters to search.

train.py tunes each candidate with RandomizedSearchCV (train.n_iter candidates, train.cv_folds
folds, train.seed) and logs it as one MLflow run. The searches are sized for about 15 s of fitting
on 12 000 rows: the whole pipeline has a budget of one minute.
"""

import numpy as np
from capstone.pipeline.candidate import Candidate
from scipy.stats import loguniform, randint
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from ..features.pipeline import build_features, build_tree_features, category_count

# Gradient boosting, for classification and regression alike.
BOOSTING_SPACE = dict(
    learning_rate=loguniform(0.08, 0.3),
    max_leaf_nodes=randint(7, 32),
    min_samples_leaf=randint(20, 100),
    l2_regularization=loguniform(1e-3, 10),
)
# Early stopping holds out a stratified tenth of each cross-validation fold to watch the score. With
# fewer training rows than this in some class, that hold-out cannot have every class (a class of one
# row crashes it), so such data trains every boosting round instead.
MIN_ROWS_PER_CLASS = 20
# A forest's trees each see at most this many rows: on a million rows half of them is 300 000 per
# tree, and the forest took longer than the three other families together (benchmarks/custom_csv_scale.py).
MAX_ROWS_PER_TREE = 50_000


def candidates(schema, params: dict, target=None) -> list[Candidate]:
    """The families for `schema`'s task; `params` is the train section of params.yaml and
    `target` the training labels (a skewed regression target is learnt on a log scale)."""
    seed = int(params.get("seed", 42))
    # Gradient boosting splits on the category codes as categories, not as numbers.
    codes = list(range(category_count(schema))) or None
    early_stopping = schema.task == "regression" or every_class_has(target, MIN_ROWS_PER_CLASS)
    boosting = dict(
        max_iter=200, early_stopping=early_stopping, categorical_features=codes, random_state=seed
    )
    # Each tree of a forest sees half the rows (max_samples), at most MAX_ROWS_PER_TREE: twice as fast,
    # barely less accurate. n_jobs=-1: the trees are grown on every core.
    rows = len(target) if target is not None else 0
    per_tree = MAX_ROWS_PER_TREE if rows * 0.5 > MAX_ROWS_PER_TREE else 0.5
    forest = dict(max_samples=per_tree, n_jobs=-1, random_state=seed)
    if schema.task == "regression":
        found = [
            # The bar every real model must clear: it always predicts the training mean.
            Candidate(
                "dummy", build_features(schema, params), DummyRegressor(strategy="mean"), baseline=True
            ),
            Candidate("ridge", build_features(schema, params), Ridge(), dict(alpha=loguniform(1e-2, 1e3))),
            Candidate(
                "random_forest",
                build_tree_features(schema, params),
                RandomForestRegressor(n_estimators=30, **forest),
                dict(max_depth=[8, 12, 16], min_samples_leaf=randint(3, 20), max_features=[0.3, 0.5]),
            ),
            Candidate(
                "hist_gradient_boosting",
                build_tree_features(schema, params),
                HistGradientBoostingRegressor(**boosting),
                BOOSTING_SPACE,
            ),
        ]
        return on_log_scale(found) if positive_and_skewed(target) else found
    return [
        # The bar every real model must clear: it predicts the class shares seen in training.
        Candidate("dummy", build_features(schema, params), DummyClassifier(strategy="prior"), baseline=True),
        Candidate(
            "logistic_regression",
            build_features(schema, params),
            # newton-cholesky: the fastest solver when there are many more rows than features.
            LogisticRegression(solver="newton-cholesky", max_iter=200),
            dict(C=loguniform(1e-3, 1e2), class_weight=[None, "balanced"]),
        ),
        Candidate(
            "random_forest",
            build_tree_features(schema, params),
            RandomForestClassifier(n_estimators=40, **forest),
            dict(max_depth=[8, 12, 16], min_samples_leaf=randint(5, 40), max_features=["sqrt", "log2"]),
        ),
        Candidate(
            "hist_gradient_boosting",
            build_tree_features(schema, params),
            HistGradientBoostingClassifier(**boosting),
            BOOSTING_SPACE,
        ),
    ]


def on_log_scale(found: list[Candidate]) -> list[Candidate]:
    """Prices and amounts are skewed: learning log(target) and transforming back fits them far
    better, and stops the few large values from dominating the squared error."""
    for candidate in found:
        if candidate.baseline:
            continue
        candidate.model = TransformedTargetRegressor(candidate.model, func=np.log, inverse_func=np.exp)
        candidate.space = dict((f"regressor__{name}", values) for name, values in candidate.space.items())
    return found


def every_class_has(target, rows: int) -> bool:
    """True when each class of the training labels `target` has at least `rows` rows."""
    if target is None:
        return True
    _, counts = np.unique(np.asarray(target).astype(str), return_counts=True)
    return bool(counts.min() >= rows)


def positive_and_skewed(target) -> bool:
    """True for a target with only positive values and a long right tail (skewness above 1)."""
    if target is None:
        return False
    values = np.asarray(target, dtype="float64")
    values = values[~np.isnan(values)]
    if values.size == 0 or values.min() <= 0 or values.std() == 0:
        return False
    skewness = np.mean((values - values.mean()) ** 3) / values.std() ** 3
    return bool(skewness > 1.0)
