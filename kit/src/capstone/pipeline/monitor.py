"""Pipeline stage `monitor` (stage 6): the team's monitor on what the model sees now.

    python -m <package>.monitoring.check

The reference is the training split. What the model sees now is, by params.yaml `monitor.source`:
- `log`: the service's request log (serve.request_log; `make replay BATCH=K` fills it);
- `batch`: delivery `monitor.batch` of the feed, as production sends it (without the catalogued
  defects: only drift differs), with its labels when `monitor.labels` is true (labels arrive one
  delivery later in a company: `capstone data generate --labels-for K`);
- `auto` (the default): the log when it holds rows, else the batch (a custom CSV: its test split).
With labels, the champion is scored on them (capstone.monitoring.Quality) and the monitor sees the
drop. The team's monitor (the hook `monitor`) decides; this stage writes reports/monitoring.json and
reports/monitoring.html.
"""

import sys
import time
from pathlib import Path

from capstone.config import ConfigError, Params, load_params
from capstone.dataset import DatasetSchema, load_schema
from capstone.feed.errors import FeedError
from capstone.monitoring import report as reports
from capstone.monitoring.report import MonitoringReport, Quality

REPORTS = Path("reports")
DEFAULT_ROWS = 5_000


def monitor_settings(params: Params) -> dict:
    """params.yaml `monitor` (the team's thresholds live there too), with the kit's defaults."""
    settings = dict(source="auto", batch=2, labels=False, rows=DEFAULT_ROWS)
    settings.update(params.model_extra.get("monitor") or {})
    if settings["source"] not in ("auto", "log", "batch"):
        raise ConfigError(f"params.yaml monitor.source must be auto, log or batch, not {settings['source']!r}")
    return settings


def assess(hooks, schema: DatasetSchema, settings: dict, reference, current, quality: Quality | None):
    """The team's monitor on (reference, current), its answer checked: a MonitoringReport."""
    answer = hooks.monitor(reference, current, schema, dict(settings), quality)
    return reports.checked(answer, hooks.target("monitor"))


def quality_of(model, schema: DatasetSchema, metric: str, trained: tuple, current: tuple) -> Quality:
    """The model's score on the training-time rows (X, y) and on the newly labelled rows (X, y)."""
    from capstone.pipeline.scoring import score

    return Quality(
        metric=metric,
        trained=round(score(model, *trained, metric), 6),
        current=round(score(model, *current, metric), 6),
        rows=len(current[0]),
    )


def delivered(params: Params, schema: DatasetSchema, batch: int, rows: int, seed: int | None = None):
    """Delivery `batch` of the feed as production sends it: the model's input and the labels."""
    from capstone.feed import generate_batch
    from capstone.pipeline.splits import model_input

    feed = params.data.model_extra.get("feed") or {}
    frame, _ = generate_batch(
        params.data.dataset, rows, int(feed.get("seed", 42) if seed is None else seed), batch, defects=False
    )
    return model_input(frame, schema), frame[schema.target]


def current_data(params: Params, schema: DatasetSchema, settings: dict):
    """(source description, model input now, (input, labels) of the labelled rows or None), as monitor.source
    and monitor.labels say. The request log has no labels: with labels: true they are delivery `batch`'s,
    which arrived after the traffic it sent."""
    from capstone.pipeline.splits import model_input, read_split

    rows = int(settings["rows"])
    if settings["source"] in ("auto", "log"):
        logged = _logged(params, schema)
        if logged is not None and len(logged):
            labelled = None
            if settings["labels"] and params.data.dataset != "custom_csv":
                labelled = delivered(params, schema, int(settings["batch"]), rows)
            source = f"the request log ({len(logged):,} records)"
            if labelled is not None:
                source += f", with delivery {int(settings['batch'])}'s labels"
            return source, logged.tail(rows).reset_index(drop=True), labelled
        if settings["source"] == "log":
            raise ConfigError(
                "the request log has no records yet (monitor.source: log); serve the model and send it traffic: "
                "make serve, then make replay BATCH=2"
            )
    if params.data.dataset == "custom_csv":
        X, y = read_split("test", schema)
        X = model_input(X, schema)
        return "the test split (a custom CSV has no later deliveries)", X, (X, y)
    batch = int(settings["batch"])
    X, y = delivered(params, schema, batch, rows)
    return f"delivery {batch} of the feed", X, ((X, y) if settings["labels"] else None)


def _logged(params: Params, schema: DatasetSchema):
    try:
        from capstone.requestlog import log_files, read_request_log, request_log_settings
    except ImportError:  # a kit without the request log
        return None
    from capstone.pipeline.splits import model_input

    path = Path(request_log_settings(params).path)
    if not log_files(path):  # right after a rotation only requests.jsonl.1 may exist
        return None
    frame = read_request_log(path)
    return model_input(frame, schema) if len(frame) else None


def run_stage() -> None:
    started = time.perf_counter()
    try:
        params = load_params(Path("."))
        schema = load_schema(params)
        settings = monitor_settings(params)
    except (ConfigError, FeedError) as problem:
        sys.exit(f"ERROR: {problem}")
    from capstone.pipeline.scoring import metric_name
    from capstone.pipeline.splits import read_split
    from capstone.pipeline.stage import team_hooks

    reference, _ = read_split("train", schema)
    try:
        source, current, labelled = current_data(params, schema, settings)
        quality = None
        if labelled is not None:
            X, labels = labelled
            metric = metric_name((params.model_extra.get("train") or {}).get("metric"), schema.task)
            known = labels.notna().to_numpy()
            quality = quality_of(
                champion(params),
                schema,
                metric,
                read_split("test", schema),
                (X[known].reset_index(drop=True), labels[known].reset_index(drop=True)),
            )
        verdict: MonitoringReport = assess(team_hooks(params), schema, settings, reference, current, quality)
    except (ConfigError, FeedError) as problem:
        sys.exit(f"ERROR: {problem}")
    content = reports.document(verdict, quality, source, dict(reference=len(reference), current=len(current)))
    json_path, html_path = reports.write(REPORTS, content)
    drifted = ", ".join(content["drifted"]) or "none"
    print(f"Monitored {source} against the training data: drifted columns: {drifted}.")
    if quality is not None:
        print(f"  {quality.metric}: {quality.trained:.3f} at training, {quality.current:.3f} now.")
    print(f"  {'Retrain' if verdict.retrain else 'No retraining'}: {verdict.why}")
    print(f"  {json_path}, {html_path} ({time.perf_counter() - started:.1f} s)")


def champion(params: Params):
    """The registered champion (models:/<name>@champion), loaded with MLflow."""
    import mlflow

    from capstone.pipeline import tracking

    tracking.connect(params)
    return mlflow.sklearn.load_model(f"models:/{params.mlflow.registered_model}@champion")


def main() -> None:
    run_stage()
