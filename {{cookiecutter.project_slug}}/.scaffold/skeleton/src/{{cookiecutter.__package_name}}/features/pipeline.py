"""The feature pipeline: raw feature columns in, a numeric matrix out.

It is a scikit-learn ColumnTransformer, so it is fit on training rows only (inside the model's
Pipeline, inside every cross-validation fold) and ships inside the logged model: the service sends
the raw columns and gets the same features the model was trained on.
"""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def build_features(schema, params: dict | None = None) -> ColumnTransformer:
    """The ColumnTransformer for `schema` (a capstone.dataset.DatasetSchema).

    `params` is the train section of params.yaml, for settings your features may need.
    Columns the schema does not list as features (the id, the target, the leaky column) are dropped.
    """
    if not schema.numeric:
        raise ValueError(
            "the skeleton's features use the numeric columns only, and this dataset has none; "
            "encode the categorical and text columns (docs/stages/3-features.md)"
        )
    numeric = Pipeline(
        [
            # A missing number becomes the column's median in the training rows.
            ("impute", SimpleImputer(strategy="median")),
            # Linear models need comparable scales.
            ("scale", StandardScaler()),
        ]
    )
    # --- stage 3 (docs/stages/3-features.md): only the numeric columns are used; encode the
    # categorical columns (unseen values must not crash), turn the dates into numbers (durations,
    # months) and consider the text; give each feature a one-line reason ---
    return ColumnTransformer([("numeric", numeric, list(schema.numeric))], remainder="drop")
