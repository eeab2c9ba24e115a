"""Concept drift, measured: how much quality a model trained on batch 1 keeps on later batches.

From batch 2 on, each domain's relation between one or two columns and the target changes (the
`concept_drift` event in domains/*.py), while the inputs keep their distributions. This module
shows it the way a team would meet it: gradient boosting fit on the clean batch 1 (defects off;
id and leaky column dropped), then scored on fresh clean deliveries of batches 1, 2 and 3 (the
next seed: rows the model has not seen). The unit and date-format changes of later batches are
undone first with the answer key (incidents a cleaning step fixes, not a change in the world), so
the drop that remains is the concept drift's. Batch 1 is the clean reference, without concept drift;
batch 3 brings no further concept drift, so its score stays near batch 2's. Metric: ROC AUC for
binary tasks, R^2 for regression.

Measured with `python -m capstone.feed.concept --rows 5000 --seed 42` (5 000 rows; the seeds 1, 2, 3,
5, 7, 11 and 42 give drops from batch 1 to 2 of 0.09-0.12 AUC for churn, 0.08-0.16 AUC for
credit_default and 0.18-0.20 R^2 for house_prices; README.md, "Concept drift", has the rules that
changed):

| domain | metric | batch 1 | batch 2 | batch 3 | drop from batch 1 to 2 |
|---|---|---|---|---|---|
| churn | roc_auc | 0.820 | 0.715 | 0.719 | 0.105 |
| credit_default | roc_auc | 0.853 | 0.772 | 0.725 | 0.082 |
| house_prices | r2 | 0.941 | 0.750 | 0.745 | 0.192 |
"""

import argparse

import pandas as pd
from sklearn.metrics import r2_score, roc_auc_score

from capstone.feed.domains import get_domain
from capstone.feed.generate import generate_batch
from capstone.feed.quality import boosting, with_date_features

SETTINGS = dict(learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=40)  # no tuning: the drop is the point


def measure_drop(domain: str, rows: int = 5_000, seed: int = 42, batches: tuple[int, ...] = (1, 2, 3)) -> dict:
    """Scores of one model trained on batch 1 (seed `seed`) on fresh deliveries of `batches` (seed `seed + 1`).

    Returns dict(domain, rows, seed, metric, scores={batch: score}).
    """
    spec = get_domain(domain)
    binary = spec.task == "binary"
    train, _ = generate_batch(domain, rows, seed, 1, defects=False)
    numeric, categorical, features = _features(spec, train)
    model = boosting(numeric, categorical, binary, seed, SETTINGS).fit(features, train[spec.target].to_numpy())
    scores = {}
    for batch in batches:
        # seed + 1: rows the model has not seen, batch 1 included
        delivered, key = generate_batch(domain, rows, seed + 1, batch, defects=False)
        features, truth = _features(spec, undo_incidents(delivered, key))[2], delivered[spec.target].to_numpy()
        if binary:
            scores[batch] = float(roc_auc_score(truth, model.predict_proba(features)[:, 1]))
        else:
            scores[batch] = float(r2_score(truth, model.predict(features)))
    return dict(domain=domain, rows=rows, seed=seed, metric="roc_auc" if binary else "r2", scores=scores)


def undo_incidents(frame: pd.DataFrame, key: dict) -> pd.DataFrame:
    """The batch with its unit and date-format changes undone, as a good cleaning step would."""
    frame = frame.copy()
    for event in key["drift"]:
        column, params = event["column"], event["params"]
        if event["kind"] == "unit_change":
            frame[column] = frame[column] / float(params["multiply_by"])
        elif event["kind"] == "format_change":
            parsed = pd.to_datetime(frame[column], format=params["format"])
            frame[column] = parsed.dt.strftime("%Y-%m-%d")
    return frame


def _features(spec, frame: pd.DataFrame) -> tuple[list[str], list[str], pd.DataFrame]:
    """(numeric columns, categorical columns, the model's input frame) as quality.py builds them."""
    kinds = {column.name: column.kind for column in spec.columns if column.name != spec.leaky_column}
    numeric = [name for name, kind in kinds.items() if kind in ("int", "float")]
    categorical = [name for name, kind in kinds.items() if kind == "category"]
    dates = [name for name, kind in kinds.items() if kind == "date"]
    frame = with_date_features(frame, dates)
    numeric += [f"{name}_days_ago" for name in dates]
    return numeric, categorical, frame[categorical + numeric]


def main() -> None:
    parser = argparse.ArgumentParser(description="Score a model trained on batch 1 on later batches.")
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--domain", action="append", help="repeat for several; default: all")
    args = parser.parse_args()
    from capstone.feed.domains import DOMAINS

    print("| domain | metric | batch 1 | batch 2 | batch 3 | drop from batch 1 to 2 |")
    print("|---|---|---|---|---|---|")
    for domain in args.domain or list(DOMAINS):
        result = measure_drop(domain, args.rows, args.seed)
        scores = result["scores"]
        cells = " | ".join(f"{scores[batch]:.3f}" for batch in (1, 2, 3))
        print(f"| {domain} | {result['metric']} | {cells} | {scores[1] - scores[2]:.3f} |")


if __name__ == "__main__":
    main()
