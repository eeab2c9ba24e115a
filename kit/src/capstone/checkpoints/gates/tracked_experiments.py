"""tracked-experiments (stage 4): enough runs, model families and tuned families, each run tagged.

Which runs count: the runs of the checked-out commit (capstone.checkpoints.commits: trained from
committed code that is this commit's, at this commit or at the one before it that the pipeline ran
on); runs from uncommitted code do not count, and `capstone report` counts the same runs. In CI every
commit trains once, so the count there is one training's runs. The baseline run counts as a run,
not as a family; a family is tuned when a run of it logged a `search` other than "none".

A family is an estimator class, read from each run's logged model (the last step of its Pipeline,
through wrappers such as TransformedTargetRegressor), not from the `family` tag the team's
candidates write: three labels on one LogisticRegression are one family. Dummy estimators are
baselines, whatever their tags say.
"""

from capstone.checkpoints import runs
from capstone.checkpoints.commits import uncommitted
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.runs import estimator_class
from capstone.checkpoints.text import counted as counted_as
from capstone.checkpoints.text import failure, names
from capstone.checkpoints.versioning import UNKNOWN

BRIEF = "docs/stages/4-experiments.md"
ADVICE = dict(
    no_sha=(
        "{whose} is not a git commit, so its runs cannot be told apart",
        "The pipeline tags every run with the commit (git rev-parse HEAD); run `make pipeline` "
        "inside the git repository, with your work committed.",
    ),
    too_few=(
        "too few tracked experiments at {whose} ({sha}): {first}",
        "Add model families to models/candidates.py, each with a search space worth tuning (for "
        "example a random forest and gradient boosting beside the linear model), then run `make "
        "pipeline`: the train stage logs one tagged run per family.\n{lines}",
    ),
    runs="{count} runs; at least {minimum} are needed",
    families="{count} (estimator classes) besides the baseline ({names}); at least {minimum} are needed",
    labels="the runs' {labels} ({names}) are {count}: a family is an estimator class",
    tuned="{count} tuned with a search ({names}); at least {minimum} are needed",
    untagged="{count} runs lack a data_version tag (no dvc.lock when they trained)",
    dirty="{count} trained from uncommitted code (tag dirty) and not counted: commit, then `make pipeline`",
)


@gate("tracked-experiments")
def tracked_experiments(context, thresholds) -> Outcome:
    min_runs = int(threshold(thresholds, "min_runs", 4))
    min_families = int(threshold(thresholds, "min_families", 3))
    min_tuned = int(threshold(thresholds, "min_tuned_families", 2))
    expected = f"at least {min_runs} runs, {min_families} families, {min_tuned} tuned; every run tagged"
    sha, whose = context.commits.resolve("HEAD"), "this commit"
    found = runs.experiment_runs(context)
    if sha in ("", UNKNOWN):
        finding, advice = ADVICE["no_sha"]
        return failure(finding.format(whose="HEAD"), advice, BRIEF, expected)
    column = runs.run_column
    counted = context.commits.runs_of(found, sha)
    dirty = len(uncommitted(found))
    baseline = column(counted, "tags.baseline") == "true"
    models = counted[~baseline].copy()
    models["class"] = [estimator_class(context, run_id) for run_id in models["run_id"]]
    models = models[models["class"].notna() & ~models["class"].fillna("").str.startswith("Dummy")]
    families = sorted(set(models["class"]))
    searched = ~column(models, "params.search").fillna("none").isin(["none", ""])
    tuned = sorted(set(models[searched]["class"]))
    labels = sorted(set(column(models, "tags.family").dropna()) - {""})
    untagged = counted[column(counted, "tags.data_version").fillna(UNKNOWN).isin([UNKNOWN, ""])]
    measured = (
        f"{len(counted)} runs, {counted_as(len(families), 'family', 'families')} ({len(tuned)} tuned) at {sha[:7]}"
    )

    problems = []
    if len(counted) < min_runs:
        problems.append(ADVICE["runs"].format(count=len(counted), minimum=min_runs))
    if len(families) < min_families:
        problems.append(
            ADVICE["families"].format(
                count=counted_as(len(families), "model family", "model families"),
                names=names(families) or "none",
                minimum=min_families,
            )
        )
        if len(labels) > len(families):
            problems.append(
                ADVICE["labels"].format(
                    labels=counted_as(len(labels), "family label"),
                    names=names(labels),
                    count=counted_as(len(families), "estimator class", "estimator classes"),
                )
            )
    if len(tuned) < min_tuned:
        tuned_count = counted_as(len(tuned), "family", "families")
        problems.append(ADVICE["tuned"].format(count=tuned_count, names=names(tuned) or "none", minimum=min_tuned))
    if len(untagged):
        problems.append(ADVICE["untagged"].format(count=len(untagged)))
    if problems and dirty:
        problems.append(ADVICE["dirty"].format(count=counted_as(dirty, "run")))
    if not problems:
        return Outcome(True, measured, expected)
    finding, advice = ADVICE["too_few"]
    return failure(
        finding.format(whose=whose, sha=sha[:7], first=problems[0]),
        advice.format(lines="\n".join(f"- {problem}" for problem in problems)),
        BRIEF,
        expected,
        measured,
    )
