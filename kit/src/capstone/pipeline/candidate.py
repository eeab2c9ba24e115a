"""What a model candidate is: the contract between candidates.py (which families to try) and train.py."""

from dataclasses import dataclass, field


@dataclass
class Candidate:
    family: str  # the run's name and its "family" tag in MLflow
    features: object  # the ColumnTransformer in front of the model (features/pipeline.py)
    model: object  # the scikit-learn estimator
    # Hyperparameter of the model -> list of values or a scipy distribution. Empty: no search.
    space: dict = field(default_factory=dict)
    baseline: bool = False


# Meta-estimators whose family is the estimator they wrap (the parameter that holds it).
WRAPPED = {
    "TransformedTargetRegressor": "regressor",
    "CalibratedClassifierCV": "estimator",
    "GridSearchCV": "estimator",
    "RandomizedSearchCV": "estimator",
    "HalvingGridSearchCV": "estimator",
    "HalvingRandomSearchCV": "estimator",
    "OneVsRestClassifier": "estimator",
    "MultiOutputRegressor": "estimator",
    "MultiOutputClassifier": "estimator",
}


def final_estimator(model) -> object:
    """The estimator that predicts: the last step of (nested) Pipelines, unwrapped from WRAPPED meta-estimators."""
    for _ in range(20):  # a chain of wrappers, never a cycle
        if hasattr(model, "steps"):
            model = model.steps[-1][1]
        elif type(model).__name__ in WRAPPED and getattr(model, WRAPPED[type(model).__name__], None) is not None:
            model = getattr(model, WRAPPED[type(model).__name__])
        else:
            break
    return model
