"""tracked-experiments (stage 4): enough runs, model families and tuned families, each run tagged.

Which runs count: the runs of the champion's commit (tag git_sha equal to the champion run's), from
every training at that commit. The champion was chosen among the runs of its own code; runs of
older commits trained other code and cannot vouch for it, and would let a long-lived local store
count the same families again and again. In CI every commit trains once, so the count there is one
training's runs. (Without a champion yet, the runs of HEAD count.) The baseline run counts as a run,
not as a family; a family is tuned when a run of it logged a `search` other than "none".
"""

import subprocess

from capstone.checkpoints import runs
from capstone.checkpoints.registry import NotReady, Outcome, gate, threshold
from capstone.checkpoints.text import failure, names
from capstone.checkpoints.versioning import UNKNOWN

BRIEF = "docs/stages/4-experiments.md"
ADVICE = dict(
    no_sha=(
        "{whose} has no git_sha tag, so its runs cannot be told apart",
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
    families="{count} model families besides the baseline ({names}); at least {minimum} are needed",
    tuned="{count} families tuned with a search ({names}); at least {minimum} are needed",
    untagged="{count} runs lack a data_version tag (no dvc.lock when they trained)",
)


@gate("tracked-experiments")
def tracked_experiments(context, thresholds) -> Outcome:
    min_runs = int(threshold(thresholds, "min_runs", 4))
    min_families = int(threshold(thresholds, "min_families", 3))
    min_tuned = int(threshold(thresholds, "min_tuned_families", 2))
    expected = f"at least {min_runs} runs, {min_families} families, {min_tuned} tuned; every run tagged"
    sha, whose = counted_commit(context)
    found = runs.experiment_runs(context)
    if sha in ("", UNKNOWN):
        finding, advice = ADVICE["no_sha"]
        return failure(finding.format(whose=whose), advice, BRIEF, expected)
    column = runs.run_column
    counted = found[column(found, "tags.git_sha") == sha]
    baseline = column(counted, "tags.baseline") == "true"
    models = counted[~baseline]
    families = sorted(set(column(models, "tags.family").dropna()) - {""})
    searched = ~column(models, "params.search").fillna("none").isin(["none", ""])
    tuned = sorted(set(column(models[searched], "tags.family").dropna()) - {""})
    untagged = counted[column(counted, "tags.data_version").fillna(UNKNOWN).isin([UNKNOWN, ""])]
    measured = f"{len(counted)} runs, {len(families)} families ({len(tuned)} tuned) at {sha[:7]}"

    problems = []
    if len(counted) < min_runs:
        problems.append(ADVICE["runs"].format(count=len(counted), minimum=min_runs))
    if len(families) < min_families:
        problems.append(
            ADVICE["families"].format(count=len(families), names=names(families) or "none", minimum=min_families)
        )
    if len(tuned) < min_tuned:
        problems.append(ADVICE["tuned"].format(count=len(tuned), names=names(tuned) or "none", minimum=min_tuned))
    if len(untagged):
        problems.append(ADVICE["untagged"].format(count=len(untagged)))
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


def counted_commit(context) -> tuple[str, str]:
    """The commit whose runs count: the champion's (else HEAD's), and how to name it."""
    try:
        champion = context.champion
    except NotReady:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=context.root, capture_output=True, text=True)
        return done.stdout.strip() or UNKNOWN, "HEAD (no champion yet)"
    sha = context.mlflow.get_run(champion.run_id).data.tags.get("git_sha") or UNKNOWN
    return sha, f"the champion's commit (version {champion.version})"
