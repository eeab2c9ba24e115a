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
