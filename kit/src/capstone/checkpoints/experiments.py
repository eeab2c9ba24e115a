"""Stage 4 gates: the experiments are tracked, the champion was trained on data the feed delivered,
and it beats the baseline on the hidden holdout.

Brief: docs/stages/4-experiments.md. The runs are read from the team's MLflow experiment
(params.yaml: mlflow.experiment) with mlflow.search_runs; the tags they are read by (git_sha,
data_version, family, baseline) and the param `search` are written by models/train.py and
models/tracking.py.
"""

import hashlib
import json
import tempfile
from pathlib import Path

from capstone.checkpoints.features import one_thread
from capstone.checkpoints.gates import Outcome, gate, threshold

BRIEF = "docs/stages/4-experiments.md"
UNKNOWN = "unknown"  # what models/tracking.py tags when it cannot tell the commit or the data
DVC_LOCK = Path("dvc.lock")
RAW_OUT = "data/raw"  # the ingest stage's output: its md5 in dvc.lock is the data version


# --- the gates -------------------------------------------------------------------------------------


@gate("tracked-experiments")
def tracked_experiments(context, thresholds) -> Outcome:
    """Enough runs, model families and tuned families, each run tagged with its commit and data.

    Which runs count: the runs of the champion's commit (tag git_sha equal to the champion run's),
    from every training at that commit. The champion was chosen among the runs of its own code;
    runs of older commits trained other code and cannot vouch for it, and would let a long-lived
    local store count the same families again and again. In CI every commit trains once, so the
    count there is one training's runs. (Without a champion yet, the runs of HEAD count.)
    The baseline run counts as a run, not as a family; a family is tuned when a run of it logged
    a `search` other than "none".
    """
    min_runs = int(threshold(thresholds, "min_runs", 4))
    min_families = int(threshold(thresholds, "min_families", 3))
    min_tuned = int(threshold(thresholds, "min_tuned_families", 2))
    expected = f"at least {min_runs} runs, {min_families} families, {min_tuned} tuned; every run tagged"
    sha, whose = _counted_commit(context)
    runs = experiment_runs(context)
    if sha in ("", UNKNOWN):
        return _fail(
            f"{whose} has no git_sha tag, so its runs cannot be told apart",
            "models/tracking.py tags every run with the commit (git rev-parse HEAD); run `make pipeline` "
            "inside the git repository, with your work committed.",
            expected,
        )
    counted = runs[run_column(runs, "tags.git_sha") == sha]
    baseline = run_column(counted, "tags.baseline") == "true"
    models = counted[~baseline]
    families = sorted(set(run_column(models, "tags.family").dropna()) - {""})
    searched = ~run_column(models, "params.search").fillna("none").isin(["none", ""])
    tuned = sorted(set(run_column(models[searched], "tags.family").dropna()) - {""})
    untagged = counted[run_column(counted, "tags.data_version").fillna(UNKNOWN).isin([UNKNOWN, ""])]
    measured = f"{len(counted)} runs, {len(families)} families ({len(tuned)} tuned) at {sha[:7]}"

    problems = []
    if len(counted) < min_runs:
        problems.append(f"{len(counted)} runs; at least {min_runs} are needed")
    if len(families) < min_families:
        problems.append(
            f"{len(families)} model families besides the baseline ({_names(families) or 'none'}); "
            f"at least {min_families} are needed"
        )
    if len(tuned) < min_tuned:
        problems.append(
            f"{len(tuned)} families tuned with a search ({_names(tuned) or 'none'}); "
            f"at least {min_tuned} are needed"
        )
    if len(untagged):
        problems.append(f"{len(untagged)} runs lack a data_version tag (no dvc.lock when they trained)")
    if not problems:
        return Outcome(True, measured, expected)
    return _fail(
        f"too few tracked experiments at {whose} ({sha[:7]}): {problems[0]}",
        "Add model families to models/candidates.py, each with a search space worth tuning (for "
        "example a random forest and gradient boosting beside the linear model), then run `make "
        "pipeline`: models/train.py logs one tagged run per family.\n"
        + "\n".join(f"- {problem}" for problem in problems),
        expected,
        measured,
    )


@gate("champion-on-delivered-data")
def champion_on_delivered_data(context, thresholds) -> Outcome:
    """The champion's data_version tag names data the feed delivered (or the team's documented CSV).

    For a built-in domain: the data version is the md5 DVC gave data/raw (a `.dir` listing in the
    DVC cache, .dvc/cache/files/md5/<2>/<rest>.dir, a JSON list of {md5, relpath}). Its batch.csv
    must have the md5 of the feed's delivery: the batch the ingest stage writes with params.yaml's
    data.feed rows and batch and the feed seed recorded at bake time (thresholds.feed_seed), which
    is regenerated here. A team that trained on other rows (say, the public holdout's seed) fails.
    For custom_csv: the data version must be the one dvc.lock records for data/raw now.
    """
    run = context.mlflow.get_run(context.champion.run_id)
    version = run.data.tags.get("data_version") or UNKNOWN
    who = f"the champion (version {context.champion.version}, run {run.info.run_id})"
    if version == UNKNOWN:
        return _fail(
            f"{who} has no data_version tag",
            "models/tracking.py tags each run with the md5 of data/raw from dvc.lock: train through "
            "`make pipeline` (dvc repro), which writes dvc.lock first.",
        )
    if context.params.data.dataset == "custom_csv":
        return _custom_data(context, who, version)

    feed = context.params.data.model_extra.get("feed") or {}
    rows, batch = int(feed.get("rows", 20_000)), int(feed.get("batch", 1))
    seed = int(threshold(thresholds, "feed_seed", 42))
    delivery = f"feed batch {batch} ({rows} rows, seed {seed})"
    trained, where = trained_batch_md5(context.root, version)
    if trained is None:
        return _fail(
            f"the data of {who} (data version {version}) is not in the DVC cache",
            f"{where}. Run `dvc pull` to fetch it, or `make pipeline` to train on the current data.",
            delivery,
            f"data version {version[:8]} not in the DVC cache",
        )
    delivered = delivered_batch_md5(context.params.data.dataset, rows, seed, batch)
    if trained == delivered:
        return Outcome(True, f"data version {version[:8]} is {delivery}", delivery)
    team_seed = feed.get("seed")
    lines = [f"- trained on batch.csv with md5 {trained} ({where})", f"- the {delivery} has md5 {delivered}"]
    if team_seed is not None and int(team_seed) != seed:
        lines.append(
            f"- data.feed.seed in params.yaml is {team_seed}: it must stay {seed}. Other seeds are other "
            "customers, among them the rows the checkpoint scores the champion on"
        )
    return _fail(
        f"{who} was not trained on the data the feed delivered",
        "Train on the delivery: restore data.feed in params.yaml (rows and batch are yours to choose, "
        "the seed is not) and the ingest stage, then run `make pipeline`. If the old champion stays (its "
        "validation score is hard to beat honestly), start a fresh local MLflow store: move mlflow.db and "
        "mlartifacts/ away, then `make pipeline` (on a shared tracking server, ask a mentor).\n"
        + "\n".join(lines),
        delivery,
        f"data version {version[:8]} is not a feed delivery",
    )


@gate("champion-beats-baseline")
@one_thread
def champion_beats_baseline(context, thresholds) -> Outcome:
    """The champion's score on the hidden holdout minus the baseline's, with the train metric.

    The baseline is the dummy model of the champion's training (its run is tagged baseline=true),
    loaded from MLflow. Both are scored on the same holdout rows with the metric train.metric
    names (models.scoring.metric_name), through scikit-learn's own scorer. Without the
    CAPSTONE_HOLDOUT_SEED secret the holdout is public: the result says so.
    """
    from sklearn.metrics import get_scorer

    from capstone.checkpoints.features import model_input, team_call

    minimum = threshold(thresholds, "min_margin", 0.25)
    expected = f"at least {minimum:.2f}"
    schema, holdout = context.schema, context.holdout
    frame = holdout.frame[holdout.frame[schema.target].notna()]
    X, y = model_input(context, frame), frame[schema.target].reset_index(drop=True)
    settings = context.params.model_extra.get("train") or {}
    metric = team_call(context.team("models.scoring").metric_name, settings.get("metric"), schema.task)
    scorer = get_scorer(metric)

    baseline_run = baseline_run_for_champion(context)
    if baseline_run is None:
        return _fail(
            "no baseline run (tag baseline=true) in the experiment",
            "Keep the dummy model in models/candidates.py (Candidate(..., baseline=True)): it is the bar "
            "every model must clear. Then run `make pipeline`.",
            expected,
        )
    champion_score = float(scorer(context.champion_model, X, y))
    baseline_score = float(scorer(context.load_model(logged_model_uri(context, baseline_run)), X, y))
    margin = champion_score - baseline_score
    public = "" if holdout.secret else ", holdout not secret"
    measured = (
        f"margin {margin:+.3f} {metric} (champion {champion_score:.3f}, baseline {baseline_score:.3f}; "
        f"{len(frame)} holdout rows{public})"
    )
    if margin >= minimum:
        return Outcome(True, measured, expected, "" if holdout.secret else not_secret_note(holdout))
    lines = [
        f"The champion (version {context.champion.version}) beats the baseline by {margin:+.3f} {metric} "
        f"on the holdout; at least {minimum:.2f} is needed.",
        "",
        "Improve the features (docs/stages/3-features.md: encode every column, add durations) and the "
        "model families and their search spaces in models/candidates.py, then run `make pipeline`. A model "
        "that only looks good on the validation split will not pass here: the holdout rows are new.",
    ]
    if not holdout.secret:
        lines += ["", not_secret_note(holdout)]
    return Outcome(False, measured, expected, "\n".join(lines) + f"\n\nSee {BRIEF}.")


# --- helpers -------------------------------------------------------------------------------------


def not_secret_note(holdout) -> str:
    """The sentence every report carries when the holdout is public. It never shows the secret."""
    return (
        f"**The holdout is not secret:** {holdout.source}. The team can generate these rows, so this score "
        "proves less than it will in the mentors' CI, where the CAPSTONE_HOLDOUT_SEED secret is set."
    )


def experiment_runs(context):
    """Every top-level run of the team's experiment, as mlflow.search_runs' DataFrame.

    Child runs (autolog logs one per candidate of a search) belong to their parent and are left out.
    """
    import mlflow

    from capstone.checkpoints.context import NotReady

    mlflow.set_tracking_uri(context.tracking_uri)
    name = context.params.mlflow.experiment
    experiment = context.mlflow.get_experiment_by_name(name)
    if experiment is None:
        raise NotReady(f"no MLflow experiment {name!r} in {context.tracking_uri}; run `make pipeline`")
    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id], output_format="pandas")
    return runs[run_column(runs, "tags.mlflow.parentRunId").isna()].reset_index(drop=True)


def baseline_run_for_champion(context):
    """The run_id of the baseline trained with the champion, or None when there is no baseline run.

    Preferred: the latest baseline run of the champion's commit and data that started before the
    champion's run (the same training); else the latest baseline run before it; else the latest.
    """
    runs = experiment_runs(context)
    baselines = runs[run_column(runs, "tags.baseline") == "true"]
    if baselines.empty:
        return None
    champion = context.mlflow.get_run(context.champion.run_id)
    started = champion.info.start_time
    before = baselines[
        run_column(baselines, "start_time").map(lambda time: time.value // 1_000_000) <= started
    ]
    same = before[
        (run_column(before, "tags.git_sha") == champion.data.tags.get("git_sha"))
        & (run_column(before, "tags.data_version") == champion.data.tags.get("data_version"))
    ]
    for found in (same, before, baselines):
        if not found.empty:
            return str(found.sort_values("start_time").iloc[-1]["run_id"])
    return None


def logged_model_uri(context, run_id: str) -> str:
    """The URI of the model a run logged (MLflow 3: a LoggedModel, models:/m-...)."""
    import mlflow

    mlflow.set_tracking_uri(context.tracking_uri)
    experiment_id = context.mlflow.get_run(run_id).info.experiment_id
    found = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string=f"source_run_id = '{run_id}'", output_format="list"
    )
    return found[0].model_uri if found else f"runs:/{run_id}/model"


def locked_data_version(root: Path) -> str:
    """The md5 dvc.lock records for the ingest stage's data/raw (what models/tracking.py tags)."""
    import yaml

    try:
        stages = (yaml.safe_load((Path(root) / DVC_LOCK).read_text(encoding="utf-8")) or {}).get("stages", {})
    except (OSError, yaml.YAMLError):
        return UNKNOWN
    for out in (stages.get("ingest") or {}).get("outs", []):
        if isinstance(out, dict) and out.get("path") == RAW_OUT and out.get("md5"):
            return str(out["md5"])
    return UNKNOWN


def trained_batch_md5(root: Path, version: str) -> tuple[str | None, str]:
    """batch.csv's md5 in the data/raw of data version `version`, and where it was read."""
    root = Path(root)
    listing = dvc_cache(root) / "files" / "md5" / version[:2] / version[2:]
    if listing.is_file():
        entries = json.loads(listing.read_text(encoding="utf-8"))
        for entry in entries:
            if entry.get("relpath") == "batch.csv":
                return str(entry["md5"]), f"the DVC cache's listing {_shown(listing, root)}"
        return None, f"the listing {_shown(listing, root)} has no batch.csv"
    # The cache may have been cleared; the workspace holds the same data if dvc.lock says so.
    raw = root / RAW_OUT / "batch.csv"
    if version == locked_data_version(root) and raw.is_file():
        return _md5(raw), f"{RAW_OUT}/batch.csv, the data version dvc.lock records"
    return None, f"no {_shown(listing, root)} in the DVC cache, and dvc.lock records another data version"


def delivered_batch_md5(dataset: str, rows: int, seed: int, batch: int) -> str:
    """The md5 of batch.csv as the ingest stage writes the feed's delivery (capstone.feed.write_batch)."""
    from capstone.feed import generate_batch, write_batch

    frame, key = generate_batch(dataset, rows=rows, seed=seed, batch=batch)
    with tempfile.TemporaryDirectory(prefix="capstone-delivery-") as folder:
        data_path, _ = write_batch(frame, key, Path(folder) / "batch.csv")
        return _md5(data_path)


def dvc_cache(root: Path) -> Path:
    """The DVC cache folder: .dvc/cache, unless .dvc/config (or config.local) sets cache.dir."""
    import configparser

    folder = Path(root) / ".dvc"
    parser = configparser.ConfigParser()
    parser.read([folder / "config", folder / "config.local"], encoding="utf-8")
    configured = parser.get("cache", "dir", fallback="").strip()
    return (folder / configured).resolve() if configured else folder / "cache"


def _custom_data(context, who: str, version: str) -> Outcome:
    locked = locked_data_version(context.root)
    expected = "the data version in dvc.lock"
    if version == locked:
        return Outcome(True, f"data version {version[:8]} is the one dvc.lock records", expected)
    return _fail(
        f"{who} was trained on data version {version}, but dvc.lock records {locked}",
        "The champion must be trained on the data this repository documents (data.custom_csv in params.yaml, "
        "data/raw in dvc.lock). Commit dvc.lock and run `make pipeline`; if the old champion stays, start a "
        "fresh local MLflow store (move mlflow.db and mlartifacts/ away) and run it again.",
        expected,
    )


def _counted_commit(context) -> tuple[str, str]:
    """The commit whose runs count: the champion's (else HEAD's), and how to name it."""
    import subprocess

    from capstone.checkpoints.context import NotReady

    try:
        champion = context.champion
    except NotReady:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=context.root, capture_output=True, text=True)
        return done.stdout.strip() or UNKNOWN, "HEAD (no champion yet)"
    sha = context.mlflow.get_run(champion.run_id).data.tags.get("git_sha") or UNKNOWN
    return sha, f"the champion's commit (version {champion.version})"


def run_column(frame, name: str):
    """A column of search_runs' DataFrame, or an empty one (MLflow leaves out tags nobody set)."""
    import pandas as pd

    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype="object")


def _shown(path: Path, root: Path) -> str:
    """`path` relative to the repository when it is inside it (a shared DVC cache may not be)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _names(values) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _fail(finding: str, advice: str, expected: str = "", measured: str = "") -> Outcome:
    """A failed Outcome whose detail starts with the finding, then says what to do."""
    return Outcome(
        False,
        measured or finding,
        expected,
        f"{finding[0].upper()}{finding[1:]}.\n\n{advice}\n\nSee {BRIEF}.",
    )
