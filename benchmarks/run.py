"""`make bench`: the template's benchmarks in one run: one table, benchmarks/results.json and results.md.

    .venv/bin/python benchmarks/run.py                        # items 1-4, 6, 7 (8 from --junit if given)
    .venv/bin/python benchmarks/run.py --only serving         # one item; repeat --only for several
    .venv/bin/python benchmarks/run.py --only scale           # 5: 10k, 100k, 1M rows (long: make bench-scale)
    .venv/bin/python benchmarks/run.py --only tests --full-tier   # 8: the whole test suite (26.5 min, 2 cores)
    .venv/bin/python benchmarks/run.py --quick                # small settings, to check the runner itself

Items (the issue's numbering): 1 bake, 2 setup (fresh bake -> make setup), 3 pipeline (make pipeline vs its
plain-script floor, both scaffolds), 4 feed (1M rows per domain), 5 scale, 6 serving (BentoML vs a bare
Starlette endpoint, 1 and 16 clients, and a 60 s soak at 32 clients), 7 check (capstone check all),
8 tests (the template's full test suite).

Every figure is the median of --runs runs (bake: 11) with its min and max, the peak memory (the largest
single process: ru_maxrss of the waited-for children, read in a small probe process per command), and,
where a floor exists, the floor measured in the same run, interleaved with the real thing, and the ratio.
The 1-minute load average is recorded before and after each item: on a shared machine the figures
are only as good as that number (2 cores: anything above ~0.5 at the start means noise).
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
sys.path.insert(0, str(TEMPLATE / "scripts"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from load import hammer, tree_rss_mb  # noqa: E402
from teamrepo import free_port, http, served, team_env, template_snapshot  # noqa: E402

ITEMS = ("bake", "setup", "pipeline", "feed", "scale", "serving", "check", "grade", "tests", "lines")
DEFAULT_ITEMS = ("lines", "bake", "setup", "pipeline", "feed", "serving", "check", "grade", "tests")
DOMAINS = ("churn", "credit_default", "house_prices")
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"


# --- measuring one command ----------------------------------------------------------------------


def probe_main(out: str, command: list[str]) -> int:
    """In the probe process: run the command, then write its wall time and its children's peak memory."""
    started = time.perf_counter()
    code = subprocess.run(command).returncode
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    Path(out).write_text(json.dumps(dict(seconds=seconds, peak_mb=peak_kb / 1024, code=code)))
    return 0


def measure(command: list[str], cwd: Path, env: dict, log: Path, check: bool = True) -> dict:
    """Run `command` in a fresh probe process (so the peak memory is this command's alone)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    with log.open("a") as sink:
        sink.write(f"\n$ (cd {cwd} && {' '.join(map(str, command))})\n")
        sink.flush()
        subprocess.run(
            [sys.executable, __file__, "--probe", out, "--", *map(str, command)],
            cwd=cwd,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=True,
        )
    sample = json.loads(Path(out).read_text())
    os.unlink(out)
    if check and sample["code"] != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed (exit {sample['code']}) in {cwd}; see {log}")
    return sample


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def summary(samples: list[dict]) -> dict:
    seconds = [sample["seconds"] for sample in samples]
    return dict(
        runs=[round(value, 2) for value in seconds],
        median=round(statistics.median(seconds), 2),
        min=round(min(seconds), 2),
        max=round(max(seconds), 2),
        peak_mb=round(max(sample["peak_mb"] for sample in samples)),
    )


def row(item: str, what: str, samples: list[dict], target: str, ok: bool | None, **extra) -> dict:
    return dict(item=item, what=what, **summary(samples), target=target, ok=ok, **extra)


# --- team repositories --------------------------------------------------------------------------


class Bench:
    """Settings, the work folder, the log, and the team repos baked so far (shared between items)."""

    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="ml-capstone-bench-"))
        self.log = self.work / "bench.log"
        self.config = self.work / "cookiecutter.yaml"
        self.config.write_text(f"cookiecutters_dir: {self.work / 'cc'}\nreplay_dir: {self.work / 'replay'}\n")
        self.repos: dict[str, Path] = {}
        self.piped: set[str] = set()

    def bake(self, name: str, **answers) -> Path:
        from cookiecutter.main import cookiecutter

        out = self.work / name
        return Path(
            cookiecutter(
                str(template_snapshot()),  # a bake installs the kit from its template's git repo
                no_input=True,
                output_dir=str(out),
                config_file=str(self.config),
                extra_context={"project_slug": name, **answers},
            )
        )

    def run(self, repo: Path, *command: str) -> dict:
        return measure(list(command), repo, team_env(repo), self.log)

    def repo(self, scaffold: str) -> Path:
        """A baked team repo of the scaffold with `make setup` done (rows from --rows)."""
        if scaffold not in self.repos:
            repo = self.bake(f"bench-{scaffold}", scaffold=scaffold)
            if self.args.rows:
                set_rows(repo, self.args.rows)
            self.run(repo, "make", "setup")
            self.repos[scaffold] = repo
        return self.repos[scaffold]

    def piped_repo(self, scaffold: str = "reference") -> Path:
        """The repo with `make pipeline` done (by the pipeline item, or now)."""
        repo = self.repo(scaffold)
        if scaffold not in self.piped:
            self.run(repo, "make", "pipeline")
            self.piped.add(scaffold)
        return repo


def set_rows(repo: Path, rows: int) -> None:
    """Set data.feed.rows and commit it: the checkpoints grade a committed workspace."""
    params = repo / "params.yaml"
    params.write_text(re.sub(r"(?m)^(    rows: )\d+", rf"\g<1>{rows}", params.read_text()))
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *identity, "commit", "-q", "--no-verify", "-am", f"{rows} rows"], cwd=repo, check=False)


def fresh(repo: Path) -> None:
    """Back to the state right after `make setup`: no data, no runs, no store, no DVC cache.

    Only untracked and ignored files go (the pipeline changes no tracked file), so params.yaml stays.
    """
    subprocess.run(["git", "clean", "-fdxq", "-e", ".venv", "-e", "uv.lock"], cwd=repo, check=True)


# --- the items ----------------------------------------------------------------------------------


def bench_bake(bench: Bench) -> list[dict]:
    """1. cookiecutter <template> --no-input as an instructor runs it; floor: copy the files + git commit."""
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    runs = 3 if bench.args.quick else 11
    bakes, floors = [], []
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid"}
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for index in range(runs):
        out = bench.work / f"bake{index}"
        bakes.append(
            measure(
                [cookiecutter, TEMPLATE, "--no-input", "--config-file", bench.config, "-o", out],
                bench.work,
                env,
                bench.log,
            )
        )
        floor = bench.work / f"floor{index}"
        # What any bake must do at least: write the files and make the first commit.
        script = (
            f"cp -r '{TEMPLATE}/{{{{cookiecutter.project_slug}}}}' '{floor}' && cd '{floor}' && "
            "git init -q && git add -A && git commit -qm floor"
        )
        floors.append(measure(["bash", "-c", script], bench.work, env, bench.log))
    floor = statistics.median(sample["seconds"] for sample in floors)
    result = row("1", "bake (cookiecutter --no-input)", bakes, "<= 3 s", None, floor=round(floor, 2))
    result["ratio"] = round(result["median"] / floor, 2)
    result["ok"] = result["median"] <= 3.0
    result["command"] = "cookiecutter <template> --no-input (new process each); floor: cp -r + git init/add/commit"
    return [result]


def bench_setup(bench: Bench) -> list[dict]:
    """2. fresh bake -> make setup (warm uv cache); floor: uv sync --frozen from the lock file it wrote."""
    totals, floors = [], []
    runs = 1 if bench.args.quick else bench.args.runs
    for index in range(runs):
        started = time.perf_counter()
        repo = bench.bake(f"setup{index}")
        baked = time.perf_counter() - started
        sample = bench.run(repo, "make", "setup")
        sample["seconds"] += baked
        totals.append(sample)
        # The floor: only installing the locked environment, nothing resolved, no git hooks.
        shutil.rmtree(repo / ".venv")
        floors.append(bench.run(repo, "uv", "sync", "--frozen", "--quiet"))
        shutil.rmtree(repo.parent, ignore_errors=True)
    floor = statistics.median(sample["seconds"] for sample in floors)
    result = row("2", "fresh bake -> make setup (warm uv cache)", totals, "<= 30 s", None, floor=round(floor, 2))
    result["ratio"] = round(result["median"] / floor, 2)
    result["ok"] = result["median"] <= 30.0
    result["command"] = "bake + make setup (uv sync, pre-commit install); floor: rm -rf .venv && uv sync --frozen"
    return [result]


def pipeline_and_floor(bench: Bench, repo: Path, runs: int) -> tuple[list[dict], list[dict]]:
    """`make pipeline` from a fresh state and the floor script, interleaved, `runs` times each."""
    pipelines, floors = [], []
    python = str(repo / ".venv" / "bin" / "python")
    for index in range(runs):
        if index:
            fresh(repo)
        pipelines.append(bench.run(repo, "make", "pipeline"))
        floors.append(bench.run(repo, python, str(HERE / "pipeline_floor.py")))
    return pipelines, floors


def bench_pipeline(bench: Bench) -> list[dict]:
    """3. make pipeline on the default data, both scaffolds, against pipeline_floor.py."""
    results = []
    for scaffold in ("skeleton", "reference"):
        repo = bench.repo(scaffold)
        fresh(repo)
        rows = yaml.safe_load((repo / "params.yaml").read_text())["data"]["feed"]["rows"]
        pipelines, floors = pipeline_and_floor(bench, repo, bench.args.runs)
        bench.piped.add(scaffold)
        floor = statistics.median(sample["seconds"] for sample in floors)
        result = row(
            "3",
            f"make pipeline, {scaffold}, {rows:,} rows",
            pipelines,
            "<= 60 s and <= 1.5x floor",
            None,
            floor=round(floor, 2),
            floor_runs=[round(sample["seconds"], 2) for sample in floors],
            floor_peak_mb=round(max(sample["peak_mb"] for sample in floors)),
        )
        result["ratio"] = round(result["median"] / floor, 2)
        result["ok"] = result["median"] <= 60 and result["ratio"] <= 1.5
        result["command"] = "make pipeline (from a fresh state); floor: .venv/bin/python benchmarks/pipeline_floor.py"
        results.append(result)
    return results


def bench_feed(bench: Bench) -> list[dict]:
    """4. the data feed: 1 000 000 rows with every defect, generated and written as CSV, per domain."""
    rows = 100_000 if bench.args.quick else 1_000_000
    domains = DOMAINS[:1] if bench.args.quick else DOMAINS
    results = []
    for domain in domains:
        samples = []
        for _ in range(1 if bench.args.quick else bench.args.runs):
            command = [sys.executable, str(HERE / "feed_generate.py"), "--child", domain, "--rows", str(rows)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            seconds = measured["generate_s"] + measured["csv_s"]
            samples.append(dict(seconds=seconds, peak_mb=measured["peak_mb"]))
        result = row("4", f"feed: {rows:,} rows, {domain} (generate + CSV)", samples, "<= 10 s, <= 1 GB", None)
        result["ok"] = result["median"] <= 10 and result["peak_mb"] <= 1024
        result["command"] = f"benchmarks/feed_generate.py --rows {rows} --domain {domain}"
        results.append(result)
    return results


def bench_scale(bench: Bench) -> list[dict]:
    """5. make pipeline (reference) at 10k, 100k and 1M rows: time, peak memory, growth exponent."""
    sizes = [2_000, 5_000, 10_000] if bench.args.quick else [10_000, 100_000, 1_000_000]
    repo = bench.repo("reference")
    results, times = [], []
    for rows in sizes:
        set_rows(repo, rows)
        fresh(repo)
        pipelines, floors = pipeline_and_floor(bench, repo, 1)
        floor = floors[0]["seconds"]
        result = row(
            "5",
            f"make pipeline, reference, {rows:,} rows",
            pipelines,
            "<= 600 s, <= 6 GB at 1M",
            None,
            floor=round(floor, 2),
            floor_peak_mb=round(floors[0]["peak_mb"]),
        )
        result["ratio"] = round(result["median"] / floor, 2)
        result["ok"] = rows < 1_000_000 or (result["median"] <= 600 and result["peak_mb"] <= 6144)
        result["command"] = f"make pipeline with data.feed.rows: {rows}"
        results.append(result)
        times.append(result["median"])
    # The growth exponent: the slope of log(time) against log(rows). 1.0 is linear.
    exponent = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
    memory = float(np.polyfit(np.log(sizes), np.log([r["peak_mb"] for r in results]), 1)[0])
    for result in results:
        result["growth_exponent"] = round(exponent, 2)
        result["memory_exponent"] = round(memory, 2)
    results[-1]["ok"] = results[-1]["ok"] and exponent <= 1.0
    bench.piped.discard("reference")
    set_rows(repo, bench.args.rows or 20_000)
    fresh(repo)
    return results


def bench_serving(bench: Bench) -> list[dict]:
    """6. BentoML vs a bare uvicorn + Starlette endpoint (same model, same work, 1 worker), and a soak."""
    repo = bench.piped_repo("reference")
    body = (repo / "reports" / "example_request.json").read_bytes()
    seconds = 5 if bench.args.quick else bench.args.serving_seconds
    soak_seconds = 10 if bench.args.quick else bench.args.soak_seconds
    figures: dict[str, dict] = {}
    started_load = load_average()

    def measure_server(name: str, url: str) -> None:
        for _ in range(20):  # warm-up: first requests load lazily imported code
            http("POST", f"{url}/predict", body)
        for clients in (1, 16):
            figures[f"{name}-{clients}"] = asyncio.run(hammer(f"{url}/predict", body, clients, seconds))

    port = free_port()
    with served(repo, port=port) as url:
        measure_server("bentoml", url)
        # The soak: 32 clients for soak_seconds; the server's memory (all its processes) every second.
        soak = asyncio.run(hammer(f"{url}/predict", body, 32, soak_seconds, sample=lambda: tree_rss_mb(port)))
    bare_port = free_port()
    bare = subprocess.Popen(
        [str(repo / ".venv" / "bin" / "python"), str(HERE / "bare_service.py")],
        cwd=repo,
        env={**team_env(repo), "PORT": str(bare_port)},
        stdout=bench.log.open("a"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{bare_port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if http("GET", f"{url}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if bare.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bare endpoint did not start; see {bench.log}")
            time.sleep(0.5)
        measure_server("bare", url)
    finally:
        bare.terminate()
        bare.wait(timeout=30)

    results = []
    for clients in (1, 16):
        ours, floor = figures[f"bentoml-{clients}"], figures[f"bare-{clients}"]
        ratio = round(ours["throughput"] / floor["throughput"], 2) if floor["throughput"] else None
        ok = None
        if clients == 16:
            ok = bool(ratio and ratio >= 1.0 and ours["p99_ms"] <= 50 and ours["errors"] == 0)
        results.append(
            dict(
                item="6",
                what=f"serving, {clients} client{'s' if clients > 1 else ''}: BentoML vs bare Starlette",
                unit="req/s",
                median=ours["throughput"],
                floor=floor["throughput"],
                ratio=ratio,
                p50_ms=ours["p50_ms"],
                p99_ms=ours["p99_ms"],
                floor_p50_ms=floor["p50_ms"],
                floor_p99_ms=floor["p99_ms"],
                errors=ours["errors"],
                floor_errors=floor["errors"],
                requests=ours["requests"],
                seconds=seconds,
                target=">= 1.0x bare throughput, p99 <= 50 ms" if clients == 16 else "(reported)",
                ok=ok,
                command=f"load.hammer: {clients} clients x {seconds} s, POST reports/example_request.json",
                load_start=started_load,
            )
        )
    rss = soak["samples"]
    third = max(1, len(rss) // 3)
    growth = (max(rss[-third:]) - max(rss[:third])) if rss else None
    results.append(
        dict(
            item="6",
            what=f"soak: BentoML, 32 clients x {soak_seconds} s",
            unit="req/s",
            median=soak["throughput"],
            p50_ms=soak["p50_ms"],
            p99_ms=soak["p99_ms"],
            errors=soak["errors"],
            requests=soak["requests"],
            rss_mb_first=round(rss[0]) if rss else None,
            rss_mb_last=round(rss[-1]) if rss else None,
            rss_growth_mb=round(growth) if growth is not None else None,
            peak_mb=round(max(rss)) if rss else None,
            target="0 errors, memory stable (last third vs first third < 50 MB)",
            ok=soak["errors"] == 0 and growth is not None and growth < 50,
            command=f"benchmarks/load.py hammer: 32 clients x {soak_seconds} s; RSS of the server's processes",
        )
    )
    return results


def bench_check(bench: Bench) -> list[dict]:
    """7. capstone check all in the reference repo after make push."""
    repo = bench.piped_repo("reference")
    # What a team does before its pull request: commit the pipeline's outputs (dvc.lock, ...) and push.
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-q", "--no-verify", "-m", "Pipeline outputs"], cwd=repo, check=False)
    (repo.parent / f"{repo.name}-dvc-remote").mkdir(exist_ok=True)  # make push asks for it to exist
    bench.run(repo, "make", "push")
    # Stage 6 works on a later delivery: retrain on it as its brief says, commit and push again.
    bench.run(repo, "make", "retrain", "BATCH=2")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-q", "--no-verify", "-m", "Retrain"], cwd=repo, check=False)
    bench.run(repo, "make", "push")
    samples, passed = [], True
    for _ in range(1 if bench.args.quick else bench.args.runs):
        sample = measure([".venv/bin/capstone", "check", "all"], repo, team_env(repo), bench.log, check=False)
        passed &= sample["code"] == 0
        samples.append(sample)
    result = row("7", "capstone check all (reference)", samples, "<= 60 s", None)
    result["ok"] = result["median"] <= 60 and passed
    result["gates"] = "all passed" if passed else "some gates failed or it crashed: see the log"
    result["command"] = "git commit of the outputs, make push, make retrain BATCH=2, then .venv/bin/capstone check all"
    return [result]


def bench_grade(bench: Bench) -> list[dict]:
    """10. The course's stage-4 checkpoint as its three jobs (features, run, score) against `capstone check 4`.

    The same reference repo after `make pipeline`; `grade run` skips setup and pipeline (--no-setup
    --no-pipeline), so the rows compare the grading alone: separate processes, the lent kit, the answers
    file, versus one process. Run as the grader's own user (no --as-user: the switch itself is a setpriv).
    """
    repo = bench.piped_repo("reference")
    grader = str(Path(sys.executable).parent / "capstone")
    secret = {**team_env(repo), "CAPSTONE_HOLDOUT_SEED": "bench-secret"}
    folders = {name: bench.work / f"grade-{name}" for name in ("holdout", "graded", "report")}
    jobs, local = [], []
    for _ in range(1 if bench.args.quick else bench.args.runs):
        one = measure([grader, "grade", "features", "--out", folders["holdout"]], repo, secret, bench.log)
        two = measure(
            [
                grader,
                "grade",
                "run",
                "4",
                "--out",
                folders["graded"],
                "--holdout",
                folders["holdout"],
                "--no-setup",
                "--no-pipeline",
            ],
            repo,
            team_env(repo),
            bench.log,
        )
        three = measure(
            [grader, "grade", "score", "4", "--graded", folders["graded"], "--out", folders["report"]],
            repo,
            secret,
            bench.log,
            check=False,
        )
        jobs.append(
            {
                **three,
                "seconds": one["seconds"] + two["seconds"] + three["seconds"],
                "parts": [one["seconds"], two["seconds"], three["seconds"]],
            }
        )
        local.append(measure([".venv/bin/capstone", "check", "4"], repo, secret, bench.log, check=False))
    parts = [round(sum(sample["parts"][index] for sample in jobs) / len(jobs), 1) for index in range(3)]
    official = row(
        "10",
        "stage 4 as the course's three jobs (reference)",
        jobs,
        "reported",
        None,
        note=f"features {parts[0]} s, run {parts[1]} s, score {parts[2]} s (means)",
        command="capstone grade features; grade run 4 --no-setup --no-pipeline; grade score 4",
    )
    one_process = row(
        "10",
        "stage 4 as capstone check 4, one process (reference)",
        local,
        "reported",
        None,
        command=".venv/bin/capstone check 4 (the same secret)",
    )
    return [official, one_process]


def bench_tests(bench: Bench) -> list[dict]:
    """8. the template's own test suite, fast and full tier (what make test and CI run)."""
    junit = Path(bench.args.junit) if bench.args.junit else bench.work / "tests.xml"
    if bench.args.full_tier:
        command = [str(TEMPLATE / ".venv" / "bin" / "pytest"), "-n", "2", "--dist", "loadfile"]
        command += ["-p", "no:cacheprovider", f"--junitxml={junit}"]
        measure(command, TEMPLATE, dict(os.environ), bench.log, check=False)
    if not junit.is_file():
        return [dict(item="8", what="test suite (make test)", target="<= 15 min", ok=None, note="not measured")]
    suite = ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    seconds = float(suite.get("time", 0))
    per_file: dict[str, float] = {}
    for case in suite.iter("testcase"):
        parts = (case.get("classname") or "").split(".")  # tests.test_module[.TestClass]
        name = next((part for part in parts if part.startswith("test_")), ".".join(parts))
        per_file[name] = per_file.get(name, 0.0) + float(case.get("time", 0))
    slowest = sorted(per_file.items(), key=lambda item: -item[1])[:8]
    return [
        dict(
            item="8",
            what="test suite, fast + full tier (pytest -n 2 --dist loadfile)",
            median=round(seconds, 1),
            min=round(seconds, 1),
            max=round(seconds, 1),
            runs=[round(seconds, 1)],
            tests=int(suite.get("tests", 0)),
            failures=int(suite.get("failures", 0)) + int(suite.get("errors", 0)),
            skipped=int(suite.get("skipped", 0)),
            slowest_files={name: round(value, 1) for name, value in slowest},
            target="<= 15 min",
            ok=seconds <= 900 and int(suite.get("failures", 0)) + int(suite.get("errors", 0)) == 0,
            command=f"pytest -n 2 --dist loadfile --junitxml (read from {junit})",
        )
    ]


def python_lines(folder: Path) -> int:
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in folder.rglob("*.py"))


def bench_lines(bench: Bench) -> list[dict]:
    """9. lines of Python a student sees in a fresh skeleton team repo, tests excluded (and the kit's)."""
    repo = bench.bake("bench-lines", scaffold="skeleton")
    team = sum(python_lines(repo / name) for name in ("src",)) + sum(
        len(path.read_text(encoding="utf-8").splitlines()) for path in repo.glob("*.py")
    )
    tests = python_lines(repo / "tests")
    kit = python_lines(TEMPLATE / "kit" / "src")
    result = dict(
        item="9",
        what="Python lines in a fresh skeleton team repo, tests excluded",
        median=team,
        unit="lines",
        target="<= 2000",
        ok=team <= 2000,
        note=f"team tests {tests} lines; the course kit (installed, not in the repo) {kit} lines",
        command="bake (skeleton), then count the lines of every .py file outside tests/",
    )
    return [result]


BENCHES = dict(
    lines=bench_lines,
    bake=bench_bake,
    setup=bench_setup,
    pipeline=bench_pipeline,
    feed=bench_feed,
    scale=bench_scale,
    serving=bench_serving,
    check=bench_check,
    grade=bench_grade,
    tests=bench_tests,
)


# --- reporting ----------------------------------------------------------------------------------


def fmt(value, unit: str = "s") -> str:
    if value is None:
        return ""
    if unit in ("req/s", "lines"):
        return f"{value:.0f} {unit}"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        f"Measured {meta['date']} on {meta['cores']} cores, Python {meta['python']}, "
        f"with `{meta['command']}`; runs per figure: {meta['runs']}; load average (1 min) "
        f"{meta['load_start']} at the start, {meta['load_end']} at the end"
        + (" (**a busy machine: noisy figures**)" if meta["load_start"] > 1.0 else "")
        + ".",
        "",
    ]
    # Items run alone (--only) keep the other items' rows from earlier runs: say which run gave which.
    runs = sorted({r.get("run") or r.get("date", "?") for r in results})
    if len(runs) > 1:
        lines = [f"Measured on {meta['cores']} cores, Python {meta['python']}, in {len(runs)} runs:", ""]
        for run in runs:
            items = sorted({r["item"] for r in results if (r.get("run") or r.get("date", "?")) == run})
            lines.append(f"- {run}: item {', '.join(items)}")
        lines.append("")
    lines += [
        "| # | what | median | min–max | peak MB | floor | ratio | target | met | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        unit = r.get("unit", "s")
        spread = f"{fmt(r['min'], unit)}–{fmt(r['max'], unit)}" if "min" in r else ""
        if unit == "req/s":
            spread = f"p50 {r.get('p50_ms')} ms, p99 {r.get('p99_ms')} ms, {r.get('errors')} errors"
        verdict = {True: "yes", False: "**no**", None: "–"}[r.get("ok")]
        lines.append(
            f"| {r['item']} | {r['what']} | {fmt(r.get('median'), unit)} | {spread} | {r.get('peak_mb', '')} "
            f"| {fmt(r.get('floor'), unit)} | {r.get('ratio', '')} | {r['target']} | {verdict} "
            f"| {r.get('load_start', '')}→{r.get('load_end', '')} |"
        )
    serving = [r for r in results if r["item"] == "6" and "floor_p99_ms" in r]
    if serving:
        lines += ["", "Serving, both servers: throughput, p50 / p99 latency, errors.", ""]
        lines += ["| clients | BentoML | bare Starlette |", "|---|---|---|"]
        for r in serving:
            lines.append(
                f"| {r['what'].split(',')[1].split(':')[0].strip()} "
                f"| {r['median']:.0f} req/s, {r['p50_ms']} / {r['p99_ms']} ms, {r['errors']} errors "
                f"| {r['floor']:.0f} req/s, {r['floor_p50_ms']} / {r['floor_p99_ms']} ms, {r['floor_errors']} errors |"
            )
    for r in results:
        if "rss_growth_mb" in r:
            lines += [
                "",
                f"Soak: server memory {r['rss_mb_first']} MB at the start, {r['rss_mb_last']} MB at the end "
                f"(growth, last third vs first third: {r['rss_growth_mb']} MB).",
            ]
        if "growth_exponent" in r and r is [x for x in results if "growth_exponent" in x][-1]:
            lines += [
                "",
                f"Scaling: time grows as rows^{r['growth_exponent']} and peak memory as "
                f"rows^{r['memory_exponent']} (numpy polyfit on log-log; 1.0 is linear).",
            ]
        if r.get("slowest_files"):
            slowest = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in r["slowest_files"].items())
            lines += ["", f"Test suite: {r['tests']} tests, {r['failures']} failed; slowest files: {slowest}."]
    lines += [
        "",
        "Peak memory is the largest single process (ru_maxrss), not the sum of a process tree. "
        "Floors: bake = copy the files + first commit; setup = `uv sync --frozen` alone; pipeline = "
        "`benchmarks/pipeline_floor.py` (the same work in one script, without DVC, GX, MLflow, BentoML); "
        "serving = `benchmarks/bare_service.py` (uvicorn + Starlette, same model and checks, 1 worker).",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=ITEMS, help="run only this item (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (bake: 11)")
    parser.add_argument("--rows", type=int, help="rows for the pipeline items (default: params.yaml's 20 000)")
    parser.add_argument("--serving-seconds", type=float, default=15, help="seconds per serving load level")
    parser.add_argument("--soak-seconds", type=float, default=60, help="seconds of the 32-client soak")
    parser.add_argument("--full-tier", action="store_true", help="item 8: the whole test suite (26.5 min, 2 cores)")
    parser.add_argument("--junit", help="item 8: read the test suite's time from this JUnit XML file")
    parser.add_argument("--quick", action="store_true", help="small settings, to check the runner itself")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (baked repos, the log)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.probe:
        return probe_main(args.probe, rest[1:] if rest[:1] == ["--"] else rest)
    if args.quick:
        args.runs, args.rows = 1, args.rows or 3000

    bench = Bench(args)
    items = args.only or [item for item in DEFAULT_ITEMS if item != "tests" or args.full_tier or args.junit]
    meta = dict(
        date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        cores=os.cpu_count(),
        python=platform.python_version(),
        command="python benchmarks/run.py " + " ".join(sys.argv[1:]),
        runs=args.runs,
        rows=args.rows or 20_000,
        load_start=load_average(),
    )
    print(f"Benchmarks: {', '.join(items)}; work folder {bench.work} (log: {bench.log})", flush=True)
    results = []
    failed = False
    for item in items:
        started, load = time.perf_counter(), load_average()
        print(f"--> {item} (load average {load})", flush=True)
        try:
            found = BENCHES[item](bench)
        except Exception as problem:  # one broken item must not lose the others' figures
            print(f"ERROR: benchmark {item} failed: {problem}", file=sys.stderr, flush=True)
            number = str(ITEMS.index(item) + 1)
            found = [dict(item=number, what=item, target="", ok=False, note=str(problem)[:300])]
            failed = True
        for result in found:
            result["date"] = meta["date"]
            result["run"] = f"{meta['date']}, `{meta['command'].strip()}`"
            result.setdefault("load_start", load)
            result["load_end"] = load_average()
            print(
                f"    {result['what']}: {fmt(result.get('median'), result.get('unit', 's'))} "
                f"(ratio {result.get('ratio', '-')}, target {result['target']}, met: {result.get('ok')})",
                flush=True,
            )
        print(f"    ({time.perf_counter() - started:.0f} s)", flush=True)
        results += found
    meta["load_end"] = load_average()

    # An item run alone replaces its own rows in the files, keeping the others' latest figures.
    previous = json.loads(RESULTS_JSON.read_text()).get("results", []) if RESULTS_JSON.is_file() else []
    numbers = {r["item"] for r in results}
    merged = sorted([r for r in previous if r["item"] not in numbers] + results, key=lambda r: r["item"])
    RESULTS_JSON.write_text(json.dumps(dict(meta=meta, results=merged), indent=2) + "\n")
    RESULTS_MD.write_text(markdown(merged, meta))
    print()
    print(markdown(results, meta))
    print(f"Wrote {RESULTS_JSON.relative_to(TEMPLATE)} and {RESULTS_MD.relative_to(TEMPLATE)}")
    if not args.keep:
        shutil.rmtree(bench.work, ignore_errors=True)
    else:
        print(f"Kept {bench.work}")
    return 1 if failed or any(r.get("ok") is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
