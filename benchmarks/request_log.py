"""`make request-log-bench`: what the service's request log costs: requests/s at 16 clients, log on vs off.

    .venv/bin/python benchmarks/request_log.py                 # 3 runs each, 15 s per run, 20 000 rows
    .venv/bin/python benchmarks/request_log.py --runs 1 --seconds 5 --rows 3000   # a quick look

Bakes a reference team repo (churn) and runs `make pipeline` (benchmarks/run.py's Bench), then serves
its bento as `make serve` does (scripts/teamrepo.served) once per run, the request log on (params.yaml's
serve.request_log, as baked) and off (CAPSTONE_REQUEST_LOG=off), interleaved on, off, off, on, on, off
so that a drift in the machine's load hits both alike. Each run warms up with 20 requests, then 16
clients send reports/example_request.json to POST /predict for --seconds (benchmarks/load.py hammer).
After each "on" run the log is counted: it must hold a line for every record answered.

The figure is the median of the runs; the target (issue 17) is on >= 0.95 x off. Writes
benchmarks/request_log.json and prints a Markdown table row.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import hammer  # noqa: E402
from run import Bench, load_average  # noqa: E402  (also puts scripts/ on sys.path)
from teamrepo import free_port, http, served  # noqa: E402

OUT = HERE / "request_log.json"
TARGET = 0.95
WARM_UP = 20


def logged_lines(folder: Path) -> int:
    """Lines in the log and its rotated files."""
    return sum(len(path.read_bytes().splitlines()) for path in folder.glob("requests.jsonl*"))


def one_run(repo: Path, body: bytes, logging_on: bool, clients: int, seconds: float) -> dict:
    logs = repo / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    if logging_on:
        os.environ.pop("CAPSTONE_REQUEST_LOG", None)  # params.yaml's settings: logs/requests.jsonl
    else:
        os.environ["CAPSTONE_REQUEST_LOG"] = "off"  # served() passes the environment on
    load = load_average()
    try:
        with served(repo, port=free_port()) as url:
            for _ in range(WARM_UP):
                status, text = http("POST", f"{url}/predict", body)
                if status != 200:
                    raise RuntimeError(f"the service answered {status} to the example request: {text[:300]}")
            figures = asyncio.run(hammer(f"{url}/predict", body, clients, seconds))
    finally:
        os.environ.pop("CAPSTONE_REQUEST_LOG", None)
    # served() has stopped the server: the log's thread wrote what was queued at exit.
    records = len(json.loads(body)["records"])
    figures.update(logging=logging_on, load_start=load, load_end=load_average())
    figures.pop("samples", None)
    if logging_on:
        figures["logged_records"] = logged_lines(logs)
        figures["answered_records"] = (figures["ok"] + WARM_UP) * records
        if figures["logged_records"] < figures["answered_records"]:  # a client's timeout may be answered too
            raise RuntimeError(
                f"the log holds {figures['logged_records']} lines for {figures['answered_records']} records answered"
            )
    elif logs.exists() and logged_lines(logs):
        raise RuntimeError("the log was off, yet the service wrote to logs/")
    print(
        f"    log {'on ' if logging_on else 'off'}: {figures['throughput']} req/s, p50 {figures['p50_ms']} ms, "
        f"p99 {figures['p99_ms']} ms, errors {figures['errors']} (load {load})",
        flush=True,
    )
    return figures


def markdown(result: dict) -> str:
    met = "yes" if result["ok"] else "no"
    return "\n".join(
        [
            "| what | log on | log off | ratio | target | met |",
            "|---|---|---|---|---|---|",
            f"| service throughput, {result['meta']['clients']} clients, request log on vs off "
            f"(median of {result['meta']['runs']}) | {result['on_median']} req/s | {result['off_median']} req/s "
            f"| {result['ratio']} | >= {TARGET} | {met} |",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs with the log on, and as many with it off")
    parser.add_argument("--seconds", type=float, default=15, help="seconds of load per run")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--rows", type=int, help="rows of the team repo's data (default: params.yaml's 20 000)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the baked repo, the log)")
    args = parser.parse_args()
    args.quick = False

    bench = Bench(args)
    started = time.perf_counter()
    meta = dict(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cores=os.cpu_count(),
        python=platform.python_version(),
        command="python benchmarks/request_log.py " + " ".join(sys.argv[1:]),
        rows=args.rows or 20_000,
        runs=args.runs,
        seconds=args.seconds,
        clients=args.clients,
        body="reports/example_request.json",
        load_start=load_average(),
    )
    print(f"Request log benchmark; work folder {bench.work} (log: {bench.log})", flush=True)
    print("--> bake, make setup, make pipeline (reference, churn)", flush=True)
    repo = bench.piped_repo("reference")
    body = (repo / "reports" / "example_request.json").read_bytes()
    order = [(True, False), (False, True)]  # on, off, off, on, on, off, ...
    runs = {True: [], False: []}
    for index in range(args.runs):
        for logging_on in order[index % 2]:
            runs[logging_on].append(one_run(repo, body, logging_on, args.clients, args.seconds))
    on = statistics.median(run["throughput"] for run in runs[True])
    off = statistics.median(run["throughput"] for run in runs[False])
    ratio = round(on / off, 3) if off else None
    errors = sum(run["errors"] for run in runs[True] + runs[False])
    meta.update(load_end=load_average(), total_seconds=round(time.perf_counter() - started))
    result = dict(
        meta=meta,
        on_median=on,
        off_median=off,
        ratio=ratio,
        target=f"log on >= {TARGET} x log off, no errors",
        ok=bool(ratio is not None and ratio >= TARGET and errors == 0),
        on=runs[True],
        off=runs[False],
    )
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))
    print(f"\nWrote {OUT.relative_to(HERE.parent)}")
    if args.keep:
        print(f"Kept {bench.work}")
    else:
        shutil.rmtree(bench.work, ignore_errors=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
