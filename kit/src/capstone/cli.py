"""The `capstone` command line: `capstone --help` lists the commands."""

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

import capstone
from capstone.cohort.cli import cohort_app
from capstone.config import ConfigError, find_root, load_params, load_spec
from capstone.feed.cli import data_app
from capstone.grading.cli import grade_app
from capstone.operations_cli import retrain_command, rollback_command
from capstone.replay import replay_command
from capstone.status import official_results, settings_rows, stage_rows

app = typer.Typer(
    help="Course machinery for this capstone: status, stage checkpoints, the mentor's report, the data feed.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(data_app, name="data")
app.add_typer(grade_app, name="grade")
app.add_typer(cohort_app, name="cohort")
app.command(name="replay")(replay_command)
app.command(name="retrain")(retrain_command)
app.command(name="rollback")(rollback_command)
console = Console()


def fail(message: str) -> NoReturn:
    """Print one clear error line and stop with exit code 1."""
    console.print(f"[bold red]ERROR:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"capstone-kit {capstone.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the course kit's version."),
    ] = False,
) -> None:
    """Course machinery for this capstone."""
    # The same settings `make` reads: .env holds the tracking server's credentials, for example.
    # A variable already set in the environment (CI secrets, for example) wins over .env.
    # Not for the course's grader: .env is the team's file, and the grader takes nothing from it.
    if context.invoked_subcommand in ("grade", "cohort"):
        return
    with contextlib.suppress(ConfigError):
        from dotenv import load_dotenv

        load_dotenv(find_root() / ".env", override=False)


@app.command()
def status() -> None:
    """Show the project's settings and which stages have left their artefacts."""
    try:
        root = find_root()
        params = load_params(root)
        spec = load_spec(root)
    except ConfigError as problem:
        fail(str(problem))

    settings = Table(title="Project", show_header=False)
    for name, value in settings_rows(root, params):
        settings.add_row(name, value)
    console.print(settings)

    official = official_results(params.mlflow.tracking_uri, params.mlflow.experiment)
    stages = Table(title="Stages (each ends in a pull request)")
    columns = ["#", "stage", "last checkpoint (make check STAGE=N)", "files found (a hint)"]
    for column in columns + (["official (the course's record)"] if isinstance(official, dict) and official else []):
        stages.add_column(column)
    for row in stage_rows(root, spec):
        extra = [official.get(int(row[0]), "not attempted")] if isinstance(official, dict) and official else []
        stages.add_row(*row, *extra)
    console.print(stages)
    if isinstance(official, str):
        console.print(f"The course's record could not be read: {official}", style="yellow", highlight=False)
    console.print("Local checks only: the pull request's checkpoint is the one that counts.", style="dim")


STAGE_HELP = (
    "The stage to grade: 1-6, its key (data, validation, features, experiments, deployment, operations), or all."
)


@app.command()
def check(stage: Annotated[str, typer.Argument(help=STAGE_HELP)]) -> None:
    """Grade a stage the way its pull request is graded; writes reports/checkpoint-N.md and .json."""
    from capstone.checkpoints.check import check_spec, run_stage
    from capstone.checkpoints.context import Context
    from capstone.checkpoints.holdout import take_secrets
    from capstone.checkpoints.report import headline, write_reports

    secrets = take_secrets()  # first, before any of the team's code is imported
    try:
        root = find_root()
        spec = load_spec(root)
        check_spec(spec)
        stages = spec.stages if stage == "all" else [spec.stage(stage)]
        context = Context(root, load_params(root), spec, secrets=secrets)
    except ConfigError as problem:
        fail(str(problem))
    # The gates read the repository's files with relative paths, as the pipeline stages do.
    os.chdir(root)
    meta = dict(
        commit=_git(root, "rev-parse", "--short", "HEAD"),
        dataset=context.params.data.dataset,
        scaffold=context.params.project.scaffold,
    )
    from capstone.contributions import report_section

    if evidence := report_section(root, context.params.project.package):
        meta["contributions"] = evidence
    results = []
    try:
        for chosen in stages:
            console.print(f"[bold]Checking stage {chosen.number}: {chosen.title}[/] ({len(chosen.gates)} gates)")
            results.append(run_stage(context, chosen))
            markdown, _ = write_reports(results[-1], meta)
            console.print(_gate_table(results[-1]))
            _print_what_to_fix(results[-1])
            console.print(f"{headline(results[-1])}  (report: {markdown})", highlight=False)
    finally:
        context.close()  # stop whatever a gate started (the service of stage 5)
    if not all(result.passed for result in results):
        raise typer.Exit(code=1)


@app.command(name="contributions")
def contributions_command(
    since: Annotated[str | None, typer.Option(help="Count only the commits after this ref (a tag, a commit).")] = None,
    format: Annotated[str, typer.Option("--format", help="md (Markdown) or csv.")] = "md",
) -> None:
    """Who did what, from git: commits and changed lines per author and stage folder (evidence, not a grade)."""
    from capstone.contributions import ContributionsError, contributions

    if format not in ("md", "csv"):
        fail(f"--format must be md or csv, not {format!r}")
    try:
        root = find_root()
        table = contributions(root, load_params(root).project.package, since=since)
    except (ConfigError, ContributionsError) as problem:
        fail(str(problem))
    print(table.to_csv() if format == "csv" else table.to_markdown(), end="")


def _print_what_to_fix(result) -> None:
    """The first line of each failed gate's advice, under the table (the report has the rest)."""
    for gate in result.gates:
        if gate.status != "failed":
            continue
        advice = next((line.strip() for line in gate.detail.splitlines() if line.strip()), "")
        advice = advice.removeprefix("- ")
        if len(advice) > 300:
            advice = advice[:297] + "..."
        console.print(f"[red]✗[/] {gate.id}: {advice or gate.measured}", highlight=False, soft_wrap=True)


def _gate_table(result) -> Table:
    colours = {"passed": "green", "failed": "red", "mentor": "yellow"}
    table = Table(title=f"Stage {result.stage}: {result.title}", title_justify="left")
    table.add_column("gate", no_wrap=True)
    for column in ("status", "measured", "required", "s"):
        table.add_column(column, overflow="fold")
    for gate in result.gates:
        # A gate that does not block the merge is advice: shown, but it does not fail the check.
        status = f"[{colours[gate.status]}]{gate.status}[/]" + ("" if gate.blocking else " (advice)")
        table.add_row(gate.id, status, gate.measured, gate.expected, f"{gate.seconds:.1f}")
    return table


@app.command()
def report(
    commit: Annotated[str | None, typer.Option(help="The commit whose runs to show (default: HEAD).")] = None,
    pr: Annotated[str | None, typer.Option(help="Show the runs of this pull request number instead.")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the Markdown to this file.")] = None,
) -> None:
    """The mentor's view of MLflow: this commit's (or PR's) runs against the champion and the baseline."""
    from capstone.checkpoints.context import Context, NotReady
    from capstone.checkpoints.review import review_markdown

    try:
        root = find_root()
        context = Context(root, load_params(root), load_spec(root))
        os.chdir(root)
        markdown = review_markdown(context, commit=commit, pr=pr)
    except (ConfigError, NotReady) as problem:
        fail(str(problem))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown, encoding="utf-8")
    print(markdown)


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""
