"""fit-on-train-only (stage 3): the feature pipeline and the model learn from training rows only.

A canary experiment. A scratch folder gets a small sample of the team's own data/split/ files
(CANARY_ROWS rows of train, valid and test; data/clean/clean.csv is their union). In it, the
training code path fits every candidate twice, as the train stage does (read_split("train") -> the
`candidates` hook -> capstone.pipeline.train.fit): once with the held-out files as they are, once
with every held-out row changed (probes.perturb). The training rows are the same both times and
numpy's global random seed is reset before each fit, so a pipeline fit on training rows only comes
out identical: same features and same predictions for the training rows. If anything differs, some
code read the validation or test rows (or clean.csv) while fitting. The hyperparameter search is
left out (each candidate's search space is emptied, so fit() fits once): it only cross-validates on
the same training rows, and skipping it makes the canary three times quicker. Two small fits per
family, no MLflow; and since it tests the code, it catches a leak before a leaky model is champion.

Second, the champion itself: its run logs train_rows. When it was trained on the current data,
that must be the number of labelled rows of data/split/train.csv; a model fit on train + valid +
test (a leak the canary does not run into) shows here.
"""

import contextlib
import copy
import io
import os
import tempfile
from pathlib import Path

from capstone.checkpoints import evidence, runs, versioning
from capstone.checkpoints.probes import dense, perturb, predictions, same_arrays
from capstone.checkpoints.registry import NotReady, Outcome, gate, one_thread
from capstone.checkpoints.text import failure

BRIEF = "docs/stages/3-features.md"
EXPECTED = "fit on training rows only"
CANARY_ROWS = dict(train=400, valid=200, test=200)  # the canary's sandbox: this many rows of each split
ADVICE = dict(
    families="{changed} of {total} model families learn from held-out rows",
    rows="the champion was fit on more rows than the training split holds",
    advice=(
        "Changing data/split/valid.csv and test.csv (or data/clean/clean.csv) must not change a fitted "
        "model. Build the features in features/pipeline.py as unfitted transformers inside the model's "
        "Pipeline (the train stage fits it on the training split alone): validation and test rows "
        "only score a fitted model.\n{lines}"
    ),
    family="- `{family}`: {what}",
    features_changed="its fitted feature pipeline changed",
    predictions_changed="its features stayed the same, its predictions changed",
    champion_rows=(
        "- the champion (version {version}) was fit on {logged} rows; data/split/train.csv "
        "has {rows} labelled rows (if you changed the split since, run `make pipeline`)"
    ),
    no_split="data/split/{name}.csv is missing; run `make pipeline` (the split stage)",
)


@gate("fit-on-train-only")
@one_thread
def fit_on_train_only(context, thresholds) -> Outcome:
    changed, families = canary(context)
    rows_problem = champion_rows_problem(context)
    if not changed and rows_problem is None:
        return Outcome(True, f"held-out rows changed none of {len(families)} fitted pipelines", EXPECTED)
    lines = [ADVICE["family"].format(family=family, what=what) for family, what in changed.items()]
    if rows_problem:
        lines.append(rows_problem)
    finding = ADVICE["families"].format(changed=len(changed), total=len(families)) if changed else ADVICE["rows"]
    return failure(finding, ADVICE["advice"].format(lines="\n".join(lines)), BRIEF, EXPECTED)


def canary(context) -> tuple[dict[str, str], list[str]]:
    """Fit every candidate on the same training rows, beside real and beside changed held-out rows.

    Returns ({family: what changed}, the families tried).
    """
    import pandas as pd

    folder = Path(context.root) / "data" / "split"
    missing = [name for name in CANARY_ROWS if not (folder / f"{name}.csv").is_file()]
    if missing:
        raise NotReady(ADVICE["no_split"].format(name=missing[0]))
    samples = {}
    for name, rows in CANARY_ROWS.items():
        frame = pd.read_csv(folder / f"{name}.csv")
        samples[name] = frame.sample(n=min(rows, len(frame)), random_state=0)
    changed_samples = {
        name: frame if name == "train" else perturb(frame, context.schema) for name, frame in samples.items()
    }
    with tempfile.TemporaryDirectory(prefix="capstone-canary-") as scratch:
        first = fit_in_sandbox(context, Path(scratch) / "as-is", samples)
        second = fit_in_sandbox(context, Path(scratch) / "changed", changed_samples)
    changed = {}
    for family, (features, predicted) in first.items():
        other_features, other_predicted = second[family]
        if not same_arrays(features, other_features):
            changed[family] = ADVICE["features_changed"]
        elif not same_arrays(predicted, other_predicted):
            changed[family] = ADVICE["predictions_changed"]
    return changed, list(first)


def fit_in_sandbox(context, folder: Path, splits: dict) -> dict:
    """{family: (features of the training rows, predictions for them)} for every candidate."""
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from capstone.pipeline.splits import read_split
    from capstone.pipeline.train import DEFAULTS, fit

    schema = context.schema
    (folder / "data" / "split").mkdir(parents=True)
    (folder / "data" / "clean").mkdir(parents=True)
    for name, frame in splits.items():
        frame.to_csv(folder / "data" / "split" / f"{name}.csv", index=False)
    pd.concat(list(splits.values())).to_csv(folder / "data" / "clean" / "clean.csv", index=False)

    settings = {**DEFAULTS, **(context.params.model_extra.get("train") or {})}
    metric = evidence.metric(context, settings)
    state = np.random.get_state()
    found = {}
    # The code reads relative paths (data/split/...), so it runs inside the sandbox; what it
    # prints stays out of the checkpoint's output.
    with inside(folder), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            X, y = evidence.call(read_split, "train", schema)
            for candidate in evidence.call(context.hooks.candidates, schema, settings, y):
                # An estimator without a random_state draws from numpy's global generator: reset
                # it, so both fits draw the same numbers and only the data can make them differ.
                np.random.seed(0)
                candidate = copy.copy(candidate)
                candidate.space = {}  # no search: fit() fits the pipeline once
                pipeline = Pipeline([("features", candidate.features), ("model", candidate.model)])
                model, _ = evidence.call(fit, pipeline, candidate, schema, settings, metric, X, y, None)
                found[candidate.family] = (dense(model[:-1].transform(X)), predictions(model, X, schema.task))
        finally:
            np.random.set_state(state)
    return found


def champion_rows_problem(context) -> str | None:
    """How the champion's logged train_rows contradicts data/split/train.csv, or None."""
    from capstone.pipeline.splits import read_split

    run = runs.champion_run(context)
    logged = run.data.params.get("train_rows", "")
    if not logged.isdigit():
        return None  # the training did not log it: nothing to compare
    if run.data.tags.get("data_version") != versioning.locked_data_version(context.root):
        return None  # trained on other data than the current split: not comparable
    with contextlib.redirect_stdout(io.StringIO()):
        X, _ = evidence.call(read_split, "train", context.schema)
    if int(logged) == len(X):
        return None
    return ADVICE["champion_rows"].format(version=context.champion.version, logged=logged, rows=len(X))


@contextlib.contextmanager
def inside(folder: Path):
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
