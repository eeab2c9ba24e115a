"""The hidden holdout: fresh rows the team has never seen, to score the champion on.

For a built-in domain the rows come from the company feed with a seed derived from the CI secret
CAPSTONE_HOLDOUT_SEED, which only the mentors know: no team can train on them. Without the secret
(on a laptop, or before the mentors set it) a public seed is used, and every report says so.
For a custom CSV the mentors provide the holdout file instead: CAPSTONE_HOLDOUT_PATH (a path or an
https URL, also a secret). Without it the team's own test split stands in, and the report says so.

The secret is never printed, logged or written: only whether it was set.
"""

import hashlib
import os
from dataclasses import dataclass

import pandas as pd

SECRET_VARIABLE = "CAPSTONE_HOLDOUT_SEED"
PATH_VARIABLE = "CAPSTONE_HOLDOUT_PATH"
# Any seed no stage, test or fixture uses; anyone can read it, hence "not secret".
PUBLIC_SEED = 918_273
HOLDOUT_ROWS = 5000


@dataclass(frozen=True)
class Holdout:
    frame: pd.DataFrame  # every column, the target included, as the feed delivers them (clean)
    secret: bool  # False: the rows can be known to the team, so the score proves less
    source: str  # where the rows came from, for the report (never the secret itself)


def seed_from_secret(secret: str) -> int:
    """Any text works as a secret; the seed is a hash of it (so the seed cannot be read back either)."""
    return int.from_bytes(hashlib.sha256(secret.encode("utf-8")).digest()[:4], "big")


def take_secrets() -> dict[str, str]:
    """Remove the holdout secrets from this process's environment and return them.

    The checkpoint imports the team's code and unpickles their model: neither must be able to
    read the secret from os.environ and write it somewhere a report or an artifact would carry it.
    """
    return {name: os.environ.pop(name) for name in (SECRET_VARIABLE, PATH_VARIABLE) if name in os.environ}


def secret_value(context, name: str) -> str:
    secrets = getattr(context, "secrets", None) or {}
    return (secrets.get(name) or os.environ.get(name, "")).strip()


def load_holdout(context, rows: int = HOLDOUT_ROWS) -> Holdout:
    params = context.params
    if params.data.dataset == "custom_csv":
        return _custom_holdout(context)
    from capstone.feed import generate_batch

    secret = secret_value(context, SECRET_VARIABLE)
    seed = seed_from_secret(secret) if secret else PUBLIC_SEED
    feed = params.data.model_extra.get("feed") or {}
    # The same delivery (batch) the team trains on, so drift does not blur the comparison; clean
    # rows, because the holdout scores the model, not the cleaning.
    frame, _ = generate_batch(params.data.dataset, rows=rows, seed=seed, batch=int(feed.get("batch", 1)), defects=False)
    if secret:
        return Holdout(frame, True, f"{rows} fresh rows from the feed, seeded by the {SECRET_VARIABLE} secret")
    return Holdout(frame, False, f"{rows} fresh rows from the feed with the public seed {PUBLIC_SEED}")


def _custom_holdout(context) -> Holdout:
    from capstone.feed import load_custom_csv

    settings = context.params.data.model_extra.get("custom_csv") or {}
    location = secret_value(context, PATH_VARIABLE)
    if location:
        loaded = load_custom_csv(location, settings.get("target"), settings.get("task") or None, context.root)
        return Holdout(loaded.frame, True, f"the mentors' holdout file ({PATH_VARIABLE})")
    frame = pd.read_csv(context.root / "data" / "split" / "test.csv")
    return Holdout(frame, False, "the team's own test split (data/split/test.csv): no mentor holdout file was set")
