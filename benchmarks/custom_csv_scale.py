"""A custom CSV at scale: the reference's `make pipeline` on the team's own file of 1M rows.

    .venv/bin/python benchmarks/custom_csv_scale.py                 # 1,000,000 rows (about 8 minutes)
    .venv/bin/python benchmarks/custom_csv_scale.py --rows 100000   # a quicker look

The file is a churn export as a company would hand it over (ids, two date columns, free text,
placeholders, copies): the feed's churn data written as one plain CSV, with the leaky column
dropped. The team's roles are set in params.yaml as `capstone data profile` suggests them. The
target (issue: bring your own data) is at most 600 s and 3 GB peak memory on 2 cores. The figures
go to benchmarks/custom_csv_scale.json and are printed as a Markdown row.
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Bench, load_average, measure, team_env  # noqa: E402

ROLES = dict(
    target="churned",
    task="binary",
    ids=["customer_id"],
    dates=["signup_date", "last_payment_date"],
    text=["last_ticket_note"],
    drop=["retention_team_contacted"],
)
TARGET_SECONDS, TARGET_MB = 600, 3 * 1024


def write_csv(path: Path, rows: int) -> float:
    """The team's file: `rows` rows of the churn feed as one CSV; returns its size in MB."""
    from capstone.feed import generate_batch

    frame, _ = generate_batch("churn", rows, 7, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path.stat().st_size / 1e6


def set_roles(params: Path, csv: str) -> None:
    text = params.read_text(encoding="utf-8")
    for key, value in dict(path=csv, **ROLES).items():
        pattern = re.compile(rf"^(\s+{key}:)[ \t]*(\"\"|\[\]|[^\s#]+)", re.MULTILINE)
        text = pattern.sub(lambda match, v=value: f"{match.group(1)} {json.dumps(v)}", text, count=1)
    params.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    bench = Bench(argparse.Namespace(rows=None, quick=False))
    repo = bench.bake("bench-custom", scaffold="reference", dataset="custom_csv")
    started = time.perf_counter()
    megabytes = write_csv(repo / "data" / "external" / "data.csv", args.rows)
    written = time.perf_counter() - started
    set_roles(repo / "params.yaml", "data/external/data.csv")
    measure(["make", "setup"], repo, team_env(repo), bench.log)
    load = load_average()
    sample = measure(["make", "pipeline"], repo, team_env(repo), bench.log, check=False)
    result = dict(
        rows=args.rows,
        csv_mb=round(megabytes, 1),
        csv_write_s=round(written, 1),
        seconds=round(sample["seconds"], 1),
        peak_mb=round(sample["peak_mb"]),
        exit=sample["code"],
        load_before=load,
        ok=sample["code"] == 0 and sample["seconds"] <= TARGET_SECONDS and sample["peak_mb"] <= TARGET_MB,
        target=f"<= {TARGET_SECONDS} s, <= {TARGET_MB // 1024} GB",
    )
    (HERE / "custom_csv_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| rows | CSV | make pipeline | peak memory | target | met |")
    print("|---:|---:|---:|---:|---|---|")
    print(
        f"| {args.rows:,} | {megabytes:.0f} MB | {result['seconds']:.0f} s | {result['peak_mb']:,} MB "
        f"| {result['target']} | {'yes' if result['ok'] else 'no'} |"
    )
    print(f"log: {bench.log}" + ("" if sample["code"] == 0 else f" (make pipeline failed: exit {sample['code']})"))
    if not args.keep and sample["code"] == 0:
        import shutil

        shutil.rmtree(bench.work, ignore_errors=True)
    else:
        print(f"work folder: {bench.work}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
