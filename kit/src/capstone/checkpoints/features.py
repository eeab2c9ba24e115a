"""Stage 3 gates: the feature pipeline ships inside the champion, keeps the leaky column and the id
out, is fit on training rows only, survives what production sends, and uses the columns it is given.

Brief: docs/stages/3-features.md. Each gate measures the champion (the registered model with the
`champion` alias, loaded once for all gates), except fit-on-train-only, which also runs the team's
training code on a small sample (a canary). Predictions are made the way the service makes them:
raw rows -> the team's models.splits.model_input -> the champion's predict_proba (classification)
or predict (regression).

The helpers below the gates (model input, scrambling a column, the robustness cases) are shared
with experiments.py and with the team's own tests (tests/model/test_features.py).
"""

import contextlib
import copy
import functools
import io
import os
import tempfile
from pathlib import Path

from capstone.checkpoints.gates import Outcome, gate, threshold

BRIEF = "docs/stages/3-features.md"
# Holdout rows the behavioural checks predict on: enough to see any column at work, quick to predict.
SAMPLE_ROWS = 1000
# Two predictions count as different beyond this: a random forest adds up its trees' votes in a
# different order from one call to the next (threads), which moves the last digits and nothing else.
TOLERANCE = 1e-9
# The canary's sandbox: this many rows of each split.
CANARY_ROWS = dict(train=400, valid=200, test=200)
# Stands in for a category the model never saw (a plan launched after training, a typo).
UNSEEN = "NEVER-SEEN-BEFORE"
# What production sends sooner or later (robustness_cases builds the rows of each).
UNSEEN_CATEGORIES = "unseen categories"
ONE_MISSING = "a missing value in each feature"
ALL_MISSING = "rows with every feature missing"
BAD_DATES = "unreadable dates"
ROBUSTNESS_CASES = (UNSEEN_CATEGORIES, ONE_MISSING, ALL_MISSING, BAD_DATES)


# --- the gates -------------------------------------------------------------------------------------


def one_thread(function):
    """Run a gate with one BLAS/OpenMP thread, as the pipeline's model stages do (models/runtime.py).

    Measured on a busy 2-core machine: the canary took 52 s with gradient boosting's OpenMP threads
    waiting for each other, and 1 s with one thread; predictions are 3 to 4 times quicker too.
    """

    @functools.wraps(function)
    def limited(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return limited


@gate("pipeline-in-model")
@one_thread
def pipeline_in_model(context, thresholds) -> Outcome:
    """The champion is one scikit-learn Pipeline that takes the raw feature columns and predicts.

    Why: the service sends raw records. If the features were computed outside the model (in a
    script before training), the service would have to repeat that code exactly, and one day it
    would not. With the feature steps inside the Pipeline, the logged model is the whole recipe.
    Checked: a Pipeline whose first step is a transformer; fit on a DataFrame whose columns
    (feature_names_in_) are raw columns and include every feature column of the dataset; and it
    predicts raw holdout rows.
    """
    from sklearn.pipeline import Pipeline

    model, schema = context.champion_model, context.schema
    expected = "features inside the model"
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return _fail(
            f"the champion is a {type(model).__name__}, not a Pipeline of feature steps and a model",
            'Log `Pipeline([("features", <ColumnTransformer>), ("model", <estimator>)])` as '
            "models/train.py does, so that the model takes raw rows.",
            expected,
        )
    name, first = model.steps[0]
    if not hasattr(first, "transform"):
        return _fail(
            f"the Pipeline's first step ({name!r}) is a {type(first).__name__}, not a transformer",
            "The first step turns raw columns into features: the ColumnTransformer of features/pipeline.py.",
            expected,
        )
    inputs = model_columns(model)
    if inputs is None:
        return _fail(
            "the champion was fit on an array without column names, not on raw rows",
            "Fit the Pipeline on a DataFrame of raw columns (models.splits.model_input), as "
            "models/train.py does, so that the model knows its input columns by name.",
            expected,
        )
    missing = [column for column in schema.feature_columns if column not in inputs]
    raw = set(context.holdout.frame.columns)
    computed = [column for column in inputs if column not in raw]
    if missing or computed:
        lines = [f"- raw columns it does not take: {_names(missing)}"] if missing else []
        if computed:
            lines.append(f"- inputs computed before the model (not raw columns): {_names(computed)}")
        return _fail(
            f"the champion does not take the raw feature columns ({len(missing) + len(computed)} differ)",
            "The model takes every feature column of the raw data and computes everything else in its "
            "feature steps (features/pipeline.py). Choose columns inside the ColumnTransformer, not "
            "before it in models/splits.py.\n" + "\n".join(lines),
            expected,
        )
    sample = sample_rows(context, 200)
    try:
        out = predictions(model, model_input(context, sample), schema.task)
    except Exception as problem:  # noqa: BLE001 (any error here is the finding)
        return _fail(f"the champion cannot predict raw rows: {_first_line(problem)}", _TRY_IT, expected)
    if out.shape[0] != len(sample):
        return _fail(
            f"the champion gave {out.shape[0]} predictions for {len(sample)} rows", _TRY_IT, expected
        )
    steps = " -> ".join(step for step, _ in model.steps)
    return Outcome(True, f"a Pipeline ({steps}) taking the {len(inputs)} raw columns", expected)


@gate("leaky-column-unused")
@one_thread
def leaky_column_unused(context, thresholds) -> Outcome:
    """Neither the leaky column, the id nor the target reaches the champion or changes its predictions.

    Two checks. Static: the columns the champion takes (its feature_names_in_, and the input
    signature logged with it, which is what the service asks clients for) include none of them.
    Behavioural: scrambling each of them in raw holdout rows, before the team's model_input builds
    the model's input, changes no prediction, whatever path the column might take into the model.
    """
    forbidden = forbidden_columns(context.schema)
    expected = "not an input; no influence"
    inputs = set(model_columns(context.champion_model) or []) | set(signature_columns(context))
    taken = [column for column in forbidden if column in inputs]
    sample = sample_rows(context)
    moved = scramble_effects(context, sample, [column for column in forbidden if column in sample.columns])
    influential = {column: share for column, share in moved.items() if share > 0}
    if not taken and not influential:
        return Outcome(True, f"{_names(forbidden)}: not inputs, no influence on {len(sample)} rows", expected)
    lines = [f"- `{column}` is an input of the champion" for column in taken]
    lines += [
        f"- scrambling `{column}` changes {share * 100:.0f}% of its predictions"
        for column, share in influential.items()
    ]
    used = sorted(set(taken) | set(influential))
    worst = max(influential.values(), default=0.0)
    return _fail(
        f"the champion uses {_names(used)}"
        + (f" (up to {worst * 100:.0f}% of its predictions move)" if worst else ""),
        "The leaky column is only known after the outcome, the id and the target are no features: a model "
        "that uses them looks great in training and fails in production. Keep them out of models/splits.py "
        "(model_input) and features/pipeline.py.\n" + "\n".join(lines),
        expected,
    )


@gate("fit-on-train-only")
@one_thread
def fit_on_train_only(context, thresholds) -> Outcome:
    """The feature pipeline and the model learn from training rows only: a canary experiment.

    Design. A scratch folder gets a small sample of the team's own data/split/ files (CANARY_ROWS
    rows of train, valid and test; data/clean/clean.csv is their union). In it, the team's own code
    path fits every candidate twice, as models/train.py does (read_split("train") ->
    candidates.candidates(...) -> train.fit(...)): once with the held-out files as they are, once
    with every held-out row changed (numbers shifted, categories and dates replaced, labels
    rotated). The training rows are the same both times and numpy's global random seed is reset
    before each fit, so a pipeline fit on training rows only comes out identical: same features
    and same predictions for the training rows. If anything differs, some code read the validation
    or test rows (or clean.csv) while fitting. The hyperparameter search is left out (each
    candidate's search space is emptied, so fit() fits once): it only cross-validates on the same
    training rows, and skipping it makes the canary three times quicker. Two small fits per
    family, no MLflow; and since it tests the code, it catches a leak before a leaky model is champion.

    Second, the champion itself: its run logs train_rows (models/train.py). When it was trained on
    the current data, that must be the number of labelled rows of data/split/train.csv; a model fit
    on train + valid + test (a leak in train.py's main(), which the canary does not run) shows here.
    """
    expected = "fit on training rows only"
    changed, families = canary(context)
    rows_problem = champion_rows_problem(context)
    if not changed and rows_problem is None:
        return Outcome(True, f"held-out rows changed none of {len(families)} fitted pipelines", expected)
    lines = [f"- `{family}`: {what}" for family, what in changed.items()]
    if rows_problem:
        lines.append(f"- {rows_problem}")
    if changed:
        finding = f"{len(changed)} of {len(families)} model families learn from held-out rows"
    else:
        finding = "the champion was fit on more rows than the training split holds"
    return _fail(
        finding,
        "Changing data/split/valid.csv and test.csv (or data/clean/clean.csv) must not change a fitted "
        "model. Build the features in features/pipeline.py as unfitted transformers inside the model's "
        'Pipeline, and fit in models/train.py on `read_split("train")` alone: validation and test rows '
        "only score a fitted model.\n" + "\n".join(lines),
        expected,
    )


@gate("robust-inference")
@one_thread
def robust_inference(context, thresholds) -> Outcome:
    """Unseen categories, a missing value in each feature, rows with nothing, unreadable dates:
    the champion returns one finite prediction per row for each (see robustness_cases)."""
    model, schema = context.champion_model, context.schema
    cases = robustness_cases(sample_rows(context, 50), schema)

    def predict(rows):
        return predictions(model, model_input(context, rows), schema.task)

    problems = {name: prediction_problem(predict, rows) for name, rows in cases.items()}
    problems = {name: problem for name, problem in problems.items() if problem}
    if not problems:
        return Outcome(
            True, f"finite predictions in all {len(cases)} cases: {', '.join(cases)}", "no crash, no NaN"
        )
    return _fail(
        f"{len(problems)} of {len(cases)} awkward inputs break the champion: {', '.join(problems)}",
        "Production sends what training never saw. In features/pipeline.py impute missing values "
        "(SimpleImputer), let encoders take unknown categories (OneHotEncoder(handle_unknown=...)) and "
        'parse dates with errors="coerce". tests/model/test_features.py runs the same cases.\n'
        + "\n".join(f"- {name}: {problem}" for name, problem in problems.items()),
        "no crash, no NaN",
    )


@gate("features-use-columns")
@one_thread
def features_use_columns(context, thresholds) -> Outcome:
    """The share of the dataset's feature columns the champion uses, measured by scrambling.

    A column counts as used when scrambling it (shuffling its values between SAMPLE_ROWS raw
    holdout rows) changes at least one prediction. A pipeline that drops the categories, dates or
    text throws information away; the skeleton's numeric-only features use about half the columns.
    """
    minimum = threshold(thresholds, "min_used_share", 0.7)
    expected = f"at least {minimum:.2f}"
    columns = list(context.schema.feature_columns)
    effects = scramble_effects(context, sample_rows(context), columns)
    unused = [column for column, share in effects.items() if share == 0]
    share = 1 - len(unused) / len(columns) if columns else 0.0
    measured = f"{share:.2f} of the {len(columns)} feature columns used"
    if share >= minimum:
        return Outcome(True, measured, expected)
    return _fail(
        f"the champion ignores {len(unused)} of the {len(columns)} feature columns",
        f"Scrambling these changes none of its predictions: {_names(unused)}. Give them features in "
        "features/pipeline.py: encode the categorical and text columns, turn the dates into numbers "
        "(durations, months).",
        expected,
        measured,
    )


# --- the canary (fit-on-train-only) ---------------------------------------------------------------


def canary(context) -> tuple[dict[str, str], list[str]]:
    """Fit every candidate on the same training rows, beside real and beside changed held-out rows.

    Returns ({family: what changed}, the families tried).
    """
    import pandas as pd

    from capstone.checkpoints.context import NotReady

    folder = Path(context.root) / "data" / "split"
    missing = [name for name in CANARY_ROWS if not (folder / f"{name}.csv").is_file()]
    if missing:
        raise NotReady(f"data/split/{missing[0]}.csv is missing; run `make pipeline` (the split stage)")
    samples = {}
    for name, rows in CANARY_ROWS.items():
        frame = pd.read_csv(folder / f"{name}.csv")
        samples[name] = frame.sample(n=min(rows, len(frame)), random_state=0)
    changed_samples = {
        name: frame if name == "train" else perturb(frame, context.schema) for name, frame in samples.items()
    }
    with tempfile.TemporaryDirectory(prefix="capstone-canary-") as scratch:
        first = _fit_in_sandbox(context, Path(scratch) / "as-is", samples)
        second = _fit_in_sandbox(context, Path(scratch) / "changed", changed_samples)
    changed = {}
    for family, (features, predicted) in first.items():
        other_features, other_predicted = second[family]
        if not _same(features, other_features):
            changed[family] = "its fitted feature pipeline changed"
        elif not _same(predicted, other_predicted):
            changed[family] = "its features stayed the same, its predictions changed"
    return changed, list(first)


def _fit_in_sandbox(context, folder: Path, splits: dict) -> dict:
    """{family: (features of the training rows, predictions for them)} for every candidate."""
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

    schema = context.schema
    (folder / "data" / "split").mkdir(parents=True)
    (folder / "data" / "clean").mkdir(parents=True)
    for name, frame in splits.items():
        frame.to_csv(folder / "data" / "split" / f"{name}.csv", index=False)
    pd.concat(list(splits.values())).to_csv(folder / "data" / "clean" / "clean.csv", index=False)

    train = context.team("models.train")
    settings = {**getattr(train, "DEFAULTS", {}), **(context.params.model_extra.get("train") or {})}
    metric = team_call(context.team("models.scoring").metric_name, settings.get("metric"), schema.task)
    state = np.random.get_state()
    found = {}
    # The team's code reads relative paths (data/split/...), so it runs inside the sandbox; what
    # it prints stays out of the checkpoint's output.
    with (
        _inside(folder),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        try:
            X, y = team_call(context.team("models.splits").read_split, "train", schema)
            for candidate in team_call(context.team("models.candidates").candidates, schema, settings, y):
                # An estimator without a random_state draws from numpy's global generator: reset
                # it, so both fits draw the same numbers and only the data can make them differ.
                np.random.seed(0)
                candidate = copy.copy(candidate)
                candidate.space = {}  # no search: fit() fits the pipeline once
                pipeline = Pipeline([("features", candidate.features), ("model", candidate.model)])
                model, _ = team_call(train.fit, pipeline, candidate, schema, settings, metric, X, y, None)
                found[candidate.family] = (
                    _dense(model[:-1].transform(X)),
                    predictions(model, X, schema.task),
                )
        finally:
            np.random.set_state(state)
    return found


def perturb(frame, schema):
    """The same held-out rows with every value a model could learn from changed.

    Numbers are tripled and shifted, categories and text replaced by three new values (frequent
    enough to get one-hot columns of their own), dates moved 20 years on, labels rotated to the
    next class (or tripled for regression). A scaler, an imputer, an encoder or a model that saw
    these rows while fitting comes out different.
    """
    import pandas as pd

    out = frame.copy()
    for column in schema.numeric:
        values = pd.to_numeric(out[column], errors="coerce")
        out[column] = values * 3 + 10 * (values.std() or 1.0)
    for column in (*schema.categorical, *schema.text):
        out[column] = [f"canary-{position % 3}" for position in range(len(out))]
    for column in schema.dates:
        dates = pd.to_datetime(out[column].astype("object"), format="ISO8601", errors="coerce")
        out[column] = (dates + pd.DateOffset(years=20)).dt.strftime("%Y-%m-%d")
    target = out[schema.target]
    if schema.is_classification:
        classes = sorted(target.dropna().unique())
        out[schema.target] = target.map(dict(zip(classes, classes[1:] + classes[:1], strict=True)))
    else:
        values = pd.to_numeric(target, errors="coerce")
        out[schema.target] = values * 3 + 10 * (values.std() or 1.0)
    return out


def champion_rows_problem(context) -> str | None:
    """How the champion's logged train_rows contradicts data/split/train.csv, or None."""
    from capstone.checkpoints.experiments import locked_data_version

    run = context.mlflow.get_run(context.champion.run_id)
    logged = run.data.params.get("train_rows", "")
    if not logged.isdigit():
        return None  # the team's train.py does not log it: nothing to compare
    if run.data.tags.get("data_version") != locked_data_version(context.root):
        return None  # trained on other data than the current split: not comparable
    with contextlib.redirect_stdout(io.StringIO()):
        X, _ = team_call(context.team("models.splits").read_split, "train", context.schema)
    if int(logged) == len(X):
        return None
    return (
        f"the champion (version {context.champion.version}) was fit on {logged} rows; data/split/train.csv "
        f"has {len(X)} labelled rows (if you changed the split since, run `make pipeline`)"
    )


# --- shared helpers (also for experiments.py and tests/model/test_features.py) --------------------


def forbidden_columns(schema) -> list[str]:
    """Columns no model may use: the leaky ones, the id and the target."""
    found = [*schema.leaky_columns, schema.id_column, schema.target]
    return [column for column in dict.fromkeys(found) if column]


def model_columns(model) -> list[str] | None:
    """The columns the model was fit on (None when it was fit on an array without names)."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def signature_columns(context) -> list[str]:
    """The input columns of the champion's logged signature: what the service asks clients for."""
    import mlflow.models

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(context.tracking_uri)
    name = context.params.mlflow.registered_model
    info = mlflow.models.get_model_info(f"models:/{name}/{context.champion.version}")
    if info.signature is None or info.signature.inputs is None:
        return []
    return [str(column) for column in info.signature.inputs.input_names()]


def sample_rows(context, rows: int = SAMPLE_ROWS):
    """The first `rows` labelled holdout rows (the feed draws them at random already)."""
    frame = context.holdout.frame
    return frame[frame[context.schema.target].notna()].head(rows).reset_index(drop=True)


def model_input(context, frame):
    """What the model receives for raw rows: the team's models.splits.model_input."""
    return team_call(context.team("models.splits").model_input, frame, context.schema)


def team_call(function, *args):
    """Call the team's code; its `sys.exit("ERROR: ...")` becomes an exception the check reports."""
    try:
        return function(*args)
    except SystemExit as stop:
        raise RuntimeError(f"{function.__module__}.{function.__name__} stopped: {stop.code}") from None


def predictions(model, X, task: str):
    """Class probabilities (classification) or estimates (regression), as a float array."""
    import numpy as np

    if task != "regression" and hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X), dtype="float64")
    return np.asarray(model.predict(X), dtype="float64")


def scramble_effects(context, frame, columns, seed: int = 0) -> dict[str, float]:
    """{column: the share of the champion's predictions for `frame` that move when it is scrambled}.

    Scrambling shuffles a column's values between the raw rows: every value is realistic but no
    longer belongs to its row, so a model that uses the column answers differently for some rows.
    The rows go through the team's model_input, so a column counts by whatever path it takes.
    """
    import numpy as np

    model, task = context.champion_model, context.schema.task
    before = predictions(model, model_input(context, frame), task)
    effects = {}
    for column in columns:
        scrambled = frame.copy()
        scrambled[column] = frame[column].sample(frac=1.0, random_state=seed).to_numpy()
        after = predictions(model, model_input(context, scrambled), task)
        moved = ~np.isclose(before, after, rtol=0, atol=TOLERANCE, equal_nan=True)
        effects[column] = float(moved.reshape(len(frame), -1).any(axis=1).mean())
    return effects


def robustness_cases(frame, schema) -> dict:
    """Raw rows production will send sooner or later, named by what is odd about them.

    {name: rows}, each built from the first rows of `frame` (raw rows with every column): unseen
    categories, one missing value in each feature, rows with every feature missing, and
    unreadable dates (a case is left out when the dataset has no such column).
    """
    import numpy as np

    features = list(schema.feature_columns)
    categories = [*schema.categorical, *schema.text]
    cases = {}
    if categories:
        rows = frame.head(20).copy()
        rows[categories] = UNSEEN
        cases[UNSEEN_CATEGORIES] = rows
    rows = frame.head(len(features)).copy().reset_index(drop=True)
    for position, column in enumerate(features):
        rows.loc[position, column] = np.nan
    cases[ONE_MISSING] = rows
    rows = frame.head(3).copy()
    rows[features] = np.nan
    cases[ALL_MISSING] = rows
    if schema.dates:
        rows = frame.head(5).copy()
        rows[list(schema.dates)] = "not a date"
        cases[BAD_DATES] = rows
    return cases


def prediction_problem(predict, rows) -> str | None:
    """What is wrong with `predict(rows)` (an error, a wrong count, NaN), or None when it is fine."""
    import numpy as np

    try:
        out = np.asarray(predict(rows), dtype="float64")
    except Exception as problem:  # noqa: BLE001 (any error here is the finding)
        return f"raises {type(problem).__name__}: {_first_line(problem)}"
    if out.ndim == 0 or out.shape[0] != len(rows):
        return f"{out.shape[0] if out.ndim else 1} predictions for {len(rows)} rows"
    bad = int((~np.isfinite(out.reshape(len(rows), -1))).any(axis=1).sum())
    if bad:
        return f"{bad} of {len(rows)} predictions are not finite (NaN or infinite)"
    return None


# --- small private helpers -------------------------------------------------------------------------

_TRY_IT = (
    'Try it: load the champion (`mlflow.sklearn.load_model("models:/<model>@champion")`) and call its '
    "predict on `models.splits.model_input(rows, schema)` for a few rows of data/split/test.csv."
)


@contextlib.contextmanager
def _inside(folder: Path):
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _same(first, second) -> bool:
    import numpy as np

    if first.shape != second.shape:
        return False
    try:
        return bool(np.allclose(first, second, rtol=1e-7, atol=TOLERANCE, equal_nan=True))
    except TypeError:  # not numbers (a transformer that outputs text)
        return bool(np.array_equal(first, second))


def _dense(matrix):
    import numpy as np

    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix)


def _names(columns) -> str:
    return ", ".join(f"`{column}`" for column in columns)


def _first_line(problem: BaseException) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]


def _fail(finding: str, advice: str, expected: str = "", measured: str = "") -> Outcome:
    """A failed Outcome whose detail starts with the finding (one line), then says what to do."""
    detail = f"{finding[0].upper()}{finding[1:]}.\n\n{advice}\n\nSee {BRIEF}."
    return Outcome(False, measured or finding, expected, detail)
