"""Pipeline stage `clean`: the team's cleaning (hook `clean`) applied to the raw batch.

    python -m <package>.data.clean

Reads data/raw/batch.csv, calls the team's clean_frame (data/clean.py, declared in capstone.yaml
`hooks.clean`) and writes data/clean/clean.csv and reports/cleaning.json (rows in and out, and the
number of fixes of each kind the team's code reported).
"""

import json
import sys
from pathlib import Path

from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.hooks import HookError
from capstone.pipeline.stage import team_hooks

RAW = Path("data/raw/batch.csv")
CLEAN = Path("data/clean/clean.csv")
REPORT = Path("reports/cleaning.json")


def main() -> None:
    try:
        params = load_params(Path("."))
        hooks = team_hooks(params)
        clean_frame = hooks.get("clean")
    except (ConfigError, HookError) as problem:
        sys.exit(f"ERROR: {problem}")
    if not RAW.is_file():
        sys.exit(f"ERROR: {RAW} not found; run the ingest stage first (dvc repro ingest).")
    import pandas as pd

    schema = load_schema(params)
    raw = pd.read_csv(RAW)
    clean, fixes = clean_frame(raw, schema, params.data.dataset)
    if clean.empty:
        sys.exit(
            f"ERROR: cleaning left no rows of {len(raw)} in {RAW}; "
            f"check the rules in {hooks.target('clean')} (impute or drop the emptiest columns instead of rows)."
        )
    CLEAN.parent.mkdir(parents=True, exist_ok=True)
    clean.to_csv(CLEAN, index=False)
    report = dict(rows_in=len(raw), rows_out=len(clean), fixes=fixes)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    done = ", ".join(f"{kind} {count}" for kind, count in fixes.items() if count)
    print(f"clean: {len(raw)} rows in, {len(clean)} out -> {CLEAN}; fixes: {done or 'none'}")
