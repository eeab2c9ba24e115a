"""The hidden holdout: fresh rows the team has never seen, to score the champion on.

For a built-in domain the rows come from the company feed with a seed derived from the secret
CAPSTONE_HOLDOUT_SEED, which only the mentors know: no team can train on them. Without the secret
(on a laptop, or before the mentors set it) a public seed is used, and every report says so.
For a custom CSV the mentors provide the holdout file instead: CAPSTONE_HOLDOUT_PATH (a path, or an
https URL that may carry a token, also a secret). Without it the team's own test split stands in,
and the report says so.

In the course's checkpoint both secrets live in the GitHub Environment `holdout`, and only the
grading jobs that run no team code read them (capstone.grading). Neither the seed nor the file's
location is ever printed, logged or written: reports say "the mentors' holdout".
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SECRET_VARIABLE = "CAPSTONE_HOLDOUT_SEED"
PATH_VARIABLE = "CAPSTONE_HOLDOUT_PATH"
SECRETS = (SECRET_VARIABLE, PATH_VARIABLE)
# Any seed no stage, test or fixture uses; anyone can read it, hence "not secret".
PUBLIC_SEED = 918_273
HOLDOUT_ROWS = 5000
MENTORS_FILE = "the mentors' holdout"
URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


@dataclass(frozen=True)
class Holdout:
    frame: pd.DataFrame  # every column, the target included, as the feed delivers them (clean)
    secret: bool  # False: the rows can be known to the team, so the score proves less
    source: str  # where the rows came from, for the report (never the secret itself)
    target: str = ""
    task: str = ""

    def labelled(self) -> pd.DataFrame:
        """The rows with a label, the ones the champion is scored on."""
        return self.frame[self.frame[self.target].notna()].reset_index(drop=True)


class HoldoutProblem(Exception):
    """The mentors' holdout cannot be used: the mentors' problem, not the team's. Never names the location."""


def seed_from_secret(secret: str) -> int:
    """Any text works as a secret; the seed is a hash of it (so the seed cannot be read back either)."""
    # 128 bits: the team's code sees the holdout's features, so a small seed could be searched for.
    return int.from_bytes(hashlib.sha256(secret.encode("utf-8")).digest()[:16], "big")


def take_secrets() -> dict[str, str]:
    """Remove the holdout secrets from this process's environment and return them.

    `capstone check` imports the team's code and unpickles their model: neither must be able to read
    the secret from os.environ and write it somewhere a report or an artifact would carry it.
    """
    return {name: os.environ.pop(name) for name in SECRETS if name in os.environ}


def secret_value(context, name: str) -> str:
    secrets = getattr(context, "secrets", None) or {}
    return (secrets.get(name) or os.environ.get(name, "")).strip()


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret and every URL replaced: safe for a report, a log or an error."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MENTORS_FILE)
    return URL.sub(MENTORS_FILE, text)


def load_holdout(context, rows: int = HOLDOUT_ROWS) -> Holdout:
    params = context.params
    if params.data.dataset == "custom_csv":
        return _custom_holdout(context)
    from capstone.feed import generate_batch, get_domain

    domain = get_domain(params.data.dataset)
    secret = secret_value(context, SECRET_VARIABLE)
    seed = seed_from_secret(secret) if secret else PUBLIC_SEED
    feed = params.data.model_extra.get("feed") or {}
    # The same delivery (batch) the team trains on, so drift does not blur the comparison; clean
    # rows, because the holdout scores the model, not the cleaning.
    frame, _ = generate_batch(params.data.dataset, rows=rows, seed=seed, batch=int(feed.get("batch", 1)), defects=False)
    if secret:
        source = f"{rows} fresh rows from the feed, seeded by the {SECRET_VARIABLE} secret"
    else:
        source = f"{rows} fresh rows from the feed with the public seed {PUBLIC_SEED}"
    return Holdout(frame, bool(secret), source, domain.target, domain.task)


def _custom_holdout(context) -> Holdout:
    settings = context.params.data.model_extra.get("custom_csv") or {}
    location = secret_value(context, PATH_VARIABLE)
    if location:
        return mentors_holdout(location, settings, context.root)
    frame = pd.read_csv(context.root / "data" / "split" / "test.csv")
    source = "the team's own test split (data/split/test.csv): no mentor holdout file was set"
    return Holdout(frame, False, source, context.schema.target, context.schema.task)


def mentors_holdout(location: str, settings: dict, root) -> Holdout:
    """The mentors' holdout file, checked: readable CSV, the team's target with clean labels, the declared task.

    Every problem is a HoldoutProblem whose one line names what is wrong, never where the file is.
    """
    from capstone.feed import FeedError, load_custom_csv
    from capstone.feed.custom_csv import is_placeholder

    target, declared = str(settings.get("target") or ""), str(settings.get("task") or "").strip().lower()
    if "://" not in location and not Path(location).is_absolute():
        # A relative path would be read inside the team's checkout, which the team writes.
        raise HoldoutProblem(f"{MENTORS_FILE} must be an https URL or an absolute path outside the team's repository")
    # The team's date columns are read as the pipeline reads them (ISO dates); the other roles need nothing.
    dates = [str(name) for name in (settings.get("dates") or [])] if isinstance(settings.get("dates"), list) else []
    try:
        loaded = load_custom_csv(location, target, declared or None, root, roles={"dates": dates})
    except FeedError as problem:
        raise HoldoutProblem(f"{MENTORS_FILE} cannot be used: {redact(str(problem), location)}") from None
    except Exception as problem:  # noqa: BLE001 (whatever it is, its text may hold the location)
        raise HoldoutProblem(
            f"{MENTORS_FILE} cannot be read ({type(problem).__name__}): {redact(str(problem), location)}"
        ) from None
    missing = int(is_placeholder(loaded.frame[loaded.target]).sum())  # "." or "?" is no label either
    if missing:
        raise HoldoutProblem(
            f"{MENTORS_FILE} has {missing} rows without a label in {loaded.target!r}: "
            "a holdout needs clean labels (drop or fix those rows in the mentors' file)"
        )
    classes = loaded.frame[loaded.target].nunique()
    if (declared and loaded.task != declared) or (declared == "binary" and classes != 2):
        raise HoldoutProblem(
            f"{MENTORS_FILE} does not fit the declared task {declared!r}: its labels look like {loaded.task} "
            f"({classes} distinct values)"
        )
    return Holdout(loaded.frame, True, MENTORS_FILE, loaded.target, loaded.task)


def check_columns(columns, feature_columns) -> None:
    """The holdout must have every feature column of the team's data; HoldoutProblem names the missing ones."""
    missing = [name for name in feature_columns if name not in set(columns)]
    if missing:
        shown = ", ".join(repr(name) for name in missing[:8]) + (
            f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        )
        raise HoldoutProblem(f"{MENTORS_FILE} lacks columns of the team's data: {shown}")
