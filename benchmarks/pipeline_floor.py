"""The floor for `make pipeline`: the same work in one plain Python script, without DVC, Great
Expectations, MLflow or BentoML. Run it with a baked team repo's Python, from that repo's root:

    .venv/bin/python <template>/benchmarks/pipeline_floor.py

It generates the batch, cleans it, splits it, tunes every candidate model family, scores the best
on the test split, draws the same plots and saves the model with joblib, using the team's own code and
the course kit's plumbing.
benchmarks/pipeline.py compares `make pipeline` against it (target: at most 1.5 x this).
"""

import importlib
import tempfile
import time
from pathlib import Path

started = time.perf_counter()

import joblib  # noqa: E402 (the imports are part of what is timed)
from capstone.config import load_params  # noqa: E402
from capstone.dataset import load_schema  # noqa: E402
from capstone.feed import generate_batch  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

params = load_params(Path("."))
package = params.project.package
clean = importlib.import_module(f"{package}.data.clean")
candidates = importlib.import_module(f"{package}.models.candidates")
# The plumbing is the course kit's (capstone.pipeline), as in the real stages.
split = importlib.import_module("capstone.pipeline.split")
train = importlib.import_module("capstone.pipeline.train")
evaluate = importlib.import_module("capstone.pipeline.evaluate")
scoring = importlib.import_module("capstone.pipeline.scoring")
splits = importlib.import_module("capstone.pipeline.splits")
# The thread settings the train stage starts with: without them the floor's gradient boosting
# oversubscribed the cores and took 2-4 times as long on a busy machine, flattering the ratio.
importlib.import_module("capstone.pipeline.runtime").calm_threads()

feed = params.data.model_extra["feed"]
settings = {**train.DEFAULTS, **params.model_extra["train"]}
split_settings = params.model_extra["split"]
schema = load_schema(params)
metric = scoring.metric_name(settings["metric"], schema.task)

raw, _ = generate_batch(params.data.dataset, rows=feed["rows"], seed=feed["seed"], batch=feed["batch"])
cleaned, _ = clean.clean_frame(raw, schema, params.data.dataset)
parts = split.split_positions(
    cleaned,
    schema,
    params.data.dataset,
    split_settings["valid_size"],
    split_settings["test_size"],
    split_settings["seed"],
)
data = {}
for name, rows in parts.items():
    frame = cleaned.iloc[rows]
    frame = frame[frame[schema.target].notna()]
    # The same column types the pipeline's train stage gets from read_split.
    data[name] = (splits.model_input(frame, schema), frame[schema.target].reset_index(drop=True))
(X, y), (X_valid, y_valid), (X_test, y_test) = data["train"], data["valid"], data["test"]

best = None
with tempfile.TemporaryDirectory() as cache:
    for candidate in candidates.candidates(schema, settings, y):
        pipeline = Pipeline([("features", candidate.features), ("model", candidate.model)])
        model, _ = train.fit(pipeline, candidate, schema, settings, metric, X, y, cache)
        valid = scoring.score(model, X_valid, y_valid, metric)
        if best is None or valid > best[0]:
            best = (valid, candidate.family, model)

valid, family, model = best
test = evaluate.evaluate(model, X_test, y_test, schema.task, metric)
evaluate.draw_plots(model, X_test, y_test, schema.task, metric, family, int(settings["seed"]))
joblib.dump(model, Path(tempfile.gettempdir()) / "floor-model.joblib")
print(f"floor: {family} valid {metric} {valid:.4f}, test {test['score']:.4f}; {time.perf_counter() - started:.1f} s")
