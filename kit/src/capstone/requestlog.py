"""The service's request log: one JSON line per record it answers, for stage 6's monitoring.

A line holds the record as the service received it, the answer and where it came from:

    {"timestamp": "2026-12-05T09:14:03.512+00:00", "model_version": "champion:v3-1a2b3c4d5e6f",
     "features": {"tenure_months": 12, "plan": "basic", ...}, "prediction": 1,
     "probabilities": {"0": 0.31, "1": 0.69}}

`timestamp` is UTC (ISO 8601), `model_version` the BentoML model tag the bento was built with (its
"v3" is the MLflow model version), `probabilities` only for a classifier that has them.

The service (src/<package>/serving/service.py) opens the log once and hands every batch of records
and answers to `RequestLog.write`. That costs the request one `put` on a queue: a background thread
(logging.handlers.QueueListener) turns the batch into JSON lines and appends them to the file, which a
RotatingFileHandler rotates at the size limit: requests.jsonl is the newest, requests.jsonl.1 the one
before, up to requests.jsonl.<backups>; the oldest goes. A service with one worker (service.py's
`workers=1`) is the only writer.

Settings: `serve.request_log` in params.yaml (RequestLogSettings: enabled, path, max_mb, backups).
`make serve` (capstone.pipeline.serve) checks them, makes the path absolute against the repository
root and hands them to the service in the environment variable CAPSTONE_REQUEST_LOG, because BentoML
runs the worker in the bento's folder. Set that variable yourself to override the path for one
run (`CAPSTONE_REQUEST_LOG=/tmp/trial.jsonl make serve`) or to turn the log off (`=off`).

`read_request_log(path)` reads the log back, rotated files included, oldest first, as a DataFrame:
one column per feature, then prediction (and probability_<class>), model_version and timestamp.
"""

from __future__ import annotations

import atexit
import datetime
import json
import logging
import os
import queue
import sys
from collections.abc import Mapping, Sequence
from logging.handlers import QueueListener, RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from capstone.config import ConfigError, Params, find_root, load_params

if TYPE_CHECKING:
    import pandas as pd

ENV_VAR = "CAPSTONE_REQUEST_LOG"
DEFAULT_PATH = "logs/requests.jsonl"
# Batches waiting for the writer thread. When the disk cannot keep up, later batches are dropped
# (served, not logged, and counted in RequestLog.dropped): the log never slows a request down.
QUEUE_BATCHES = 10_000
OFF = ("off", "false", "no", "0", "none")


class RequestLogSettings(BaseModel):
    """serve.request_log in params.yaml; every key may be left out."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # Relative paths are relative to the repository root (where `make serve` runs).
    path: str = DEFAULT_PATH
    # The size at which the log is rotated, in MB (2**20 bytes).
    max_mb: float = Field(default=50, gt=0)
    # How many rotated files are kept (requests.jsonl.1 ... .N); at least 1, or there is no size limit.
    backups: int = Field(default=3, ge=1, le=1000)

    @field_validator("path")
    @classmethod
    def _a_file_name(cls, value: str) -> str:
        if not value.strip() or value.strip().endswith(("/", "\\")):
            raise ValueError("give a file name, for example logs/requests.jsonl")
        return value.strip()

    def resolved(self, root: Path) -> RequestLogSettings:
        """The same settings with the path made absolute against `root`."""
        path = Path(self.path).expanduser()
        return self.model_copy(update=dict(path=str(path if path.is_absolute() else (root / path).resolve())))


def request_log_settings(params: Params, root: Path | None = None) -> RequestLogSettings:
    """serve.request_log of params.yaml, checked (ConfigError names the bad key), with the path made
    absolute against `root` when given. `request_log: false` is short for `enabled: false`."""
    serve = (params.model_extra or {}).get("serve") or {}
    if not isinstance(serve, dict):
        raise ConfigError("params.yaml: serve: must be a section of settings (host, port, request_log)")
    section = serve.get("request_log")
    if section is None:
        section = {}
    elif isinstance(section, bool):
        section = {"enabled": section}
    try:
        settings = RequestLogSettings.model_validate(section)
    except ValidationError as problem:
        raise ConfigError(f"params.yaml: {_first_error(problem, 'serve.request_log')}") from None
    return settings.resolved(root) if root is not None else settings


def settings_from_environment(value: str, base: RequestLogSettings | None = None) -> RequestLogSettings:
    """The settings CAPSTONE_REQUEST_LOG gives: the JSON `make serve` writes, `off`, or a file path
    (then the other settings are `base`'s, or the defaults)."""
    base = base or RequestLogSettings()
    text = value.strip()
    if text.lower() in OFF or not text:
        return base.model_copy(update=dict(enabled=False))
    if text.startswith("{"):
        try:
            return RequestLogSettings.model_validate_json(text)
        except ValidationError as problem:
            raise ConfigError(f"{ENV_VAR}: {_first_error(problem, '')}") from None
    return base.model_copy(update=dict(enabled=True, path=str(Path(text).expanduser().resolve())))


def _first_error(problem: ValidationError, where: str) -> str:
    """pydantic's first complaint in one line: "serve.request_log.max_mb: Input should be ..."."""
    first = problem.errors()[0]
    place = ".".join(str(part) for part in (where, *first["loc"]) if part != "") or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown key; the keys here are {', '.join(RequestLogSettings.model_fields)}"
    return f"{place}: {message}"


def service_settings() -> RequestLogSettings:
    """Where a starting service logs: CAPSTONE_REQUEST_LOG (`make serve` sets it), else
    serve.request_log of the team repository around the current folder, else the defaults there."""
    value = os.environ.get(ENV_VAR)
    if value is not None:
        return settings_from_environment(value)
    try:
        root = find_root()
    except ConfigError:
        return RequestLogSettings().resolved(Path.cwd())
    return request_log_settings(load_params(root), root)


class RequestLog:
    """The log a service writes: `write(records, answers)` per batch, `close()` at the end (also at exit).

    With `enabled: false` every call does nothing, and no file is created.
    """

    def __init__(self, settings: RequestLogSettings, model_version: str) -> None:
        self.settings = settings
        self.model_version = model_version
        self.path: Path | None = Path(settings.path).resolve() if settings.enabled else None
        self.dropped = 0  # records served but not logged, because the writer was behind
        self._queue: queue.Queue | None = None
        self._listener: QueueListener | None = None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handler = _RotatingLines(
            self.path,
            maxBytes=max(1, int(settings.max_mb * 2**20)),
            backupCount=settings.backups,
            encoding="utf-8",
            delay=True,  # the file appears with the first record
        )
        handler.setFormatter(_JsonLines())
        self._queue = queue.Queue(QUEUE_BATCHES)
        self._listener = QueueListener(self._queue, handler)
        self._listener.start()
        atexit.register(self.close)  # the lines still queued are written before the process ends

    @classmethod
    def for_service(cls, model_version: str) -> RequestLog:
        """The log of a service starting now (settings from service_settings()); says where it writes."""
        log = cls(service_settings(), model_version)
        where = f"to {log.path}" if log.path else "off (serve.request_log.enabled in params.yaml)"
        print(f"Request log: {where}", file=sys.stderr, flush=True)
        return log

    def write(self, records: Sequence[Mapping[str, Any]], answers: Sequence[Any]) -> None:
        """Log one line per record: the record (column -> value, as received) and its answer.

        An answer is the service's Prediction (pydantic, with `prediction` and maybe `probabilities`),
        a dict with those keys, or the bare prediction. The caller's thread only enqueues the batch:
        the JSON is made and written by the log's own thread.
        """
        if self._queue is None:
            return
        if len(records) != len(answers):
            raise ValueError(
                f"request log: {len(records)} records but {len(answers)} answers; give one answer per record"
            )
        now = datetime.datetime.now(datetime.UTC)
        batch = logging.makeLogRecord(dict(batch=(records, answers, self.model_version, now)))
        try:
            self._queue.put_nowait(batch)
        except queue.Full:
            if not self.dropped:
                print(
                    f"WARNING: request log: the writer is behind ({QUEUE_BATCHES:,} batches waiting); "
                    f"records are served but not logged until it catches up ({self.path})",
                    file=sys.stderr,
                    flush=True,
                )
            self.dropped += len(records)

    def close(self) -> None:
        """Write what is queued, close the file. Safe to call more than once."""
        listener, self._listener, self._queue = self._listener, None, None
        if listener is None:
            return
        listener.stop()  # waits for the queue to drain
        for handler in listener.handlers:
            handler.close()
        atexit.unregister(self.close)

    def __enter__(self) -> RequestLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _JsonLines(logging.Formatter):
    """A batch as its JSON lines. Made once per batch (the handler asks twice: to size it and to write it)."""

    def format(self, record: logging.LogRecord) -> str:
        text = getattr(record, "lines", None)
        if text is None:
            text = record.lines = _lines(*record.batch)
        return text


class _RotatingLines(RotatingFileHandler):
    """RotatingFileHandler that never rotates an empty file and reports a failed write in one line."""

    reported = False

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 (logging's name)
        # A batch larger than the limit goes into a file of its own rather than leave an empty one behind.
        return bool(super().shouldRollover(record)) and self.stream is not None and self.stream.tell() > 0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        if not self.reported:
            problem = sys.exc_info()[1]
            print(
                f"ERROR: request log: could not write {self.baseFilename}: {type(problem).__name__}: {problem}; "
                "requests are still answered, not logged",
                file=sys.stderr,
                flush=True,
            )
            self.reported = True


def _lines(records: Sequence[Mapping[str, Any]], answers: Sequence[Any], model_version: str, when) -> str:
    stamp = when.isoformat(timespec="milliseconds")
    lines = []
    for features, answer in zip(records, answers, strict=True):
        if hasattr(answer, "model_dump"):
            answer = answer.model_dump()
        line = dict(timestamp=stamp, model_version=model_version, features=dict(features))
        if isinstance(answer, Mapping) and "prediction" in answer:
            line["prediction"] = answer["prediction"]
            if answer.get("probabilities") is not None:
                line["probabilities"] = answer["probabilities"]
        else:
            line["prediction"] = answer
        lines.append(json.dumps(line, default=_plain, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """What json cannot write itself: numpy scalars, dates."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- reading it back ------------------------------------------------------------------------------


def log_files(path: str | Path = DEFAULT_PATH) -> list[Path]:
    """The log's files that exist, oldest first: <path>.N ... <path>.1, then <path>."""
    path = Path(path)
    rotated = [
        candidate
        for candidate in path.parent.glob(f"{path.name}.*")
        if candidate.suffix[1:].isdigit() and candidate.is_file()
    ]
    rotated.sort(key=lambda candidate: int(candidate.suffix[1:]), reverse=True)
    return rotated + ([path] if path.is_file() else [])


def read_request_log(path: str | Path = DEFAULT_PATH) -> pd.DataFrame:
    """The request log as a DataFrame, one row per logged record, oldest first (rotated files too).

    Columns: the features (as the requests sent them), then `prediction`, `probability_<class>` for
    a classifier, `model_version` and `timestamp` (UTC). A feature that has one of those names keeps
    it; the log's own column is then prefixed with "log_". A line that is not JSON (a write cut short)
    is skipped and counted in frame.attrs["skipped_lines"].
    """
    import pandas as pd

    files = log_files(path)
    if not files:
        raise FileNotFoundError(
            f"no request log at {path}: serve the model (make serve) and send it traffic (make replay BATCH=2)"
        )
    features: list[dict] = []
    meta: list[dict] = []
    skipped = 0
    for file in files:
        with file.open(encoding="utf-8") as lines:
            for text in lines:
                if not text.strip():
                    continue
                try:
                    line = json.loads(text)
                    record = line["features"]
                except (ValueError, KeyError, TypeError):
                    skipped += 1
                    continue
                features.append(record)
                row = dict(prediction=line.get("prediction"))
                for label, probability in (line.get("probabilities") or {}).items():
                    row[f"probability_{label}"] = probability
                row.update(model_version=line.get("model_version"), timestamp=line.get("timestamp"))
                meta.append(row)
    frame = pd.DataFrame.from_records(features) if features else pd.DataFrame()
    extra = pd.DataFrame.from_records(meta, columns=_meta_order(meta))
    extra.columns = [f"log_{name}" if name in frame.columns else name for name in extra.columns]
    frame = pd.concat([frame, extra], axis=1)
    stamp = "log_timestamp" if "log_timestamp" in frame.columns else "timestamp"
    frame[stamp] = pd.to_datetime(frame[stamp], utc=True, format="ISO8601")
    frame.attrs["skipped_lines"] = skipped
    frame.attrs["files"] = [str(file) for file in files]
    return frame


def _meta_order(meta: list[dict]) -> list[str]:
    probabilities = sorted({name for row in meta for name in row if name.startswith("probability_")})
    return ["prediction", *probabilities, "model_version", "timestamp"]
