"""The model families the train stage compares: for each, its features, its estimator and the
hyperparameters to search.

train.py tunes each candidate with RandomizedSearchCV (train.n_iter candidates, train.cv_folds
folds, train.seed) and logs it as one MLflow run.
"""

from capstone.pipeline.candidate import Candidate
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from ..features.pipeline import build_features


def candidates(schema, params: dict, target=None) -> list[Candidate]:
    """The families for `schema`'s task; `params` is the train section of params.yaml and
    `target` the training labels."""
    if schema.task == "regression":
        found = [
            # The bar every real model must clear: it always predicts the training mean.
            Candidate(
                "dummy", build_features(schema, params), DummyRegressor(strategy="mean"), baseline=True
            ),
            Candidate("ridge", build_features(schema, params), Ridge(), dict(alpha=[0.1, 1.0, 10.0])),
        ]
    else:
        found = [
            # The bar every real model must clear: it predicts the class shares seen in training.
            Candidate(
                "dummy", build_features(schema, params), DummyClassifier(strategy="prior"), baseline=True
            ),
            Candidate(
                "logistic_regression",
                build_features(schema, params),
                LogisticRegression(max_iter=1000),
                dict(C=[0.1, 1.0, 10.0]),
            ),
        ]
    # --- stage 4 (docs/stages/4-experiments.md): add at least two more model families (for example a
    # random forest and gradient boosting) with search spaces worth tuning; trees may want features
    # of their own, and a skewed regression target may fit better on a log scale
    # (sklearn.compose.TransformedTargetRegressor). Mind rare classes: gradient boosting's
    # early_stopping=True holds out a stratified share of each fold, which crashes on a class with
    # one or two rows (`target` holds the training labels: count them first) ---
    return found
