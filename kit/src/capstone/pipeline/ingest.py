"""Stage 1: ingest the raw batch into data/raw/batch.csv.

`python -m <package>.data.ingest` takes the data named by `data` in params.yaml:
- a built-in company (churn, credit_default, house_prices): the delivery `data.feed.batch` with
  `data.feed.rows` rows and `data.feed.seed`. Its answer key (the defects, row by row) is not
  written: the team discovers them (stage 1), and the checkpoints make their own;
- custom_csv: the team's own file `data.custom_csv.path` with the target `data.custom_csv.target`,
  without the columns of `data.custom_csv.drop`, its `dates` columns written as ISO dates, at most
  `data.custom_csv.max_rows` rows (a fixed sample). A dirty target (placeholders, missing labels,
  mixed case) is kept as it is, for clean.py, and said.

DVC tracks data/raw (the stage's output), so `dvc push` shares exactly this batch.
"""

import shutil
import sys
from pathlib import Path

from capstone.config import ConfigError, custom_csv_settings, load_params
from capstone.pipeline.stage import check_kit_version

RAW_DIR = Path("data/raw")
RAW = RAW_DIR / "batch.csv"


def ingest_feed(dataset: str, settings: dict) -> str:
    from capstone.feed import generate_batch
    from capstone.feed.io import write_table

    batch, rows, seed = settings.get("batch", 1), settings.get("rows", 20_000), settings.get("seed", 42)
    frame, _ = generate_batch(dataset, rows=rows, seed=seed, batch=batch)
    fresh_raw_dir()
    write_table(frame, RAW)
    return f"ingest: {dataset} batch {batch} (seed {seed}): {len(frame):,} rows x {frame.shape[1]} columns -> {RAW}"


def ingest_custom(params) -> str:
    from capstone.feed import load_custom_csv
    from capstone.feed.custom_csv import suggest_roles

    settings = custom_csv_settings(params)
    loaded = load_custom_csv(
        settings.path, settings.target, settings.task or None, root=Path("."), roles=settings.roles()
    )
    print(loaded.note)
    for line in loaded.notes:
        print(f"ingest: {line}")
    declared = {name for names in loaded.roles.values() for name in names}
    suggested = [(name, role) for name, role, _ in suggest_roles(loaded.frame, loaded.target) if name not in declared]
    if suggested:
        shown = ", ".join(f"{name!r} ({role})" for name, role in suggested[:8])
        more = f" and {len(suggested) - 8} more" if len(suggested) > 8 else ""
        print(
            f"ingest: columns that look like ids, dates, free text or nothing worth keeping: {shown}{more}; "
            "give them roles under data.custom_csv in params.yaml if they are (capstone data profile says why)"
        )
    frame = loaded.frame
    if settings.max_rows and len(frame) > settings.max_rows:
        # A fixed sample (the same rows on every run and machine), in the file's order.
        frame = frame.sample(n=settings.max_rows, random_state=0).sort_index()
        print(
            f"ingest: data.custom_csv.max_rows is {settings.max_rows:,}: a fixed sample of {len(loaded.frame):,} rows"
        )
    fresh_raw_dir()
    frame.to_csv(RAW, index=False)
    return (
        f"ingest: {settings.path}: {len(frame):,} rows x {frame.shape[1]} columns, "
        f"target {loaded.target!r} ({loaded.task}) -> {RAW}"
    )


def fresh_raw_dir() -> None:
    """An empty data/raw/, so no file of an earlier dataset (an old answer key) lingers.

    Called once the new data is in hand: a failed ingest leaves the last good data/raw/ in place.
    """
    shutil.rmtree(RAW_DIR, ignore_errors=True)
    RAW_DIR.mkdir(parents=True)


def main() -> None:
    from capstone.feed import FeedError

    try:
        params = load_params(Path("."))
        check_kit_version(params)
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    dataset = params.data.dataset
    section = "custom_csv" if dataset == "custom_csv" else "feed"
    settings = (params.data.model_extra or {}).get(section)
    if not isinstance(settings, dict):
        sys.exit(f"ERROR: params.yaml has no data.{section} section; add it (see the template's params.yaml).")
    try:
        summary = ingest_custom(params) if dataset == "custom_csv" else ingest_feed(dataset, settings)
    except (FeedError, ConfigError) as problem:
        kept = " (data/raw/ keeps the last good data)" if RAW.is_file() else ""
        sys.exit(f"ERROR: {problem}{kept}")
    print(summary)


if __name__ == "__main__":
    main()
