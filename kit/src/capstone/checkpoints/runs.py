"""The team's MLflow runs, as the gates of stages 3-5 and `capstone report` read them.

The runs are read from the team's experiment (params.yaml: mlflow.experiment) with
mlflow.search_runs; the tags they are read by (git_sha, data_version, family, baseline) and the
param `search` are written by the pipeline (capstone.pipeline.train and .tracking).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from capstone.checkpoints.registry import NotReady
from capstone.pipeline.candidate import final_estimator

if TYPE_CHECKING:
    from capstone.checkpoints.context import Context


def run_column(frame, name: str):
    """A column of search_runs' DataFrame, or an empty one (MLflow leaves out tags nobody set)."""
    import pandas as pd

    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype="object")


def experiment_runs(context: Context):
    """Every top-level run of the team's experiment, as mlflow.search_runs' DataFrame.

    Child runs (autolog logs one per candidate of a search) belong to their parent and are left out.
    """
    import mlflow

    mlflow.set_tracking_uri(context.tracking_uri)
    name = context.params.mlflow.experiment
    experiment = context.mlflow.get_experiment_by_name(name)
    if experiment is None:
        raise NotReady(f"no MLflow experiment {name!r} in {context.tracking_uri}; run `make pipeline`")
    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id], output_format="pandas")
    return runs[run_column(runs, "tags.mlflow.parentRunId").isna()].reset_index(drop=True)


def baseline_run_for_champion(context: Context) -> str | None:
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
    before = baselines[run_column(baselines, "start_time").map(lambda time: time.value // 1_000_000) <= started]
    same = before[
        (run_column(before, "tags.git_sha") == champion.data.tags.get("git_sha"))
        & (run_column(before, "tags.data_version") == champion.data.tags.get("data_version"))
    ]
    for found in (same, before, baselines):
        if not found.empty:
            return str(found.sort_values("start_time").iloc[-1]["run_id"])
    return None


def logged_model_uri(context: Context, run_id: str) -> str:
    """The URI of the model a run logged (MLflow 3: a LoggedModel, models:/m-...)."""
    import mlflow

    mlflow.set_tracking_uri(context.tracking_uri)
    experiment_id = context.mlflow.get_run(run_id).info.experiment_id
    found = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string=f"source_run_id = '{run_id}'", output_format="list"
    )
    return found[0].model_uri if found else f"runs:/{run_id}/model"


def champion_run(context: Context):
    """The MLflow run that trained the champion."""
    return context.mlflow.get_run(context.champion.run_id)


def signature_columns(context: Context) -> list[str]:
    """The input columns of the champion's logged signature: what the service asks clients for."""
    import mlflow.models

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(context.tracking_uri)
    name = context.params.mlflow.registered_model
    info = mlflow.models.get_model_info(f"models:/{name}/{context.champion.version}")
    if info.signature is None or info.signature.inputs is None:
        return []
    return [str(column) for column in info.signature.inputs.input_names()]


def estimator_class(context: Context, run_id: str) -> str | None:
    """The class name of the estimator a run's logged model ends in (its family); None when it cannot load."""
    try:
        model = context.load_model(f"runs:/{run_id}/model")
    except Exception:  # noqa: BLE001 (a run without a loadable model has no family to count)
        return None
    return type(final_estimator(model)).__name__
