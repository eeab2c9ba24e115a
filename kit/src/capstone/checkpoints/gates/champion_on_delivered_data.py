"""champion-on-delivered-data (stage 4): the champion was trained on data the feed delivered.

Its data_version tag names data the feed delivered (or the team's documented CSV). For a built-in
domain: the data version is the md5 DVC gave data/raw (a `.dir` listing in the DVC cache,
.dvc/cache/files/md5/<2>/<rest>.dir, a JSON list of {md5, relpath}). Its batch.csv must have the md5
of the feed's delivery: the batch the ingest stage writes with params.yaml's data.feed rows and
batch and the feed seed recorded at bake time (thresholds.feed_seed), which is regenerated here. A
team that trained on other rows (say, the public holdout's seed) fails. For custom_csv: the data
version must be the one dvc.lock records for data/raw now.
"""

from capstone.checkpoints import evidence, runs, versioning
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.text import failure
from capstone.checkpoints.versioning import UNKNOWN

BRIEF = "docs/stages/4-experiments.md"
ADVICE = dict(
    untagged=(
        "{who} has no data_version tag",
        "The pipeline tags each run with the md5 of data/raw from dvc.lock: train through "
        "`make pipeline` (dvc repro), which writes dvc.lock first.",
    ),
    not_cached=(
        "the data of {who} (data version {version}) is not in the DVC cache",
        "{where}. Run `dvc pull` to fetch it, or `make pipeline` to train on the current data.",
    ),
    not_delivered=(
        "{who} was not trained on the data the feed delivered",
        "Train on the delivery: restore data.feed in params.yaml (rows and batch are yours to choose, "
        "the seed is not) and the ingest stage, then run `make pipeline`. If the old champion stays (its "
        "validation score is hard to beat honestly), start a fresh local MLflow store: move mlflow.db and "
        "mlartifacts/ away, then `make pipeline` (on a shared tracking server, ask a mentor).\n{lines}",
    ),
    trained_on="- trained on batch.csv with md5 {md5} ({where})",
    delivery_md5="- the {delivery} has md5 {md5}",
    other_seed=(
        "- data.feed.seed in params.yaml is {seed}: it must stay {expected}. Other seeds are other "
        "customers, among them the rows the checkpoint scores the champion on"
    ),
    custom_other=(
        "{who} was trained on data version {version}, but dvc.lock records {locked}",
        "The champion must be trained on the data this repository documents (data.custom_csv in params.yaml, "
        "data/raw in dvc.lock). Commit dvc.lock and run `make pipeline`; if the old champion stays, start a "
        "fresh local MLflow store (move mlflow.db and mlartifacts/ away) and run it again.",
    ),
)


def fail(name: str, expected: str = "", measured: str = "", **values) -> Outcome:
    finding, advice = ADVICE[name]
    return failure(finding.format(**values), advice.format(**values), BRIEF, expected, measured)


@gate("champion-on-delivered-data")
def champion_on_delivered_data(context, thresholds) -> Outcome:
    run = runs.champion_run(context)
    version = run.data.tags.get("data_version") or UNKNOWN
    who = f"the champion (version {context.champion.version}, run {run.info.run_id})"
    if version == UNKNOWN:
        return fail("untagged", who=who)
    if evidence.custom(context):
        return custom_data(context, who, version)

    feed = evidence.feed_settings(context)
    rows, batch = int(feed.get("rows", 20_000)), int(feed.get("batch", 1))
    seed = int(threshold(thresholds, "feed_seed", 42))
    delivery = f"feed batch {batch} ({rows} rows, seed {seed})"
    trained, where = versioning.trained_batch_md5(context.root, version)
    if trained is None:
        return fail(
            "not_cached",
            delivery,
            f"data version {version[:8]} not in the DVC cache",
            who=who,
            version=version,
            where=where,
        )
    delivered = versioning.delivered_batch_md5(context.params.data.dataset, rows, seed, batch)
    if trained == delivered:
        return Outcome(True, f"data version {version[:8]} is {delivery}", delivery)
    team_seed = feed.get("seed")
    lines = [
        ADVICE["trained_on"].format(md5=trained, where=where),
        ADVICE["delivery_md5"].format(delivery=delivery, md5=delivered),
    ]
    if team_seed is not None and int(team_seed) != seed:
        lines.append(ADVICE["other_seed"].format(seed=team_seed, expected=seed))
    return fail(
        "not_delivered",
        delivery,
        f"data version {version[:8]} is not a feed delivery",
        who=who,
        lines="\n".join(lines),
    )


def custom_data(context, who: str, version: str) -> Outcome:
    locked = versioning.locked_data_version(context.root)
    expected = "the data version in dvc.lock"
    if version == locked:
        return Outcome(True, f"data version {version[:8]} is the one dvc.lock records", expected)
    return fail("custom_other", expected, who=who, version=version, locked=locked)
