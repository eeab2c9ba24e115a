"""pipeline-in-model (stage 3): the champion is one scikit-learn Pipeline that takes the raw feature columns.

Why: the service sends raw records. If the features were computed outside the model (in a script
before training), the service would have to repeat that code exactly, and one day it would not.
With the feature steps inside the Pipeline, the logged model is the whole recipe.
Checked: a Pipeline whose first step is a transformer; fit on a DataFrame whose columns
(feature_names_in_) are raw columns and include every feature column of the dataset; and it
predicts raw holdout rows (raw rows -> capstone.pipeline.splits.model_input -> the champion).
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import model_columns
from capstone.checkpoints.registry import Outcome, gate, one_thread
from capstone.checkpoints.text import failure, first_line, names

BRIEF = "docs/stages/3-features.md"
EXPECTED = "features inside the model"
TRY_IT = (
    'Try it: load the champion (`mlflow.sklearn.load_model("models:/<model>@champion")`) and call its '
    "predict on `capstone.pipeline.splits.model_input(rows, schema)` for a few rows of data/split/test.csv."
)
ADVICE = dict(
    not_pipeline=(
        "the champion is a {kind}, not a Pipeline of feature steps and a model",
        'Log `Pipeline([("features", <ColumnTransformer>), ("model", <estimator>)])` as the train stage '
        "does, so that the model takes raw rows.",
    ),
    not_transformer=(
        "the Pipeline's first step ({name!r}) is a {kind}, not a transformer",
        "The first step turns raw columns into features: the ColumnTransformer of features/pipeline.py.",
    ),
    no_names=(
        "the champion was fit on an array without column names, not on raw rows",
        "Fit the Pipeline on a DataFrame of raw columns (capstone.pipeline.splits.model_input), as the "
        "train stage does, so that the model knows its input columns by name.",
    ),
    not_raw=(
        "the champion does not take the raw feature columns ({count} differ)",
        "The model takes every feature column of the raw data and computes everything else in its "
        "feature steps (features/pipeline.py). Choose columns inside the ColumnTransformer, not "
        "before it.\n{lines}",
    ),
    missing="- raw columns it does not take: {columns}",
    computed="- inputs computed before the model (not raw columns): {columns}",
    cannot_predict=("the champion cannot predict raw rows: {problem}", TRY_IT),
    wrong_count=("the champion gave {got} predictions for {rows} rows", TRY_IT),
)


def fail(name: str, **values) -> Outcome:
    finding, advice = ADVICE[name]
    return failure(finding.format(**values), advice.format(**values), BRIEF, EXPECTED)


@gate("pipeline-in-model")
@one_thread
def pipeline_in_model(context, thresholds) -> Outcome:
    from sklearn.pipeline import Pipeline

    model, schema = context.champion_model, context.schema
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return fail("not_pipeline", kind=type(model).__name__)
    name, first = model.steps[0]
    if not hasattr(first, "transform"):
        return fail("not_transformer", name=name, kind=type(first).__name__)
    inputs = model_columns(model)
    if inputs is None:
        return fail("no_names")
    missing = [column for column in schema.feature_columns if column not in inputs]
    raw = set(context.holdout.frame.columns)
    computed = [column for column in inputs if column not in raw]
    if missing or computed:
        lines = [ADVICE["missing"].format(columns=names(missing))] if missing else []
        if computed:
            lines.append(ADVICE["computed"].format(columns=names(computed)))
        return fail("not_raw", count=len(missing) + len(computed), lines="\n".join(lines))
    sample = evidence.sample_rows(context, 200)
    try:
        out = evidence.champion_predict(context, model)(sample)
    except Exception as problem:  # noqa: BLE001 (any error here is the finding)
        return fail("cannot_predict", problem=first_line(problem))
    if out.shape[0] != len(sample):
        return fail("wrong_count", got=out.shape[0], rows=len(sample))
    steps = " -> ".join(step for step, _ in model.steps)
    return Outcome(True, f"a Pipeline ({steps}) taking the {len(inputs)} raw columns", EXPECTED)
