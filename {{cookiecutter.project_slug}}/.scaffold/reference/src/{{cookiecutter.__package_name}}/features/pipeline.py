"""The feature pipeline: raw feature columns in, a numeric matrix out.

It is a scikit-learn ColumnTransformer, so it is fit on training rows only (inside the model's
Pipeline, inside every cross-validation fold) and ships inside the logged model: the service sends
the raw columns and gets the same features the model was trained on.

Each feature has a one-line reason next to it (the stage 3 mentor checklist asks for that).
"""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

# A category seen fewer times than this in training joins the shared "infrequent" column:
# a handful of rows cannot teach the model anything reliable about it.
MIN_CATEGORY_COUNT = 20
# Tree features keep at most this many codes per category column (the rest share one code).
MAX_CODES = 50
# Dates become days since this day (any fixed day works: only differences matter to a model).
EPOCH = pd.Timestamp("2000-01-01")


def build_features(schema, params: dict | None = None) -> ColumnTransformer:
    """The features for linear models, for `schema` (a capstone.dataset.DatasetSchema).

    `params` is the train section of params.yaml; optional key: min_category_count.
    Columns the schema does not list as features (the id, the target, the leaky column) are dropped.
    """
    min_count = int((params or {}).get("min_category_count", MIN_CATEGORY_COUNT))
    parts = []
    if schema.numeric:
        parts.append(("numeric", numeric_steps(), list(schema.numeric)))
    if schema.categorical:
        parts.append(("categorical", categorical_steps(min_count), list(schema.categorical)))
    if schema.dates:
        parts.append(("dates", date_steps(), list(schema.dates)))
    if schema.text:
        # The feed's notes are drawn from a small set of phrases (capstone/feed/README.md), so each
        # frequent phrase is a category. Free text would call for TF-IDF
        # (sklearn.feature_extraction.text.TfidfVectorizer); measured on these notes it added
        # nothing to the score and a third to the training time.
        parts.append(("text", categorical_steps(min_count), list(schema.text)))
    # sparse_threshold=0: always a dense matrix, which every model family accepts.
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def build_tree_features(schema, params: dict | None = None) -> ColumnTransformer:
    """The features for tree models: categories as integer codes, numbers and dates as they are.

    Trees need neither scaling nor one column per category, and they split on missing values
    themselves. The category codes come first, so gradient boosting can treat columns
    0 .. category_count(schema) - 1 as categories (its categorical_features): measured, that is
    2 to 3 times faster to train than one-hot columns, and as accurate.
    """
    min_count = int((params or {}).get("min_category_count", MIN_CATEGORY_COUNT))
    categories = [*schema.categorical, *schema.text]
    parts = []
    if categories:
        codes = OrdinalEncoder(
            # Unseen and missing values become NaN, which trees treat as "missing".
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            # Rare values share one code, and a column never has more than MAX_CODES codes.
            min_frequency=min_count,
            max_categories=MAX_CODES,
        )
        parts.append(("categories", codes, categories))
    if schema.numeric:
        parts.append(("numeric", "passthrough", list(schema.numeric)))
    if schema.dates:
        parts.append(
            (
                "dates",
                FunctionTransformer(date_features, feature_names_out=date_feature_names),
                list(schema.dates),
            )
        )
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def category_count(schema) -> int:
    """How many of build_tree_features' first columns are category codes."""
    return len(schema.categorical) + len(schema.text)


def numeric_steps() -> Pipeline:
    return Pipeline(
        [
            # The median is robust to outliers; the indicator column lets the model learn from a
            # value being missing (a survey left unanswered says something about the customer).
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            # Linear models need comparable scales; trees do not mind.
            ("scale", StandardScaler()),
        ]
    )


def categorical_steps(min_count: int) -> Pipeline:
    return Pipeline(
        [
            # "missing" is a category of its own: a blank field can carry signal.
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            # One column per frequent category. Rare values, and values never seen in training
            # (a new plan launched after the model was trained), share the "infrequent" column,
            # so they do not crash the model.
            (
                "one_hot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", min_frequency=min_count, sparse_output=False
                ),
            ),
        ]
    )


def date_steps() -> Pipeline:
    return Pipeline(
        [
            ("parse", FunctionTransformer(date_features, feature_names_out=date_feature_names)),
            # A missing or unreadable date is NaN after parsing, and the median here.
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )


# --- functions used inside the pipeline: top-level, so the saved model can refer to them ---


def date_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers a model can use, from ISO dates (YYYY-MM-DD); a date it cannot read becomes NaN.

    - <date>_days: days since EPOCH, i.e. when it happened (recent customers behave differently);
    - <date>_month: the month, for seasonality;
    - <later>_minus_<earlier>_days, for each pair of neighbouring date columns: durations such as
      "signup to last payment" or "listing to sale" carry the real signal.
    """
    parsed = dict(
        (name, pd.to_datetime(frame[name].astype("object"), format="ISO8601", errors="coerce"))
        for name in frame.columns
    )
    out = {}
    for name, dates in parsed.items():
        out[f"{name}_days"] = (dates - EPOCH).dt.days.astype("float64")
        out[f"{name}_month"] = dates.dt.month.astype("float64")
    names = list(parsed)
    for first, second in zip(names, names[1:], strict=False):
        out[f"{second}_minus_{first}_days"] = (parsed[second] - parsed[first]).dt.days.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def date_feature_names(transformer, input_features) -> list[str]:
    """The names of date_features' columns, in the same order (for features.json and importance)."""
    names = [str(name) for name in input_features]
    out = [f"{name}_{part}" for name in names for part in ("days", "month")]
    out += [f"{second}_minus_{first}_days" for first, second in zip(names, names[1:], strict=False)]
    return out
