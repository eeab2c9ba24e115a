"""`capstone cohort ...`: the instructor's commands for a whole cohort."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

cohort_app = typer.Typer(
    help="A whole cohort: bake every team's repository from a roster, put them on GitHub, read the gradebook."
)
# Messages go to stderr: stdout carries only what a command is for (the gh script, the CSV, the table).
console = Console(stderr=True)


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]ERROR:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _say(message: str, **style) -> None:
    console.print(message, highlight=False, soft_wrap=True, **style)


@cohort_app.command()
def bake(
    roster: Annotated[Path, typer.Argument(help="The roster CSV: name, members, mentors, dataset, scaffold, ...")],
    template: Annotated[str, typer.Option(help="The template to bake from (gh:org/ml-capstone, a URL or a clone).")],
    checkout: Annotated[str | None, typer.Option(help="The release to bake (a tag such as v0.2.0).")] = None,
    out: Annotated[Path, typer.Option(help="Where the answers, the repositories and cohort.yaml go.")] = Path("cohort"),
    server: Annotated[str, typer.Option(help="The cohort's MLflow server, for cohort.yaml.")] = "",
    github: Annotated[
        str | None, typer.Option(help="Also put the repositories on GitHub in this organisation.")
    ] = None,
    apply: Annotated[bool, typer.Option(help="With --github: run the gh commands (default: print them).")] = False,
    public: Annotated[bool, typer.Option(help="With --github: public repositories (default: private).")] = False,
    secrets: Annotated[
        Path | None,
        typer.Option(help="With --github: a folder outside git for the holdout seeds (default: ~/cohort-secrets)."),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(help="With --github: add-teams' folder; each team's grader login goes to its environment."),
    ] = None,
) -> None:
    """Bake every team of ROSTER (one answers file and one repository each) and write cohort.yaml."""
    from capstone.cohort.bake import BakeError, bake_team, write_cohort
    from capstone.cohort.roster import RosterError, read_roster, template_answers

    try:
        local = Path(template).expanduser()
        spec = template_answers(local if local.is_dir() else _fetched(template, checkout))
        teams = read_roster(roster, spec)
    except RosterError as problem:
        _fail(str(problem))
    _say(f"{len(teams)} teams in {roster}")
    if server:
        _point_at(server, teams)
    baked = []
    for team in teams:
        try:
            with _stdout_to_stderr():  # the template's hooks print notes: stdout stays the gh script's
                result = bake_team(template, team, out, checkout)
        except BakeError as problem:
            _fail(f"{problem} (the teams above are baked; fix the row and rerun: they are kept)")
        baked.append(result)
        state = "baked" if result.new else "kept (it exists)"
        _say(f"  row {team.row:<3} {team.slug:<28} {state:<17} {result.folder}")
    cohort = write_cohort(teams, out / "cohort.yaml", server)
    _say(f"Wrote {cohort}: the teams and mentors for `make cohort-teams COHORT={cohort}`")
    if github:
        _online(github, baked, apply, public, secrets or Path.home() / "cohort-secrets", credentials)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 (this process's and its children's) to stderr for a while."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _point_at(server: str, teams) -> None:
    """--server is the teams' tracking URI where the roster leaves it empty; a row naming another one is flagged."""
    for team in teams:
        given = (team.answers.get("mlflow_tracking_uri") or "").strip()
        if not given:
            team.answers["mlflow_tracking_uri"] = server
        elif given.rstrip("/") != server.rstrip("/"):
            _say(
                f"warning: row {team.row} ({team.slug}) names the MLflow server {given}, not --server {server}; "
                "the team gets the row's",
                style="yellow",
            )


def _online(org: str, baked, apply: bool, public: bool, secrets: Path, credentials: Path | None) -> None:
    from capstone.cohort import github as gh

    repos = [
        gh.TeamRepo(
            slug=item.team.slug,
            folder=item.folder.resolve(),
            members=item.team.members,
            mentors=item.team.mentors,
            dataset=item.team.answers.get("dataset", ""),
        )
        for item in baked
    ]
    try:
        secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
        visibility = "public" if public else "private"
        steps = gh.plan(org, repos, visibility=visibility, secrets_dir=secrets, credentials_dir=credentials)
    except (ValueError, OSError) as problem:
        _fail(str(problem))
    for warning in gh.offline_settings(repos, credentials):
        _say(f"warning: {warning}", style="yellow")
    if not apply:
        print(gh.as_script(steps))
        _say("Printed the gh commands (stdout); rerun with --apply to run them (done steps are skipped).", style="dim")
        return
    failed = 0
    for step, result in gh.apply(steps):
        failed += result.startswith(("failed", "needs"))
        _say(f"  {step.team:<28} {result:<16} {step.what}")
    if failed:
        _fail(f"{failed} step(s) did not succeed (above); fix them and rerun: what is done is skipped")


def _fetched(template: str, checkout: str | None) -> Path:
    """A remote template's folder, cloned by cookiecutter into its cache, to read its cookiecutter.json."""
    from cookiecutter.config import get_user_config
    from cookiecutter.repository import determine_repo_dir

    config = get_user_config()
    folder, _ = determine_repo_dir(
        template, config["abbreviations"], config["cookiecutters_dir"], checkout, no_input=True
    )
    return Path(folder)


@cohort_app.command()
def status(
    cohort: Annotated[Path, typer.Argument(help="The cohort file (cohort.yaml, written by `capstone cohort bake`).")],
    server: Annotated[
        str, typer.Option(envvar="MLFLOW_TRACKING_URI", help="The cohort server (default: server: in the file).")
    ] = "",
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or html.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (csv, html).")] = None,
) -> None:
    """The gradebook: every team x stage (passed, failed, not attempted), the holdout score, runs, last activity.

    Read with a mentor's or the admin's login (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD).
    Only the results the course's grader recorded count; a local `make check` is never recorded.
    """
    from capstone.cohort import gradebook_views as views
    from capstone.cohort.gradebook import GradebookError, fetch, read_cohort

    if format not in ("table", "csv", "html"):
        _fail(f"--format is {format!r}; use table, csv or html")
    try:
        teams, file_server = read_cohort(cohort)
        url = (server or file_server).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise GradebookError("no cohort server: pass --server http://host:5000 or put server: in the cohort file")
        book = fetch(url, teams)
    except GradebookError as problem:
        _fail(str(problem))
    if format == "table":
        # Not a terminal (a pipe, a log): wide enough not to cut the cells.
        Console(width=None if sys.stdout.isatty() else 220).print(views.to_table(book))
        return
    text = views.to_csv(book) if format == "csv" else views.to_html(book)
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    _say(f"Wrote {output} ({len(book.rows)} teams)")
