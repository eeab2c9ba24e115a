"""The `capstone` command line: `capstone --help` lists the commands."""

from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

from capstone.config import ConfigError, find_root, load_params, load_spec
from capstone.feed.cli import data_app
from capstone.status import settings_rows, stage_rows

app = typer.Typer(
    help="Course machinery for this capstone: project status and the simulated company data feed.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(data_app, name="data")
console = Console()


def fail(message: str) -> NoReturn:
    """Print one clear error line and stop with exit code 1."""
    console.print(f"[bold red]ERROR:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


@app.callback()
def main() -> None:
    """Course machinery for this capstone."""


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

    stages = Table(title="Stages (each ends in a pull request)")
    for column in ("#", "stage", "brief", "artefacts found"):
        stages.add_column(column)
    for row in stage_rows(root, spec):
        stages.add_row(*row)
    console.print(stages)
