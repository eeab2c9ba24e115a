"""`capstone grade ...`: the course's checkpoint, as the course's reusable workflow runs it.

    capstone grade stage                      which stage a pull request delivers, and whether it needs the holdout
    capstone grade features --out DIR         job 1 (holds the secret, no team code): the holdout's features
    capstone grade run N --out DIR ...        job 2 (no secret): the team's pipeline and gates as the team user
    capstone grade score N --graded DIR ...   job 3 (holds the secret, no team code): score and final report
    capstone grade record N --report DIR      last (the grader login, no team code): the result to the cohort server

Run it from the course's own installation of the kit, never from the team's .venv: the team's
files choose what that one contains.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

grade_app = typer.Typer(
    help="The course's checkpoint: grade a team's pull request with this kit, running team code sandboxed.",
    no_args_is_help=True,
)
console = Console(stderr=True)

TEAM = typer.Option("--team", help="The team's checkout (default: the current folder).")
OUT = typer.Option("--out", help="The grader's folder for the report and the next job's files.")


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]ERROR:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _context(team: Path, secrets: dict):
    from capstone.checkpoints.context import Context
    from capstone.config import ConfigError, load_params, load_spec

    try:
        return Context(team.resolve(), load_params(team), load_spec(team), secrets=secrets)
    except ConfigError as problem:
        _fail(str(problem))


def _output(name: str, value: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{name}={value}\n")


@grade_app.command()
def stage(
    team: Annotated[Path, TEAM] = Path("."),
    branch: Annotated[str | None, typer.Option(help="The branch (default: $HEAD_REF).")] = None,
    labels: Annotated[str | None, typer.Option(help="The labels as a JSON list (default: $PR_LABELS).")] = None,
) -> None:
    """The stage a pull request delivers (branch stage/N-... or label stage:N); is it scored on the holdout?"""
    from capstone.checkpoints.ci import CIError, find_stage, parse_labels
    from capstone.config import ConfigError, load_spec
    from capstone.grading.grade import HOLDOUT_GATES

    try:
        found = find_stage(
            branch if branch is not None else os.environ.get("HEAD_REF", ""),
            parse_labels(labels if labels is not None else os.environ.get("PR_LABELS", "")),
        )
        spec = load_spec(team)
    except (CIError, ConfigError) as problem:
        _fail(str(problem))
    holdout = found is not None and any(gate.id in HOLDOUT_GATES for gate in spec.stage(str(found)).gates)
    _output("stage", str(found or ""))
    _output("holdout", "true" if holdout else "false")
    print(
        f"stage: {found}, scored on the holdout: {'yes' if holdout else 'no'}" if found else "not a stage pull request"
    )


@grade_app.command()
def features(team: Annotated[Path, TEAM] = Path("."), out: Annotated[Path, OUT] = Path("holdout")) -> None:
    """Job 1: the holdout's rows without labels, for the team's champion to answer (needs the secret)."""
    from capstone.checkpoints.holdout import take_secrets
    from capstone.grading.holdout_jobs import make_features

    context = _context(team, take_secrets())
    info = make_features(context, out)
    if "problem" in info:
        print(f"the mentors' holdout cannot be used: {info['problem']}")
    elif "note" in info:
        print(info["note"])
    else:
        print(f"{info['rows']} holdout rows, features only ({'secret' if info['secret'] else 'NOT secret'})")


@grade_app.command()
def run(
    stage: Annotated[str, typer.Argument(help="The stage to grade (1-6 or its key).")],
    team: Annotated[Path, TEAM] = Path("."),
    out: Annotated[Path, OUT] = Path("capstone-grade"),
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="The unprivileged user (or uid) the team's code runs as.")
    ] = None,
    holdout: Annotated[
        Path | None, typer.Option(help="Job 1's folder, when the stage is scored on the holdout.")
    ] = None,
    work: Annotated[
        Path | None, typer.Option(help="The grader's scratch, readable by the team user (the lent kit).")
    ] = None,
    evidence: Annotated[
        Path | None, typer.Option(help="Where to copy the evidence: plots, Data Docs, reports (default: OUT/evidence).")
    ] = None,
    kit_source: Annotated[str, typer.Option(help="Where the course installed this kit from (for the report).")] = "",
    rows: Annotated[int | None, typer.Option(help="CI-sized data: at most this many feed rows.")] = None,
    setup: Annotated[bool, typer.Option(help="Run `make setup` first.")] = True,
    pipeline: Annotated[bool, typer.Option(help="Run `make pipeline` first.")] = True,
    pr: Annotated[str, typer.Option(help="The pull request's number (for the report).")] = "",
) -> None:
    """Job 2: the team's pipeline and gates as the team user; the grader's own gates; the report."""
    from capstone.checkpoints.holdout import take_secrets
    from capstone.checkpoints.report import headline
    from capstone.config import ConfigError
    from capstone.grading.grade import WAITING, Grading
    from capstone.grading.grade import run as grade_run
    from capstone.grading.record import PASSWORD
    from capstone.grading.sandbox import SandboxError, TeamUser

    if take_secrets() or os.environ.pop(PASSWORD, None):
        console.print("note: the course's secrets were removed from this job's environment", highlight=False)
    try:
        user = TeamUser.named(as_user) if as_user else TeamUser.grader()
        grading = Grading(
            team=team,
            out=out,
            stage=stage,
            user=user,
            work=work,
            evidence=evidence,
            holdout=holdout,
            kit_source=kit_source,
            rows=rows,
            setup=setup,
            pipeline=pipeline,
            meta={"pr": pr} if pr else {},
        )
        result = grade_run(grading)
    except (SandboxError, ConfigError) as problem:
        _fail(str(problem))
    waiting = any(gate.measured == WAITING for gate in result.gates)
    broken = any(gate.measured == "not graded" for gate in result.gates)
    print(headline(result))
    print(f"report: {out / f'checkpoint-{result.stage}.md'} (and .json)")
    if broken or (not result.passed and not waiting):
        raise typer.Exit(code=1)


@grade_app.command()
def score(
    stage: Annotated[str, typer.Argument(help="The stage graded (1-6 or its key).")],
    graded: Annotated[Path, typer.Option(help="Job 2's --out folder (its artifact).")],
    team: Annotated[Path, TEAM] = Path("."),
    out: Annotated[Path, OUT] = Path("capstone-report"),
) -> None:
    """Job 3: score the answers against the holdout's labels; the final report (needs the secret)."""
    from capstone.checkpoints.holdout import take_secrets
    from capstone.checkpoints.report import headline
    from capstone.config import ConfigError
    from capstone.grading.grade import finish

    secrets = take_secrets()
    try:
        result = finish(team.resolve(), graded, out, stage, secrets)
    except (ConfigError, OSError, ValueError) as problem:
        _fail(f"cannot finish the report from {graded}: {problem}")
    print(headline(result))
    if not result.passed:
        raise typer.Exit(code=1)


@grade_app.command()
def record(
    stage: Annotated[int, typer.Argument(help="The stage graded.", min=1, max=9)],
    report: Annotated[Path, typer.Option(help="The folder with the final checkpoint-N.json and .md.")],
    commit: Annotated[str, typer.Option(help="The commit graded (default: the report's).")] = "",
    pr: Annotated[str, typer.Option(help="The pull request's number (default: the report's).")] = "",
) -> None:
    """Last job: log the result as one run on the cohort server (CAPSTONE_RESULTS_URI, _USERNAME, _PASSWORD).

    Runs no team code. Without CAPSTONE_RESULTS_URI there is no cohort server: nothing is recorded.
    """
    from capstone.grading.record import Login, RecordError
    from capstone.grading.record import record as record_result

    try:
        login = Login.from_environment()
        if login is None:
            print("no cohort server (CAPSTONE_RESULTS_URI is not set): the result is not recorded")
            if os.environ.get("MLFLOW_TRACKING_USERNAME"):
                print(
                    "note: MLFLOW_TRACKING_* is a team's login; the recorder reads the grader login from "
                    "CAPSTONE_RESULTS_URI, _USERNAME and _PASSWORD (the grader.<team>.env file of make cohort-teams)"
                )
            return
        done = record_result(login, report, stage, commit=commit, pr=pr)
    except RecordError as problem:
        _fail(str(problem))
    print(f"recorded for {done.team}: stage {stage} {done.result}, {done.url}")
