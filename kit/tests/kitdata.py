"""Helpers and constants of the kit's unit tests (a module of its own: test modules import it by name;
`conftest` is a name two test folders share)."""

from dataclasses import dataclass

DATASET = "churn"


def spec_document(hooks: dict | None = None) -> dict:
    """A capstone.yaml with five stages of one gate each (the gates' own thresholds come from the tests)."""
    stages = [
        dict(
            number=number,
            key=key,
            title=key.title(),
            brief=f"docs/stages/{number}-{key}.md",
            gates=[dict(id=f"gate-{number}", check="a check", kind="mentor", blocking=False)],
        )
        for number, key in enumerate(("data", "validation", "features", "experiments", "deployment"), start=1)
    ]
    return dict(version=1, project="Test Team", dataset=DATASET, hooks=hooks or {}, stages=stages)


def params_document(package: str, dataset: str = DATASET, **sections) -> dict:
    document = dict(
        project=dict(name="Test Team", slug="test-team", package=package, scaffold="reference"),
        data=dict(dataset=dataset, feed=dict(batch=1, rows=2000, seed=42)),
        mlflow=dict(
            tracking_uri="sqlite:///mlflow.db",
            artifact_root="mlartifacts",
            experiment="test-team",
            registered_model="test-team-model",
        ),
        validate=dict(mostly=0.99),
    )
    for name, value in sections.items():
        document[name] = {**document.get(name, {}), **value} if isinstance(value, dict) else value
    return document


def feature_steps(schema, numeric_only: bool = False, impute: bool = True, unknown: str = "ignore"):
    """A ColumnTransformer for churn: numbers (imputed), categories one-hot (dates and text left out)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = Pipeline([("missing", SimpleImputer()), ("scale", StandardScaler())]) if impute else StandardScaler()
    parts = [("numbers", numbers, list(schema.numeric))]
    if not numeric_only:
        categories = Pipeline(
            [
                ("missing", SimpleImputer(strategy="constant", fill_value="missing")),
                ("onehot", OneHotEncoder(handle_unknown=unknown)),
            ]
        )
        parts.append(("categories", categories, list(schema.categorical)))
    return ColumnTransformer(parts)


def fitted(model, frame, schema):
    """`model` fit on the model input of `frame` (capstone.pipeline.splits.model_input)."""
    from capstone.pipeline.splits import model_input

    labelled = frame[frame[schema.target].notna()]
    return model.fit(model_input(labelled, schema), labelled[schema.target])


SHA = "abcdef1234567890abcdef1234567890abcdef12"
VERSION = "0123456789abcdef0123456789abcdef.dir"  # the champion's data_version tag (a DVC .dir md5)
MODEL = "test-team-model"
TRAIN_ROWS = 1000


@dataclass(frozen=True)
class Store:
    uri: str
    champion_run: str
    baseline_run: str


def log_model(model, X):
    import mlflow
    from mlflow.models import infer_signature

    signature = infer_signature(X.head(20), model.predict(X.head(20)))
    info = mlflow.sklearn.log_model(
        model, name="model", signature=signature, pip_requirements=["scikit-learn"], serialization_format="cloudpickle"
    )
    return info.model_uri
