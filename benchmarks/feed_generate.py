"""Benchmark: the data feed generates 1 000 000 rows with all defects in <= 10 s and <= 1 GB, per domain.

Not a test: run it by hand on the target machine and copy the table into the feed's README.

    .venv/bin/python benchmarks/feed_generate.py                 # 1 000 000 rows, every domain
    .venv/bin/python benchmarks/feed_generate.py --rows 200000 --domain churn

Each domain runs in a fresh Python process, so the peak memory (the maximum resident set size from
resource.getrusage, imports included) belongs to that domain alone. Times are wall-clock seconds:
generate = generate_batch (clean rows, drift, every defect, the answer key); CSV / Parquet = writing
the data and the answer key; import = loading numpy, pandas, pyarrow and the feed.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "kit" / "src"  # the course kit, which holds the feed
DOMAINS = ("churn", "credit_default", "house_prices")
TARGET_SECONDS = 10.0
TARGET_MB = 1024.0


def measure_one(domain: str, rows: int, seed: int, batch: int) -> dict:
    """Run inside the child process: time each step and report the peak memory."""
    import resource

    started = time.perf_counter()
    sys.path.insert(0, str(PROJECT))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the template folder
    from capstone.feed import generate_batch, write_batch

    imported = time.perf_counter()
    frame, key = generate_batch(domain, rows, seed, batch)
    generated = time.perf_counter()
    peak_after_generate = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        write_batch(frame, key, Path(folder) / f"{domain}.csv")
        written_csv = time.perf_counter()
        write_batch(frame, key, Path(folder) / f"{domain}.parquet")
        written_parquet = time.perf_counter()
        sizes = {path.name: path.stat().st_size for path in Path(folder).iterdir()}
    return dict(
        domain=domain,
        rows=len(frame),
        columns=len(frame.columns),
        defect_rows=sum(entry["count"] or 0 for entry in key["defects"]),
        import_s=imported - started,
        generate_s=generated - imported,
        csv_s=written_csv - generated,
        parquet_s=written_parquet - written_csv,
        peak_generate_mb=peak_after_generate,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        csv_mb=sizes[f"{domain}.csv"] / 2**20,
        parquet_mb=sizes[f"{domain}.parquet"] / 2**20,
        key_mb=sizes[f"{domain}.defects.json"] / 2**20,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--domain", action="append", choices=DOMAINS, help="repeat for several; default: all")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.child, args.rows, args.seed, args.batch)))
        return

    results = []
    for domain in args.domain or DOMAINS:
        command = [sys.executable, __file__, "--child", domain, "--rows", str(args.rows), "--seed", str(args.seed)]
        command += ["--batch", str(args.batch)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    print(f"feed benchmark: {args.rows:,} rows, all defects, seed {args.seed}, batch {args.batch}")
    print(
        "| domain | generate (s) | + write CSV (s) | + write Parquet (s) | peak memory (MB) "
        "| CSV (MB) | Parquet (MB) | answer key (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    failed = []
    for r in results:
        print(
            f"| {r['domain']} | {r['generate_s']:.2f} | {r['csv_s']:.2f} | {r['parquet_s']:.2f} "
            f"| {r['peak_mb']:.0f} | {r['csv_mb']:.0f} | {r['parquet_mb']:.0f} | {r['key_mb']:.1f} |"
        )
        total = r["generate_s"] + r["csv_s"]
        if total > TARGET_SECONDS or r["peak_mb"] > TARGET_MB:
            failed.append(r["domain"])
    print(f"target: generate + write CSV <= {TARGET_SECONDS:.0f} s and peak memory <= {TARGET_MB:.0f} MB")
    print("verdict:", "all within target" if not failed else f"over target: {', '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
