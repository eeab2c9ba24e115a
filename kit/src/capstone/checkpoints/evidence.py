"""What the gates measure on: fresh deliveries from the feed, the team's cleaning and suites, the
champion's predictions. Loaders that take the Context; what they compute once per check is kept in
`context.evidence` (a typed record) or in a cache keyed by plain values.

The team's code is reached only through the declared hooks (context.hooks: capstone.hooks), and the
pipeline's plumbing through capstone.pipeline (imported on first use: it is heavy).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

from capstone.checkpoints.probes import labelled_rows, predictions, read_back

if TYPE_CHECKING:
    from capstone.checkpoints.context import Context

RAW_BATCH = "data/raw/batch.csv"  # a custom CSV as the pipeline ingested it
# The checkpoint's own deliveries: seeds no stage, test or fixture of the template uses, so the
# team's code is measured on data it has never seen (`other_seed` steps past the pipeline's seed).
CHECK_SEEDS = (20_251, 31_337, 52_021)
CHECK_ROWS = 10_000  # 50 rows even for a defect at 0.5 %, so one miss moves a share by 0.02 at most
# Holdout rows the behavioural checks of stage 3 predict on: enough to see any column at work, quick.
SAMPLE_ROWS = 1000


# --- deliveries ---------------------------------------------------------------------------------


def custom(context: Context) -> bool:
    """Whether the team brought its own CSV (no feed, no answer key)."""
    return context.params.data.dataset == "custom_csv"


def feed_settings(context: Context) -> dict:
    """params.yaml's data.feed (seed, rows, batch), {} when there is none."""
    return context.params.data.model_extra.get("feed") or {}


def other_seed(context: Context, index: int) -> int:
    """The index-th checkpoint seed, never the pipeline's own seed (params.yaml data.feed.seed)."""
    used = int(feed_settings(context).get("seed", 42))
    seed = CHECK_SEEDS[index]
    return seed + 1 if seed == used else seed


def feed_batch(context: Context) -> int:
    """The delivery the team works on (params.yaml data.feed.batch)."""
    return int(feed_settings(context).get("batch", 1))


def delivered_batch(context: Context, index: int = 0, batch: int | None = None, rows: int | None = None):
    """A fresh delivery from the feed, as the pipeline reads it (from CSV), and its answer key.

    index: which of the checkpoint's seeds (CHECK_SEEDS); batch: the team's batch when None;
    rows: CHECK_ROWS when None.
    """
    rows = CHECK_ROWS if rows is None else rows
    return delivery(context.params.data.dataset, rows, other_seed(context, index), batch or feed_batch(context))


@lru_cache(maxsize=8)
def delivery(dataset: str, rows: int, seed: int, batch: int):
    """(frame read back from CSV, answer key) of one feed delivery; cached, so stages 1 and 2 share it."""
    from capstone.feed import generate_batch

    frame, key = generate_batch(dataset, rows=rows, seed=seed, batch=batch)
    return read_back(frame), key


def team_raw_frame(context: Context):
    """A custom CSV as the pipeline ingested it (data/raw/batch.csv), else read from params.yaml's path."""
    import pandas as pd

    raw = context.root / RAW_BATCH
    if raw.is_file():
        return pd.read_csv(raw)
    from capstone.feed import load_custom_csv

    settings = context.params.data.model_extra.get("custom_csv") or {}
    loaded = load_custom_csv(settings.get("path"), settings.get("target"), settings.get("task") or None, context.root)
    return loaded.frame


def fresh_raw(context: Context):
    """The raw frame the suites and the cleaning are measured on: a fresh delivery, or the team's own CSV."""
    if custom(context):
        return read_back(team_raw_frame(context))
    return delivered_batch(context, index=0)[0]


# --- the team's cleaning and suites (hooks) -------------------------------------------------------


def cleaned(context: Context, raw):
    """The team's cleaning of `raw` (hook `clean`), read back as from CSV, its index kept (the raw row positions)."""
    kept = context.evidence.cleaned
    if id(raw) not in kept:
        frame, _ = context.hooks.clean(raw.copy(), context.schema, context.params.data.dataset)
        kept[id(raw)] = (raw, read_back(frame, keep_index=True))  # raw kept alive: its id stays unique
    return kept[id(raw)][1]


def team_suites(context: Context) -> dict[str, list]:
    """{"raw": [...], "clean": [...]}: what the team's suites hooks build, called as the validate stage calls them."""
    if context.evidence.suites is None:
        profile = custom_profile(context) if custom(context) else None
        hooks, schema, params = context.hooks, context.schema, context.params
        context.evidence.suites = dict(
            raw=hooks.raw_expectations(schema, params, profile=profile),
            clean=hooks.clean_expectations(schema, params, profile=profile),
        )
    return context.evidence.suites


def custom_profile(context: Context) -> dict:
    """A custom CSV's frozen profile (gx/custom_csv_profile.json), else one made in memory (not written)."""
    import json

    path = context.root / "gx" / "custom_csv_profile.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    from capstone.pipeline.validate import custom_profile as profile_of

    schema = context.schema
    return profile_of(read_back(team_raw_frame(context)), schema.target, schema.task)


def suite_input(context: Context, name: str):
    """A frame like the one suite `name` validates in the pipeline: a fresh delivery, raw or cleaned."""
    raw = fresh_raw(context)
    return raw if name == "raw" else cleaned(context, raw)


def run_suite(context: Context, name: str, frame, expectations: list | None = None) -> dict:
    """The pipeline's run_suite report for `frame` (suite "raw"/"clean" unless `expectations` are given).

    In an in-memory GX context (context.gx): gx/ is never touched.
    """
    from capstone.pipeline.validate import run_suite as validate

    if expectations is None:
        expectations = team_suites(context)[name.split("-")[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX and pandas deprecation noise; a gate never prints
        return validate(context.gx, name, expectations, frame)


# --- the champion's predictions -------------------------------------------------------------------


def call(function, *args):
    """Call pipeline or team code; its `sys.exit("ERROR: ...")` becomes an exception the check reports."""
    try:
        return function(*args)
    except SystemExit as stop:
        raise RuntimeError(f"{function.__module__}.{function.__name__} stopped: {stop.code}") from None


def sample_rows(context: Context, rows: int = SAMPLE_ROWS):
    """The first `rows` labelled holdout rows (the feed draws them at random already)."""
    return labelled_rows(context.holdout.frame, context.schema.target, rows)


def model_input(context: Context, frame):
    """What the model receives for raw rows: the pipeline's model_input (capstone.pipeline.splits)."""
    from capstone.pipeline.splits import model_input as to_input

    return call(to_input, frame, context.schema)


def champion_predict(context: Context, model=None):
    """predict(raw rows) -> the champion's (or `model`'s) predictions, made as the service makes them."""
    model = context.champion_model if model is None else model
    task = context.schema.task

    def predict(rows):
        return predictions(model, model_input(context, rows), task)

    return predict


def metric(context: Context, settings: dict | None = None) -> str:
    """The scikit-learn scorer train.metric names (capstone.pipeline.scoring.metric_name)."""
    from capstone.pipeline.scoring import metric_name

    if settings is None:
        settings = context.params.model_extra.get("train") or {}
    return call(metric_name, settings.get("metric"), context.schema.task)
