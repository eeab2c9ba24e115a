"""What the stage-6 gates show the team's monitor: its training data, and batches whose drift is known.

Built-in datasets: fresh deliveries of the feed on the checkpoint's own seeds, without the
catalogued defects (only drift differs), whose answer key lists the drift events. All relative to
the delivery the team trains on (data.feed.batch):
- clean: that delivery again, other customers: a right monitor raises no alarm and does not retrain;
- drifted: the latest batch whose inputs drift (new category, distribution shift, unit and format
  changes): a right monitor flags those columns and no others;
- concept: the first batch with concept drift, labelled: the inputs look the same, the model's
  quality drops, a right monitor retrains (after a retrain past it: half the labels shuffled).
A custom CSV has no feed and no answer key, so the drift is made here, on its own test split: one
numeric column switches unit (x100), one category column gets a new value in 30 % of the rows, and
the "concept" rows keep their inputs while half their labels are shuffled between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from capstone.checkpoints import evidence
from capstone.checkpoints.registry import NotReady

ROWS = 5_000
SPLIT = "data/split/{}.csv"
UNIT_FACTOR = 100.0
NEW_CATEGORY = "NEW-CATEGORY"
NEW_SHARE = 0.3
INPUT_KINDS = ("new_category", "distribution_shift", "unit_change", "format_change")


@dataclass
class Case:
    """Rows for the monitor: their model input, their labels (None: not yet), the drift they carry."""

    name: str
    X: object
    y: object = None
    events: dict[str, str] = field(default_factory=dict)  # column -> drift kind, as the answer key says


def reference(context):
    """The team's training rows as the model sees them (data/split/train.csv): what the monitor compares with."""
    return split(context, "train")


def split(context, name: str):
    import pandas as pd

    path = context.root / SPLIT.format(name)
    if not path.is_file():
        raise NotReady(f"{SPLIT.format(name)} is missing: run `make pipeline`")
    frame = pd.read_csv(path)
    frame = frame[frame[context.schema.target].notna()].reset_index(drop=True)
    return evidence.model_input(context, frame), frame[context.schema.target]


def cases(context) -> dict[str, Case]:
    """{"clean", "drifted", "concept"}: see the module's docstring.

    Relative to the delivery the team trains on (data.feed.batch, b): the clean batch is b again
    (other customers), the drifted batch the latest one whose inputs drift, counting only the events
    that started after b (and the shifts, which grow with every batch). After a retrain on or past
    the concept drift, no later delivery changes the concept again: the concept case is then made
    from batch b, half its labels shuffled between rows.
    """
    if evidence.custom(context):
        return _made_cases(context)
    dataset, schema = context.params.data.dataset, context.schema
    features = set(schema.feature_columns)
    trained = evidence.feed_batch(context)
    events = _events(dataset)
    drifted_batch = max((event["from_batch"] for event in events if event["kind"] in INPUT_KINDS), default=1)
    drifted_batch = max(drifted_batch, trained + 1)
    concept_batch = min((event["from_batch"] for event in events if event["kind"] == "concept_drift"), default=None)
    if concept_batch is not None and concept_batch <= trained:
        concept_batch = None
    found = {}
    for name, index, batch in (("clean", 0, trained), ("drifted", 1, drifted_batch), ("concept", 2, concept_batch)):
        if batch is None:
            continue
        frame, key = _delivery(dataset, evidence.other_seed(context, index), batch)
        seen = {
            entry["column"]: entry["kind"]
            for entry in key["drift"]
            if entry["kind"] in INPUT_KINDS
            and entry["column"] in features
            and (entry["from_batch"] > trained or entry["kind"] == "distribution_shift")
        }
        found[name] = Case(
            name, evidence.model_input(context, frame), frame[schema.target], seen if batch > trained else {}
        )
    if "concept" not in found:
        clean = found["clean"]
        found["concept"] = Case("concept", clean.X, shuffled_labels(clean.y))
    return found


def shuffled_labels(y):
    """y with half its values shuffled between rows: the inputs stay, what they predict changes."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    values = y.to_numpy().copy()
    half = rng.choice(len(values), len(values) // 2, replace=False)
    values[half] = values[rng.permutation(half)]
    return pd.Series(values, name=y.name)


def delivery_rows(context, batch: int):
    """(frame, answer key) of delivery `batch` on a checkpoint seed the pipeline never used, without defects."""
    return _delivery(context.params.data.dataset, evidence.other_seed(context, 2), batch)


@lru_cache(maxsize=1)
def _events(dataset: str) -> list[dict]:
    from capstone.feed import get_domain
    from capstone.feed.drift import key_entries

    return key_entries(get_domain(dataset).drift, batch=1_000)


@lru_cache(maxsize=4)
def _delivery(dataset: str, seed: int, batch: int):
    from capstone.feed import generate_batch

    frame, key = generate_batch(dataset, ROWS, seed, batch, defects=False)
    return evidence.read_back(frame), key


def _made_cases(context) -> dict[str, Case]:
    import numpy as np

    schema = context.schema
    X, y = split(context, "test")
    drifted, events = X.copy(), {}
    numeric = [name for name in schema.numeric if X[name].notna().sum() > 1 and X[name].std() > 0]
    if numeric:
        column = max(numeric, key=lambda name: X[name].notna().sum())
        drifted[column] = X[column] * UNIT_FACTOR
        events[column] = "unit_change"
    if schema.categorical:
        column = schema.categorical[0]
        rng = np.random.default_rng(0)
        rows = rng.random(len(X)) < NEW_SHARE
        drifted.loc[rows, column] = NEW_CATEGORY
        events[column] = "new_category"
    return dict(
        clean=Case("clean", X, y),
        drifted=Case("drifted", drifted, None, events),
        concept=Case("concept", X, shuffled_labels(y)),
    )
