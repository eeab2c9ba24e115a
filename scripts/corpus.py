"""`make corpus`: run `dataset: custom_csv` on real, messy public CSVs, in both scaffolds, and grade them.

The CSVs ship inside PyPI packages (the template's dev dependencies) and are read from the installed
package (importlib.resources): nothing is downloaded at run time and nothing is copied into this
repository. For each dataset and scaffold: bake a custom_csv team repo, put the file in as the team
would (data/external/data.csv, `dvc add`), set target, task and column roles in params.yaml, commit,
`make setup`, `make pipeline`, commit dvc.lock, `make push`, `capstone check all`. The table goes to
stdout and to benchmarks/corpus.md.

    python scripts/corpus.py [--only NAME,...] [--scaffold reference|skeleton|both] [--work DIR] [--out FILE]

tests/test_real_csv_corpus.py runs a subset through the same functions.
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cookiecutter.main import cookiecutter
from teamrepo import TEMPLATE, run, template_snapshot

OUT = TEMPLATE / "benchmarks" / "corpus.md"
SCAFFOLDS = ("reference", "skeleton")
# What a gate that did not grade anything says (capstone.checkpoints.check.run_gate).
NOT_GRADED = ("not ready", "the gate could not run", "a hook cannot be called")


@dataclass(frozen=True)
class Entry:
    """One real CSV: where it ships, what to predict, the column roles a team would set after the profile."""

    name: str
    package: str  # the import name of the PyPI package that ships the file
    resource: str  # the file inside the package
    target: str
    task: str  # "" lets the pipeline infer it
    messy: str  # what makes it hard, for the table
    roles: dict = field(default_factory=dict)  # ids, dates, text, drop (params.yaml data.custom_csv)
    license: str = ""
    data: bytes | None = None  # a synthetic file's bytes instead of a package's (the hostile cases)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        return importlib.resources.files(self.package).joinpath(self.resource).read_bytes()

    @property
    def source(self) -> str:
        return f"{self.package}: {self.resource}" if self.data is None else "synthetic"


CORPUS = [
    Entry(
        "penguins-raw-sex",
        "palmerpenguins",
        "data/penguins-raw.csv",
        target="Sex",
        task="binary",
        messy="11 targets 'NA'; Comments 84 % empty; ids; dates; constant columns; units in names",
        roles={"ids": ["Sample Number", "Individual ID"], "dates": ["Date Egg"], "text": ["Comments"]},
        license="MIT (palmerpenguins), data CC0",
    ),
    Entry(
        "seattle-weather",
        "vega_datasets",
        "_data/seattle-weather.csv",
        target="weather",
        task="",
        messy="dates as 2012/01/01; 5 classes, the smallest 1.6 %",
        roles={"dates": ["date"]},
        license="MIT (vega_datasets)",
    ),
    Entry(
        "fertility-2011",
        "statsmodels",
        "datasets/fertility/fertility.csv",
        target="2011",
        task="regression",
        messy="17 targets empty; 2012 and 2013 100 % empty; ids; constant text columns; year names",
        # as `capstone data profile` suggests; kept, the empty 2012 and 2013 crash the reference's
        # gradient boosting (scikit-learn 1.9's binning fails on a column with no value)
        roles={
            "ids": ["Country Name", "Country Code"],
            "drop": ["Indicator Name", "Indicator Code", "2012", "2013"],
        },
        license="BSD-3 (statsmodels), data World Bank terms",
    ),
    Entry(
        "social-insure-takeup",
        "causaldata",
        "social_insure/Cai_2015.csv",
        target="takeup_survey",
        task="binary",
        messy="0/1 target; missing values in 5 features; 44 villages, 166 addresses",
        roles={"ids": ["address"]},
        license="MIT (causaldata)",
    ),
    Entry(
        "restaurant-inspections",
        "causaldata",
        "restaurant_inspections/restaurant_data.csv",
        target="inspection_score",
        task="regression",
        messy="27 178 rows; business names as free text; TRUE/FALSE column; 13 616 exact copies",
        roles={"text": ["business_name"]},
        license="MIT (causaldata)",
    ),
    Entry(
        "mroz-lfp",
        "causaldata",
        "Mroz/Mroz.csv",
        target="lfp",
        task="",
        messy="yes/no target; a row-number column with an empty header",
        roles={"ids": ["Unnamed: 0"]},  # the header is empty; pandas and the profile call it so
        license="MIT (causaldata)",
    ),
]
BY_NAME = {entry.name: entry for entry in CORPUS}


@dataclass
class Outcome:
    entry: Entry
    scaffold: str
    repo: Path
    rows: int
    task: str = ""
    pipeline_exit: int | None = None
    pipeline_seconds: float = 0.0
    pipeline_error: str = ""  # the first ERROR line (or the last line) of a failed make pipeline
    check_exit: int | None = None
    check_seconds: float = 0.0
    gates: list[dict] = field(default_factory=list)  # automatic gates, once each: id, stage, status, ...

    @property
    def failed(self) -> list[dict]:
        return [gate for gate in self.gates if gate["status"] == "failed"]

    @property
    def passed(self) -> list[dict]:
        return [gate for gate in self.gates if gate["status"] == "passed"]


def first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def not_graded(gate: dict) -> bool:
    """A failure that is not a quality verdict: the gate found no input, crashed, or led with a traceback."""
    return gate["measured"] in NOT_GRADED or first_line(gate["detail"]).startswith(("Traceback", "```"))


def csv_rows(data: bytes) -> int:
    """Data rows in a CSV (quoted newlines counted once), read the way a person would count them."""
    import pandas as pd

    return len(pd.read_csv(io.BytesIO(data), sep=None, engine="python", dtype=str, keep_default_na=False))


def set_custom_csv(params: str, entry: Entry) -> str:
    """params.yaml with data.custom_csv's target, task and roles set (the comments kept)."""
    values = {"target": entry.target, "task": entry.task, **entry.roles}
    for key, value in values.items():
        pattern = re.compile(rf"^(\s+{key}:)[ \t]*(\"\"|\[\])", re.MULTILINE)
        if not pattern.search(params):
            raise RuntimeError(f"params.yaml has no empty data.custom_csv.{key} to set")
        params = pattern.sub(lambda match, v=value: f"{match.group(1)} {json.dumps(v)}", params, count=1)
    return params


def bake(work: Path, entry: Entry, scaffold: str) -> Path:
    config = work / "cookiecutter-config.yaml"
    if not config.exists():
        config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
    out = work / scaffold
    out.mkdir(parents=True, exist_ok=True)
    answers = dict(dataset="custom_csv", scaffold=scaffold, project_slug=f"corpus-{entry.name}")
    return Path(
        cookiecutter(
            str(template_snapshot()), no_input=True, extra_context=answers, output_dir=str(out), config_file=str(config)
        )
    )


def error_line(result) -> str:
    """The line of a failed `make pipeline` that says what went wrong (its first ERROR, else the last line)."""
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    flagged = [line for line in lines if line.startswith("ERROR") and "failed to reproduce" not in line]
    # a stage that crashed: its exception's line (the last before DVC's "failed to reproduce")
    crashed = [line for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
    return (flagged or crashed or lines or [""])[0]


def gate_results(repo: Path) -> list[dict]:
    """The automatic gates of reports/checkpoint-1..5.json, each once (the first stage that ran it)."""
    gates: dict[str, dict] = {}
    for number in range(1, 6):
        report = repo / "reports" / f"checkpoint-{number}.json"
        if not report.exists():
            continue
        for gate in json.loads(report.read_text())["gates"]:
            if gate["kind"] == "auto" and gate["id"] not in gates:
                gates[gate["id"]] = gate
    return list(gates.values())


def run_entry(entry: Entry, scaffold: str, work: Path, check: bool = True) -> Outcome:
    """Bake, add the CSV as a team does, make setup, make pipeline, and (if it ran) capstone check all."""
    data = entry.read()
    repo = bake(work, entry, scaffold)
    outcome = Outcome(entry, scaffold, repo, rows=csv_rows(data))
    params_path = repo / "params.yaml"
    params_path.write_text(set_custom_csv(params_path.read_text(), entry))
    location = yaml_value(params_path, "path")
    (repo / location).parent.mkdir(parents=True, exist_ok=True)
    (repo / location).write_bytes(data)
    run(repo, "make", "setup")
    run(repo, ".venv/bin/dvc", "add", "--quiet", location)
    run(repo, "git", "add", "--all")
    run(repo, "git", "commit", "-qm", f"Our data: {entry.source}")
    started = time.monotonic()
    result = run(repo, "make", "pipeline", check=False, timeout=1800)
    outcome.pipeline_seconds = time.monotonic() - started
    outcome.pipeline_exit = result.returncode
    task = re.search(r"task: (binary|multiclass|regression)", result.stdout + result.stderr)
    outcome.task = task.group(1) if task else entry.task
    if result.returncode != 0:
        outcome.pipeline_error = error_line(result)
        return outcome
    if not check:
        return outcome
    run(repo, "git", "add", "dvc.lock")
    run(repo, "git", "commit", "-qm", "Pipeline run")
    run(repo, "make", "push")
    started = time.monotonic()
    checked = run(repo, ".venv/bin/capstone", "check", "all", check=False, timeout=1800)
    outcome.check_seconds = time.monotonic() - started
    outcome.check_exit = checked.returncode
    outcome.gates = gate_results(repo)
    return outcome


def yaml_value(params_path: Path, key: str) -> str:
    import yaml

    return str(yaml.safe_load(params_path.read_text())["data"]["custom_csv"][key])


def describe_failures(outcome: Outcome, advice: bool = True) -> str:
    """The failed gates, each with its first line of advice (or only their ids)."""
    if outcome.pipeline_exit != 0:
        return f"**make pipeline failed**: {outcome.pipeline_error}"
    if not outcome.gates:
        return "**no checkpoint report**"
    parts = []
    for gate in outcome.failed:
        notes = [] if gate["blocking"] else ["advisory"]
        if not_graded(gate):
            notes.insert(0, "NOT GRADED")
        label = f"`{gate['id']}`" + (f" ({', '.join(notes)})" if notes else "")
        parts.append(f"{label}: {first_line(gate['detail'])}" if advice else label)
    return ("<br>" if advice else ", ").join(parts) or "none"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(outcomes: list[Outcome]) -> str:
    by_key = {(outcome.entry.name, outcome.scaffold): outcome for outcome in outcomes}
    header = (
        "| dataset | task | rows | what is messy | reference: pipeline | reference: gates passed "
        "| skeleton: pipeline | skeleton: gates failed |\n"
        "|---|---|---:|---|---:|---|---:|---|\n"
    )
    lines = []
    for name in dict.fromkeys(outcome.entry.name for outcome in outcomes):
        ref, skel = by_key.get((name, "reference")), by_key.get((name, "skeleton"))
        some = ref or skel
        row = [
            f"{name} (`{some.entry.package}`)" if some.entry.package else name,
            some.task or some.entry.task or "?",
            f"{some.rows:,}",
            some.entry.messy,
            pipeline_cell(ref),
            gates_cell(ref, failed=False),
            pipeline_cell(skel),
            gates_cell(skel, failed=True),
        ]
        lines.append("| " + " | ".join(cell(str(value)) for value in row) + " |")
    return header + "\n".join(lines) + "\n"


def pipeline_cell(outcome: Outcome | None) -> str:
    if outcome is None:
        return "not run"
    return f"{outcome.pipeline_seconds:.0f} s" + ("" if outcome.pipeline_exit == 0 else " **failed**")


def gates_cell(outcome: Outcome | None, failed: bool) -> str:
    """Reference: passed/total (and which failed). Skeleton: failed/total, which, and whether each is a verdict."""
    if outcome is None:
        return "not run"
    if outcome.pipeline_exit != 0 or not outcome.gates:
        return describe_failures(outcome)
    which = describe_failures(outcome, advice=False)
    if not failed:
        return f"{len(outcome.passed)}/{len(outcome.gates)}" + ("" if not outcome.failed else f"; failed: {which}")
    crashes = sum(map(not_graded, outcome.failed))
    verdict = "each a quality verdict with advice" if not crashes else f"**{crashes} not graded**"
    return f"{len(outcome.failed)}/{len(outcome.gates)} ({verdict}): {which}"


def advice_section(outcomes: list[Outcome]) -> str:
    """Every failed gate's first line, per dataset and scaffold: what the team is told to do."""
    lines = []
    for outcome in outcomes:
        if outcome.failed or outcome.pipeline_exit != 0:
            items = describe_failures(outcome).split("<br>")
            lines += [f"- **{outcome.entry.name}, {outcome.scaffold}**", *(f"  - {item}" for item in items)]
    return "\n".join(lines) or "None."


def markdown(outcomes: list[Outcome], seconds: float) -> str:
    roles = "\n".join(
        f"- **{entry.name}** (`{entry.package}` {entry.resource}; {entry.license}): target `{entry.target}`, "
        f"task {entry.task or 'inferred'}, roles {json.dumps(entry.roles) if entry.roles else 'none'}"
        for entry in {outcome.entry.name: outcome.entry for outcome in outcomes}.values()
    )
    return (
        "# Real CSVs: the custom_csv corpus\n\n"
        "Written by `make corpus` (scripts/corpus.py). Each row: a real public CSV that ships inside a PyPI\n"
        "package, baked into a `custom_csv` team repo per scaffold, added with `dvc add`, then `make setup`,\n"
        "`make pipeline` (timed), `make push` and `capstone check all` (stages 1-5, automatic gates counted\n"
        "once each). No mentors' holdout file was set, so stage 4 scores on the team's own test split.\n"
        "A skeleton failure is a quality verdict with advice unless marked NOT GRADED (not ready, could not\n"
        "run, or a traceback first).\n\n"
        f"{table(outcomes)}\n"
        f"The first line of each failed gate's advice:\n\n{advice_section(outcomes)}\n\n"
        f"Column roles set in params.yaml (what a team sets after `capstone data profile`):\n\n{roles}\n\n"
        f"Measured on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; whole run {seconds / 60:.0f} min.\n"
    )


def dump_outcome(outcome: Outcome) -> dict:
    fields = {key: value for key, value in vars(outcome).items() if key not in ("entry", "repo")}
    return {"entry": outcome.entry.name, "repo": str(outcome.repo), **fields}


def load_outcome(item: dict) -> Outcome:
    return Outcome(**{**item, "entry": BY_NAME[item["entry"]], "repo": Path(item["repo"])})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated dataset names (default: all)")
    parser.add_argument("--scaffold", default="both", choices=["reference", "skeleton", "both"])
    parser.add_argument("--work", type=Path, help="where to bake (default: a new temporary folder)")
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file to write (default: %(default)s)")
    parser.add_argument("--render", type=Path, help="only write the table again from a run's outcomes.json")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        outcomes = [load_outcome(item) for item in saved["outcomes"]]
        args.out.write_text(markdown(outcomes, saved["seconds"]))
        print(table(outcomes) + f"\nWrote {args.out}")
        return 0
    names = [name.strip() for name in args.only.split(",") if name.strip()] or list(BY_NAME)
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(unknown)}; the corpus has: {', '.join(BY_NAME)}")
    scaffolds = SCAFFOLDS if args.scaffold == "both" else (args.scaffold,)
    work = args.work or Path(tempfile.mkdtemp(prefix="ml-capstone-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    # One pre-commit cache for every repo (the commits run the team's hooks); uv's cache is shared anyway.
    os.environ.setdefault("PRE_COMMIT_HOME", str(work / "pre-commit"))
    started = time.monotonic()
    outcomes = []
    for name in names:
        for scaffold in scaffolds:
            print(f"==> {name} ({scaffold}) in {work}", flush=True)
            outcome = run_entry(BY_NAME[name], scaffold, work)
            outcomes.append(outcome)
            gates = f"{len(outcome.passed)}/{len(outcome.gates)} gates passed" if outcome.gates else "no gates"
            print(f"    pipeline {outcome.pipeline_seconds:.0f} s (exit {outcome.pipeline_exit}); {gates}", flush=True)
            print(f"    failed: {describe_failures(outcome)}", flush=True)
    seconds = time.monotonic() - started
    saved = {"seconds": seconds, "outcomes": [dump_outcome(outcome) for outcome in outcomes]}
    (work / "outcomes.json").write_text(json.dumps(saved, indent=1))
    text = markdown(outcomes, seconds)
    print("\n" + table(outcomes))
    args.out.write_text(text)
    print(f"Wrote {args.out}")
    crashed = [
        o for o in outcomes if o.scaffold == "skeleton" and (o.pipeline_exit != 0 or any(map(not_graded, o.failed)))
    ]
    return 1 if crashed or any(o.scaffold == "reference" and o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
