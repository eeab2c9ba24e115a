"""`capstone replay` (`make replay BATCH=K`): send a delivery's rows to the running service, as a day
of traffic would.

    capstone replay --batch 2                       # delivery 2 of the feed, data.feed.rows rows
    capstone replay --batch 3 --rows 2000 --port 3100 --clients 4 --records 5

Delivery K is made as the pipeline's ingest makes it (capstone.feed.generate_batch with data.feed's
rows and seed), defects and drift included, and read back from CSV as the pipeline reads its data. A
custom CSV (data.dataset: custom_csv) has no deliveries: replay sends a sample of the rows the ingest
stage took from it (data/raw/batch.csv), a different sample for each K.

Production has no labels: the target is dropped, and so is every column the service's contract
(reports/input_schema.json) does not name; a missing value is sent as null. The rows go to
POST /predict in requests of --records records each, from --clients concurrent clients, as fast as
the service answers. A request with a record the contract refuses is refused whole (4xx); its records
are then sent again one by one, so only the bad records go unanswered: real clients send those too,
and the report counts them, with the first error. The service logs what it answers
(capstone.requestlog), where serve.request_log in params.yaml says.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from capstone.config import ConfigError, Params, find_root, load_params

CONTRACT = Path("reports/input_schema.json")
CUSTOM_RAW = Path("data/raw/batch.csv")
CUSTOM_ROWS = 2_000  # a custom CSV's default sample
SHOWN_ERROR = 300  # characters of the first error shown
console = Console()


def fail(message: str) -> NoReturn:
    """Print one clear error line and stop with exit code 1."""
    console.print(f"[bold red]ERROR:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def replay_command(
    batch: Annotated[
        int | None,
        typer.Option("--batch", help="The delivery to send: 1 is the first (the training data), later ones drift."),
    ] = None,
    rows: Annotated[
        int | None,
        typer.Option("--rows", min=1, help="How many rows (default: data.feed.rows; a custom CSV: 2,000)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="The service's port (default: $PORT, else serve.port).")
    ] = None,
    clients: Annotated[int, typer.Option("--clients", min=1, max=64, help="Concurrent clients.")] = 4,
    records: Annotated[int, typer.Option("--records", min=1, help="Records per request.")] = 5,
) -> None:
    """Send delivery K's rows (without the target) to the running service, as a day of traffic would."""
    try:
        root = find_root()
        params = load_params(root)
        from capstone.requestlog import request_log_settings

        log = request_log_settings(params, root)
    except ConfigError as problem:
        fail(str(problem))
    serve = (params.model_extra or {}).get("serve") or {}
    host = str(serve.get("host", "127.0.0.1"))
    port = port or int(os.environ.get("PORT") or serve.get("port", 3000))
    url = f"http://{host}:{port}"
    custom = params.data.dataset == "custom_csv"
    if batch is None and not custom:
        fail("say which delivery to send: make replay BATCH=2 (capstone replay --batch 2); 1 is the training data")
    batch = 1 if batch is None else batch
    if batch < 1:
        fail(f"--batch must be 1 or more (1 is the first delivery), got {batch}")

    contract_path = root / CONTRACT
    if not contract_path.is_file():
        fail(f"{CONTRACT} is missing, so the service's contract is unknown; run: make pipeline (its bento stage)")
    contract = json.loads(contract_path.read_text(encoding="utf-8"))
    _check_service(url, batch, port)

    frame, what = _custom_rows(root, batch, rows) if custom else _delivery(params, batch, rows)
    bodies, left_out = _requests(frame, contract, records)
    sent = sum(len(body["records"]) for body in bodies)
    console.print(
        f"Replaying {what}: {sent:,} records in {len(bodies):,} requests of {records} to {url}/predict",
        highlight=False,
        soft_wrap=True,
    )
    if left_out:
        console.print(f"  not sent:     {', '.join(left_out)} (the target, or not in the contract)", highlight=False)
    tally = asyncio.run(_send(f"{url}/predict", bodies, clients))
    _report(tally, sent, log, root)
    if tally.server_errors or tally.failures:
        raise typer.Exit(code=1)


def _check_service(url: str, batch: int, port: int) -> None:
    """One clear line when nothing answers on the port, or the service is still starting."""
    import httpx

    try:
        status = httpx.get(f"{url}/readyz", timeout=5).status_code
    except httpx.HTTPError as problem:
        fail(
            f"no service answers on {url} (GET /readyz: {type(problem).__name__}); start it with make serve "
            f"(in another terminal), or name its port: make replay BATCH={batch} PORT=... (capstone replay --port)"
        )
    if status != 200:
        fail(f"the service on {url} is not ready (GET /readyz answered {status}); wait until it is, then rerun")


def _delivery(params: Params, batch: int, rows: int | None):
    """Delivery `batch` of the built-in domain, as the ingest stage would write and the pipeline read it."""
    import pandas as pd

    from capstone.feed import FeedError, generate_batch
    from capstone.feed.generate import MIN_ROWS

    feed = (params.data.model_extra or {}).get("feed") or {}
    if rows is not None and rows < MIN_ROWS:
        fail(f"--rows must be {MIN_ROWS} or more for a delivery of the feed, got {rows}")
    rows, seed = rows or int(feed.get("rows", 20_000)), int(feed.get("seed", 42))
    try:
        frame, _ = generate_batch(params.data.dataset, rows=rows, seed=seed, batch=batch)
    except FeedError as problem:
        fail(str(problem))
    text = io.StringIO()
    frame.to_csv(text, index=False)
    text.seek(0)
    trained = feed.get("batch", 1)
    note = " (the delivery the model was trained on)" if batch == trained else ""
    return pd.read_csv(text), f"{params.data.dataset} delivery {batch} (seed {seed}){note}"


def _custom_rows(root: Path, batch: int, rows: int | None):
    """A sample of the custom CSV's rows as the ingest stage wrote them (a custom CSV has no deliveries)."""
    import pandas as pd

    raw = root / CUSTOM_RAW
    if not raw.is_file():
        fail(f"{CUSTOM_RAW} is missing; run: make pipeline (its ingest stage reads your CSV)")
    frame = pd.read_csv(raw)
    wanted = min(rows or CUSTOM_ROWS, len(frame))
    sample = frame.sample(n=wanted, random_state=batch) if wanted < len(frame) else frame
    console.print(
        f"A custom CSV has no deliveries: sending a sample of {wanted:,} of its {len(frame):,} rows "
        f"({CUSTOM_RAW}, sample {batch}; another --batch gives another sample)",
        highlight=False,
    )
    return sample, f"a sample of your CSV ({CUSTOM_RAW})"


def _requests(frame, contract: dict, size: int) -> tuple[list[dict], list[str]]:
    """The request bodies {"records": [...]}, `size` records each; and the columns left out."""
    wanted = [column["name"] for column in contract["columns"]]
    kept = [name for name in wanted if name in frame.columns]
    left_out = [name for name in frame.columns if name not in kept]
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        console.print(
            f"  the rows lack the contract's columns {', '.join(missing)}: records without a required one are refused",
            style="yellow",
            highlight=False,
        )
    rows = json.loads(frame[kept].to_json(orient="records", date_format="iso"))  # NaN -> null
    bodies = [{"records": rows[start : start + size]} for start in range(0, len(rows), size)]
    return bodies, left_out


@dataclass
class Tally:
    """What came back, counted in records (a request carries several)."""

    seconds: float = 0.0
    requests: int = 0
    resent: int = 0  # refused requests whose records were sent again one by one
    answered: int = 0  # 2xx
    refused: int = 0  # 4xx
    first_refusal: str = ""
    server_errors: int = 0  # 5xx
    first_server_error: str = ""
    failures: int = 0  # no answer at all (connection lost, timeout)
    first_failure: str = ""


async def _send(url: str, bodies: list[dict], clients: int) -> Tally:
    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tally = Tally()
    pending = iter(bodies)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TextColumn("requests"), TimeElapsedColumn())

    async def post(session: httpx.AsyncClient, records: list[dict]) -> None:
        """One request. When a request of several records is refused, its records are sent again one
        by one, as a client would: only the records the contract refuses go unanswered."""
        tally.requests += 1
        try:
            response = await session.post(url, json={"records": records})
        except httpx.HTTPError as problem:
            tally.failures += len(records)
            tally.first_failure = tally.first_failure or f"{type(problem).__name__}: {problem}"
            return
        status = response.status_code
        if status < 300:
            tally.answered += len(records)
        elif status < 500 and len(records) > 1:
            tally.resent += 1
            for record in records:
                await post(session, [record])
        elif status < 500:
            tally.refused += 1
            tally.first_refusal = tally.first_refusal or _error(response)
        else:
            tally.server_errors += len(records)
            tally.first_server_error = tally.first_server_error or _error(response)

    started = time.perf_counter()
    quiet = len(bodies) < 50 or not console.is_terminal  # a CI log gets the summary only
    with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task("replay", total=len(bodies))

        async def client(session: httpx.AsyncClient) -> None:
            for body in pending:  # one shared iterator: each body is taken by one client
                await post(session, body["records"])
                progress.advance(task)

        async with httpx.AsyncClient(timeout=30, limits=limits) as session:
            await asyncio.gather(*(client(session) for _ in range(clients)))
    tally.seconds = time.perf_counter() - started
    return tally


def _error(response) -> str:
    """An error answer in one line: the status and the first field error ("records.0.age: ...")."""
    try:
        detail = response.json().get("detail")
        first = detail[0]
        return f"{response.status_code} {'.'.join(map(str, first['loc']))}: {first['msg']}"
    except (ValueError, AttributeError, LookupError, TypeError):
        return f"{response.status_code} {_one_line(response.text)}"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_ERROR else text[: SHOWN_ERROR - 3] + "..."


def _report(tally: Tally, sent: int, log, root: Path) -> None:
    console.print(f"  sent:         {sent:,} records in {tally.requests:,} requests", highlight=False)
    if tally.resent:
        console.print(f"  resent:       the records of {tally.resent:,} refused requests, one by one", highlight=False)
    rate = tally.answered / tally.seconds if tally.seconds else 0.0
    console.print(
        f"  answered 2xx: {tally.answered:,} records in {tally.seconds:.1f} s ({rate:.0f} records/s)", highlight=False
    )
    first = f"; the first: {tally.first_refusal}" if tally.refused else ""
    console.print(f"  refused 4xx:  {tally.refused:,} records{first}", highlight=False, soft_wrap=True)
    if tally.server_errors:
        console.print(
            f"  server errors 5xx: {tally.server_errors:,} records; the first: {tally.first_server_error}",
            style="red",
            highlight=False,
            soft_wrap=True,
        )
    if tally.failures:
        console.print(
            f"  no answer: {tally.failures:,} records; the first: {tally.first_failure}",
            style="red",
            highlight=False,
            soft_wrap=True,
        )
    if log.enabled:
        path = Path(log.path)
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        console.print(
            f"The service logs what it answered to {shown} (serve.request_log in params.yaml)",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            "The request log is off (serve.request_log.enabled in params.yaml): nothing was logged", highlight=False
        )
