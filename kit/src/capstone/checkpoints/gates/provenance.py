"""provenance (stage 5): the bento's labels name the champion's MLflow run id and data version.

Why: anyone who finds the bento in production must be able to trace it back to the run (and so the
code, parameters and metrics) and to the data it was trained on. The labels are written by the
pipeline's bento stage; this gate compares them with MLflow's champion and its run's data_version tag.
"""

from capstone.checkpoints import runs, service
from capstone.checkpoints.registry import Outcome, gate

ADVICE = dict(
    failed=(
        "The bento {tag} cannot be traced to its model. Labels are set by the pipeline's bento stage "
        "(capstone.pipeline.bento); the run's tags by its tracking. Rebuild with `make pipeline`.\n\n{lines}"
    ),
    run_id="label `mlflow_run_id` is `{label}`, the champion's run is `{run_id}`",
    no_version="the champion's run `{run_id}` has no `data_version` tag",
    data_version="label `data_version` is `{label}`, the champion's run has `{data_version}`",
)


@gate("provenance")
def provenance(context, thresholds) -> Outcome:
    bento = service.read_bento(context)
    labels = bento.labels
    champion = context.champion
    data_version = runs.champion_run(context).data.tags.get("data_version", "")
    problems = []
    if labels.get("mlflow_run_id") != champion.run_id:
        problems.append(ADVICE["run_id"].format(label=labels.get("mlflow_run_id", "(missing)"), run_id=champion.run_id))
    if not data_version or data_version == "unknown":
        problems.append(ADVICE["no_version"].format(run_id=champion.run_id))
    elif labels.get("data_version") != data_version:
        problems.append(
            ADVICE["data_version"].format(label=labels.get("data_version", "(missing)"), data_version=data_version)
        )
    if problems:
        return Outcome(
            False,
            f"{len(problems)} label(s) do not match the champion",
            "the champion's run id and data version",
            ADVICE["failed"].format(tag=bento.tag, lines="\n".join(f"- {problem}" for problem in problems)),
        )
    return Outcome(True, f"run {champion.run_id[:12]}, data version {data_version[:12]}")
