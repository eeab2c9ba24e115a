"""Pipeline stage `register`: the best run becomes a new version of the registered model, and the
`champion` alias moves to it only if it earns it.

    python -m <package>.models.register

The best run of reports/training.json is registered as version N of mlflow.registered_model.
It becomes the champion only if its register.metric (valid_score by default) is more than
register.min_improvement above both the baseline run's and the current champion's. Like with like:
with valid_score, the current champion is scored again on this validation split (the same rows
the new run was scored on), so a champion trained on older or other data is judged on today's.
Otherwise the alias stays where it is, and this stage says why (and still succeeds). A promoted
version carries the tag previous_champion (the version it replaced): `capstone rollback` goes back,
and tags the version it left rolled_back, which this stage then never promotes by itself
(`capstone rollback --undo` does).
Writes reports/champion.json for the bento stage and for people.
"""

import json
import sys
from pathlib import Path

from capstone.config import ConfigError, load_params
from capstone.pipeline import tracking

TRAINING_REPORT = Path("reports/training.json")
CHAMPION_REPORT = Path("reports/champion.json")
ALIAS = "champion"
PREVIOUS = "previous_champion"  # model version tag: the champion this version replaced
ROLLED_BACK = "rolled_back"  # model version tag: capstone rollback took the alias away from this version


def run_stage() -> None:
    try:
        params = load_params(Path("."))
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    settings = params.model_extra.get("register") or {}
    metric = str(settings.get("metric") or "valid_score")
    margin = float(settings.get("min_improvement") or 0.0)
    if not TRAINING_REPORT.is_file():
        sys.exit(f"ERROR: {TRAINING_REPORT} not found; run the train stage first: dvc repro train")
    training = json.loads(TRAINING_REPORT.read_text(encoding="utf-8"))

    from mlflow import MlflowClient

    tracking.connect(params)
    client = MlflowClient()
    name = params.mlflow.registered_model
    best_id, baseline_id = training["best_run_id"], training["baseline_run_id"]
    score = run_metric(client, best_id, metric)
    if score is None:
        sys.exit(
            f"ERROR: the best run {best_id} has no metric {metric!r} (register.metric in params.yaml); "
            "use a metric the train stage logs, such as valid_score"
        )

    best = next((run for run in training["runs"] if run["run_id"] == best_id), {})
    version = register(client, name, best_id, best.get("model_uri") or f"runs:/{best_id}/model")
    champion = current_champion(client, name)
    rescored = None
    if metric == "valid_score" and champion is not None and champion.run_id != best_id:
        rescored = champion_on_this_split(params, name, champion)
    promoted, reason = decide(client, metric, margin, score, best_id, baseline_id, champion, rescored)
    if promoted and client.get_model_version(name, version).tags.get(ROLLED_BACK):
        promoted, reason = (
            False,
            (
                f"version {version} was rolled back (make rollback), so it is not promoted again by itself: "
                "make rollback UNDO=1 serves it again, or retrain"
            ),
        )
    if promoted:
        if champion is not None:
            client.set_model_version_tag(name, version, PREVIOUS, str(champion.version))
        client.set_registered_model_alias(name, ALIAS, version)
        champion = client.get_model_version(name, version)
    report = dict(
        model=name,
        version=int(version),
        run_id=best_id,
        promoted=promoted,
        reason=reason,
        metric=metric,
        score=score,
        champion_version=int(champion.version) if champion else None,
        champion_run_id=champion.run_id if champion else None,
    )
    CHAMPION_REPORT.parent.mkdir(parents=True, exist_ok=True)
    CHAMPION_REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    verdict = f"is now the {ALIAS}" if promoted else f"is registered, but the {ALIAS} stays"
    print(f"{name} version {version} (run {best_id}) {verdict}: {reason}")
    link = tracking.ui_link(f"models/{name}/versions/{version}")
    if link:
        print(f"  {link}")


def register(client, name: str, run_id: str, model_uri: str) -> str:
    """The model version of `run_id`: an existing one (a rerun registers nothing new) or a new one."""
    import mlflow

    existing = [found for found in client.search_model_versions(f"name = '{name}'") if found.run_id == run_id]
    if existing:
        return str(existing[0].version)
    return str(mlflow.register_model(model_uri, name).version)


def current_champion(client, name: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        return None


def champion_on_this_split(params, name: str, champion) -> float | None:
    """The current champion's score on this validation split (train.metric), or None when it cannot answer."""
    import mlflow

    from capstone.dataset import load_schema
    from capstone.pipeline.scoring import metric_name, score
    from capstone.pipeline.splits import read_split

    schema = load_schema(params)
    X, y = read_split("valid", schema)
    try:
        model = mlflow.sklearn.load_model(f"models:/{name}/{champion.version}")
        return score(model, X, y, metric_name((params.model_extra.get("train") or {}).get("metric"), schema.task))
    except Exception as problem:  # noqa: BLE001 (an old champion that cannot read today's columns loses)
        print(f"  the {ALIAS} (version {champion.version}) cannot score this validation split: {problem}")
        return None


def decide(client, metric, margin, score, best_id, baseline_id, champion, rescored=None) -> tuple[bool, str]:
    """Whether the best run becomes the champion, and the reason in one sentence.

    rescored: the champion's score on the same validation split as `score` (None: its run's metric).
    """
    baseline = run_metric(client, baseline_id, metric)
    if baseline is None:
        return False, f"the baseline run {baseline_id} has no {metric} to compare with"
    if not score > baseline + margin:
        return False, (f"{metric} {score:.4f} does not beat the baseline's {baseline:.4f} by more than {margin}")
    if champion is None:
        return True, f"{metric} {score:.4f} beats the baseline's {baseline:.4f}; there was no {ALIAS} yet"
    if champion.run_id == best_id:
        return False, f"this run is already the {ALIAS} (version {champion.version})"
    current = rescored if rescored is not None else run_metric(client, champion.run_id, metric)
    where = " on this validation split" if rescored is not None else ""
    if current is None:
        # The champion's run lacks the metric (it was renamed in params.yaml): nothing to defend.
        return True, (
            f"{metric} {score:.4f} beats the baseline's {baseline:.4f}; the {ALIAS} (version "
            f"{champion.version}) has no {metric} to compare"
        )
    if not score > current + margin:
        return False, (
            f"{metric} {score:.4f} does not beat the {ALIAS}'s {current:.4f}{where} (version {champion.version}, "
            f"run {champion.run_id}) by more than {margin}"
        )
    return True, (
        f"{metric} {score:.4f} beats the baseline's {baseline:.4f} and the previous {ALIAS}'s "
        f"{current:.4f}{where} (version {champion.version}) by more than {margin}"
    )


def run_metric(client, run_id: str, metric: str) -> float | None:
    from mlflow.exceptions import MlflowException

    try:
        value = client.get_run(run_id).data.metrics.get(metric)
    except MlflowException:
        return None
    return None if value is None else float(value)


def main() -> None:
    """Run the stage; a tracking server's refusal (down, wrong login, another team's model) in one line."""
    with tracking.explained():
        run_stage()


if __name__ == "__main__":
    main()
