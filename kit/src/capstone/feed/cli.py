"""`capstone data ...`: generate a batch of the feed, list a domain's defects, build the defect battery,
profile a team's own CSV.

The main CLI mounts this as `app.add_typer(data_app, name="data")`. The heavy imports (pandas,
pyarrow) happen inside the commands, so `capstone --help` stays fast.
"""

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from capstone.feed.errors import FeedError

data_app = typer.Typer(
    help=(
        "The simulated company data feed: generate a batch, list a domain's defects, build the battery; "
        "profile your own CSV."
    ),
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
LARGE = 100_000  # from this many rows on, show a progress bar
DELAYED_LABELS = dict(
    delay_batches=1,
    description=(
        "a batch's labels arrive one delivery later: `generate --batch K --unlabelled` writes the rows with the "
        "target empty, `generate --labels-for K` their labels (id and target) once batch K+1 is out."
    ),
)


def fail(problem: Exception | str) -> NoReturn:
    """Print one clear error line and stop with exit code 1."""
    # soft_wrap: never break the message over several lines, whatever the terminal width
    console.print(f"[bold red]ERROR:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@data_app.command()
def generate(
    domain: Annotated[str, typer.Option("--domain", help="churn, credit_default or house_prices")],
    out: Annotated[Path, typer.Option("--out", help="data file to write, .csv or .parquet")],
    rows: Annotated[int, typer.Option("--rows", help="number of rows in the batch")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same bytes")] = 42,
    batch: Annotated[
        int | None, typer.Option("--batch", help="which delivery: 1 (the default) is the first; later ones drift")
    ] = None,
    defects: Annotated[bool, typer.Option("--defects/--no-defects", help="inject the catalogued defects")] = True,
    unlabelled: Annotated[
        bool, typer.Option("--unlabelled", help="leave the target empty, as production sees the rows")
    ] = False,
    labels_for: Annotated[
        int | None,
        typer.Option("--labels-for", help="write only the labels (id, target) of batch K, which arrive later"),
    ] = None,
) -> None:
    """Generate batch K of a domain into OUT, with its answer key beside it (<stem>.defects.json);
    or, with --labels-for K, the labels of batch K."""
    from capstone.feed import io
    from capstone.feed.generate import generate_batch, write_batch

    if labels_for is not None:
        if unlabelled:
            fail("--labels-for writes the labels of a batch and --unlabelled a batch without them: use one of the two.")
        if batch is not None:
            fail(f"--labels-for {labels_for} already names the batch: leave out --batch {batch}.")
        if labels_for < 1:
            fail(f"--labels-for must be a batch number, 1 or more, got {labels_for}.")
        _write_labels(domain, rows, seed, labels_for, defects, out)
        return
    batch = 1 if batch is None else batch
    try:
        io.table_format(out)
        if rows >= LARGE:
            frame, key, data_path, key_path = _generate_with_progress(
                domain, rows, seed, batch, out, defects, unlabelled
            )
        else:
            frame, key = generate_batch(domain, rows, seed, batch, defects=defects, unlabelled=unlabelled)
            data_path, key_path = write_batch(frame, key, out)
    except FeedError as problem:
        fail(problem)
    entries = sum(1 for entry in key["defects"] if entry["kind"] != "leaky_column")
    what = f"batch {batch}, {key['target']} left empty" if unlabelled else f"batch {batch}"
    console.print(
        f"Wrote {data_path} ({len(frame):,} rows, {len(frame.columns)} columns, {what}) "
        f"and {key_path} ({entries} defect entries, {len(key['drift'])} drift events).",
        highlight=False,
        soft_wrap=True,
    )


def _write_labels(domain: str, rows: int, seed: int, batch: int, defects: bool, out: Path) -> None:
    from capstone.feed import io
    from capstone.feed.labels import labels_for

    try:
        io.table_format(out)
        labels = labels_for(domain, rows, seed, batch, defects=defects)
        path = io.write_table(labels, out)
    except FeedError as problem:
        fail(problem)
    console.print(
        f"Wrote {path} (the labels of batch {batch}: {len(labels):,} rows, columns {', '.join(labels.columns)}; "
        f"join them on {labels.columns[0]}).",
        highlight=False,
        soft_wrap=True,
    )


def _generate_with_progress(domain, rows, seed, batch, out, defects, unlabelled):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from capstone.feed.generate import generate_batch, write_batch

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
        # generation is one vectorised step, so its bar jumps; writing the CSV goes chunk by chunk
        making = progress.add_task(f"generating {domain} batch {batch}", total=rows)
        frame, key = generate_batch(domain, rows, seed, batch, defects=defects, unlabelled=unlabelled)
        progress.update(making, completed=rows)
        writing = progress.add_task(f"writing {out}", total=rows)
        data_path, key_path = write_batch(frame, key, out, lambda done: progress.update(writing, completed=done))
    return frame, key, data_path, key_path


def _answer_key_closed() -> str:
    """Why the answer key stays the mentors' here ("" when it may be shown, or outside a team repository)."""
    from capstone.config import ConfigError, find_root, load_spec
    from capstone.discovery import answer_key_open

    try:
        root = find_root()
        policy = load_spec(root).answer_key
    except ConfigError:
        return ""  # not in a team repository (a mentor's or an instructor's shell): show it
    if answer_key_open(root, policy):
        return ""
    when = "" if policy == "hidden" else " until stage 1's checkpoint passes"
    return (
        f"the answer key is the mentors'{when} (capstone.yaml answer_key: {policy}): explore the raw data "
        "(reports/eda/, written by make pipeline) and write what you find in reports/data-issues.yaml "
        "(docs/stages/1-data.md)"
    )


@data_app.command("defects")
def list_defects(
    domain: Annotated[str, typer.Option("--domain", help="churn, credit_default or house_prices")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Print a domain's defect catalogue (kind, column, rate, description) and its drift per batch.

    In a team repository, capstone.yaml's `answer_key` decides whether the team may see it yet."""
    problem = _answer_key_closed()
    if problem:
        fail(problem)
    from capstone.feed import io
    from capstone.feed.defects import catalogue
    from capstone.feed.domains import get_domain
    from capstone.feed.drift import key_entries

    try:
        spec = get_domain(domain)
    except FeedError as problem:
        fail(problem)
    defects = catalogue(spec)
    drift = key_entries(spec.drift, batch=1_000)  # every event, whichever batch it starts in
    if as_json:
        print(io.dumps(dict(domain=spec.name, defects=defects, drift=drift, labels=DELAYED_LABELS)), end="")
        return
    table = Table(title=f"Defects in {spec.name} (rate = share of delivered rows)")
    for name in ("kind", "column", "rate", "description"):
        table.add_column(name)
    for entry in defects:
        table.add_row(
            entry["kind"],
            entry["column"] or "(whole row)",
            format(entry["rate"], ".1%"),
            entry["description"],
        )
    console.print(table)
    changes = Table(title="Drift in later batches (an event stays once it starts)")
    for name in ("from batch", "kind", "columns", "description"):
        changes.add_column(name, overflow="fold")  # in a narrow terminal a long name folds, it is not cut
    for event in drift:
        columns = ", ".join(event["params"].get("columns", [event["column"]]))
        changes.add_row(str(event["from_batch"]), event["kind"], columns, event["description"])
    console.print(changes)
    console.print(f"Labels: {DELAYED_LABELS['description']}", highlight=False, soft_wrap=True)


@data_app.command()
def battery(
    source: Annotated[Path, typer.Option("--in", help="the table to corrupt: a .csv or .parquet file")],
    out: Annotated[Path, typer.Option("--out", help="folder for the corrupted files and manifest.json")],
    rows: Annotated[int, typer.Option("--rows", help="use at most this many rows of the input")] = 5_000,
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same files")] = 0,
    target: Annotated[str, typer.Option("--target", help="a column never to break, such as the target")] = "",
) -> None:
    """Write one corrupted batch per generic defect kind into OUT, plus manifest.json."""
    from capstone.feed import io
    from capstone.feed.battery import make_battery

    try:
        frame = io.read_table(source)
        protect = [target] if target else []
        key_file = io.key_path(source)
        if key_file.is_file():  # a feed batch: keep its target and id intact
            key = io.read_json(key_file)
            protect += [key["target"], key["id_column"]]
        missing = [column for column in protect if column not in frame.columns]
        if missing:
            raise FeedError(f"--target {missing[0]!r} is not a column of {source}; leave it out or fix the name.")
        manifest = make_battery(
            frame,
            out,
            rows=rows,
            seed=seed,
            suffix=source.suffix.lower(),
            protect=tuple(dict.fromkeys(protect)),
            source=str(source),
        )
    except FeedError as problem:
        fail(problem)
    console.print(f"Wrote {len(manifest['batches'])} batches and {out / 'manifest.json'}:", highlight=False)
    for entry in manifest["batches"]:
        what = f" ({entry['column']})" if entry["column"] else ""
        console.print(f"  {entry['file']}: {entry['description']}{what}", highlight=False, soft_wrap=True)
    for entry in manifest["skipped"]:
        console.print(f"  skipped {entry['kind']}: {entry['reason']}", highlight=False, soft_wrap=True)


@data_app.command()
def profile(
    source: Annotated[
        str, typer.Option("--in", help="the CSV file (or http(s) URL); default: data.custom_csv.path in params.yaml")
    ] = "",
    target: Annotated[str, typer.Option("--target", help="the target column; default: data.custom_csv.target")] = "",
) -> None:
    """Profile your own CSV: each column's type, missing share and distinct values, and the role it looks like
    (ids, dates, free text, drop). A suggestion: the team decides, in params.yaml (data.custom_csv)."""
    import json

    from capstone.feed.custom_csv import is_placeholder, load_custom_csv, read_csv_file, suggest_roles

    declared: dict[str, str] = {}
    task = ""
    if not (source and target) and Path("params.yaml").is_file():
        settings = _custom_settings()
        if not target or target == settings.target:
            task = settings.task or ""
        source, target = source or settings.path, target or settings.target
        declared = {name: role for role, names in settings.roles().items() for name in names}
    if not source:
        fail("no CSV to profile: give --in FILE (and --target COLUMN), or run this in the team repository")
    try:
        if target:
            loaded = load_custom_csv(source, target, task=task, root=Path("."))
            frame, note = loaded.frame, loaded.note
        else:
            frame, note = read_csv_file(source, Path("."))[0], "no target given (--target): every column is profiled"
    except FeedError as problem:
        fail(problem)
    looks = {name: (role, why) for name, role, why in suggest_roles(frame, target)}
    table = Table(title=f"{source}: {len(frame):,} rows x {frame.shape[1]} columns")
    for name in ("column", "type", "missing", "distinct", "looks like", "role now"):
        table.add_column(name)
    for name in frame.columns:
        values = frame[name]
        table.add_row(
            escape(str(name)),
            "target" if name == target else str(values.dtype),
            format(float(is_placeholder(values).mean()), ".0%"),
            f"{values.nunique():,}",
            looks.get(str(name), ("",))[0],
            declared.get(str(name), ""),
        )
    console.print(table)
    console.print(escape(note), highlight=False, soft_wrap=True)
    copies = int(frame.duplicated().sum())
    if copies:
        console.print(
            f"  {copies:,} rows ({copies / len(frame):.0%}) are exact copies of an earlier row: "
            "decide in clean.py whether they are real repeats or double deliveries.",
            highlight=False,
            soft_wrap=True,
        )
    for name, (role, why) in looks.items():
        console.print(f"  {escape(repr(name))} looks like {role}: {escape(why)}", highlight=False, soft_wrap=True)
    suggested: dict[str, list[str]] = {}
    for name, (role, _) in looks.items():
        if name not in declared:
            suggested.setdefault(role, []).append(name)
    if not suggested:
        console.print("No new roles to suggest.", highlight=False)
        return
    console.print("Suggested roles (you decide; put them under data.custom_csv in params.yaml):", highlight=False)
    for role in ("ids", "dates", "text", "drop"):
        if role in suggested:
            console.print(f"    {role}: {escape(json.dumps(suggested[role]))}", highlight=False, soft_wrap=True)


def _custom_settings():
    from capstone.config import ConfigError, custom_csv_settings, load_params

    try:
        return custom_csv_settings(load_params(Path(".")))
    except ConfigError as problem:
        fail(problem)
