"""The `capstone` command line: `capstone --help` lists the commands."""

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

import capstone
from capstone.checkpoints.advice import finding, what_to_do, wrapped
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

    # Plain lines, not a table: a long path or URL is shown whole (the terminal wraps it), never cut.
    console.print("[bold]Project[/]")
    for name, value in settings_rows(root, params):
        console.print(f"  {name:<20} {value}", highlight=False, soft_wrap=True, markup=False)

    official = official_results(params.mlflow.tracking_uri, params.mlflow.experiment)
    stages = Table(title="Stages (each ends in a pull request)", title_justify="left", box=box.SIMPLE_HEAD)
    stages.add_column("#")
    stages.add_column("stage", no_wrap=True)
    stages.add_column("last local check", overflow="fold", ratio=3)
    stages.add_column("files found (a hint)", overflow="fold", ratio=2)
    if isinstance(official, dict) and official:
        stages.add_column("the course's record", overflow="fold", ratio=2)
    for row in stage_rows(root, spec):
        extra = [official.get(int(row[0]), "not attempted")] if isinstance(official, dict) and official else []
        stages.add_row(*row, *extra)
    console.print(stages)
    if isinstance(official, str):
        console.print(f"The course's record could not be read: {official}", style="yellow", highlight=False)
    console.print("Check a stage here: make check STAGE=N (reports/checkpoint-N.md).", highlight=False)
    console.print("Local checks only: the pull request's checkpoint is the one that counts.", style="dim")


STAGE_HELP = (
    "The stage to grade: 1-6, its key (data, validation, features, experiments, deployment, operations), or all."
)


@app.command()
def check(
    stage: Annotated[str, typer.Argument(help=STAGE_HELP)],
    this_stage_only: Annotated[
        bool,
        typer.Option(
            "--this-stage-only",
            help="Skip the earlier stages' gates (quicker while you work; the pull request's checkpoint runs them).",
        ),
    ] = False,
) -> None:
    """Grade a stage the way its pull request is graded (with the earlier stages' blocking gates again);
    writes reports/checkpoint-N.md and .json."""
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
    commit = _git(root, "rev-parse", "--short", "HEAD")
    if commit and _git(root, "status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"  # a local check reads the working tree; the PR's reads the commit
    meta = dict(commit=commit, dataset=context.params.data.dataset, scaffold=context.params.project.scaffold)
    if this_stage_only:
        meta["this_stage_only"] = True
    from capstone.contributions import report_section

    if evidence := report_section(root, context.params.project.package):
        meta["contributions"] = evidence
    results, done, reports = [], {}, []
    try:
        for chosen in stages:
            graded = context.spec.graded(chosen)
            own = sum(1 for _, owner in graded if owner is chosen)
            span = "stage 1" if chosen.number == 2 else f"stages 1-{chosen.number - 1}"
            again = f", then {len(graded) - own} blocking gates of {span} again" if len(graded) > own else ""
            again = "" if this_stage_only else again
            console.print(f"[bold]Checking stage {chosen.number}: {chosen.title}[/] ({own} gates{again})")
            results.append(run_stage(context, chosen, done=done, earlier=not this_stage_only))
            markdown, _ = write_reports(results[-1], meta)
            reports.append(markdown)
            console.print(_gate_table(results[-1]))
            _print_what_to_fix(results[-1], markdown)
            console.print(f"{headline(results[-1])}\n  report: {markdown}", highlight=False)
            if this_stage_only and len(graded) > own:
                console.print(
                    f"  Earlier stages' gates were skipped (ONLY=1): the pull request's checkpoint runs "
                    f"{len(graded) - own} more.",
                    highlight=False,
                )
    finally:
        context.close()  # stop whatever a gate started (the service of stage 5)
    if len(results) > 1:
        _print_summary(results, reports, {chosen.number: chosen.brief for chosen in stages})
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


def _print_lines(lines: list[str]) -> None:
    """Lines already wrapped to the console's width; a leading ✗ in red. Never read as markup."""
    text = Text("\n".join(lines))
    if text.plain.startswith("✗"):
        text.stylize("red", 0, 1)
    console.print(text, soft_wrap=True, highlight=False)


def _print_what_to_fix(result, report: str) -> None:
    """Under the table: what is wrong with each failed gate; then the earlier stages' gates run again."""
    for gate in result.own:
        if gate.status == "failed":
            _print_lines(wrapped(f"✗ {gate.id}: ", finding(gate.detail, gate.measured), console.width, report))
    if result.earlier and not result.regressions:
        console.print(f"  Earlier stages: {len(result.earlier)} blocking gates ran again, none fails.", highlight=False)
    for gate in result.regressions:
        prefix = f"✗ {gate.id} (stage {gate.stage}, an earlier stage): "
        _print_lines(wrapped(prefix, finding(gate.detail, gate.measured), console.width, report))


def _print_summary(results, reports, briefs: dict[int, str]) -> None:
    """After `check all`: one line per stage; then, for the first stage that fails, what to do per failed gate."""
    console.rule("Summary")
    for result, markdown in zip(results, reports, strict=True):
        failures = [gate.id for gate in result.own if gate.blocking and gate.status == "failed"]
        said = "passed" if result.passed else "failed: " + ", ".join(failures or ["earlier stages' gates only"])
        mark = "✓" if result.passed else "✗"
        line = Text(f"{mark} stage {result.stage} {result.key}: {said}  ({markdown})")
        line.stylize("green" if result.passed else "red", 0, 1)
        console.print(line, highlight=False)
    failing = next((index for index, result in enumerate(results) if not result.passed), None)
    if failing is None:
        return
    first = results[failing]
    later = " first: the later stages build on it" if first is not results[-1] else ""
    brief = briefs.get(first.stage, "its brief")
    console.print(f"Fix stage {first.stage}{later} ({brief}):", highlight=False, soft_wrap=True)
    for gate in [*first.own, *first.regressions]:
        if gate.blocking and gate.status == "failed":
            advice = what_to_do(gate.detail, gate.measured)
            _print_lines(wrapped(f"  {gate.id}: ", advice, console.width, reports[failing]))


def _gate_table(result) -> Table:
    """This stage's gates, narrow enough for 80 columns and CI logs; thresholds and times are in the report."""
    colours = {"passed": "green", "failed": "red", "mentor": "yellow"}
    table = Table(title=f"Stage {result.stage}: {result.title}", title_justify="left", box=None, pad_edge=False)
    table.add_column("gate", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("measured", overflow="fold")
    for gate in result.own:
        # A gate that does not block the merge is advice: shown, but it does not fail the check.
        status = f"[{colours[gate.status]}]{gate.status}[/]" + ("" if gate.blocking else "*")
        table.add_row(gate.id, status, gate.measured)
    if any(not gate.blocking for gate in result.own):
        table.caption, table.caption_justify = "* advice: does not block the merge", "left"
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
