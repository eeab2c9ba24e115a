"""`capstone report`'s runs table: a run scored on other data shows no delta against the champion."""

from types import SimpleNamespace

import pandas as pd
from capstone.checkpoints.review import _runs_markdown


def test_a_run_on_another_delivery_is_not_compared_with_the_champion():
    when = pd.Timestamp("2026-12-05 10:00")
    table = pd.DataFrame(
        {
            "run_id": ["champion0", "samedata1", "olddata22"],
            "experiment_id": ["1", "1", "1"],
            "role": ["champion", "this change", "this change"],
            "metrics.valid_score": [0.80, 0.75, 0.85],
            "tags.data_version": ["ecab0561", "ecab0561", "52c7d6d9"],
            "tags.git_sha": ["f61d2f3aa", "f61d2f3aa", "5a65223bb"],
            "tags.mlflow.runName": ["hgb", "logreg", "logreg-old"],
            "start_time": [when, when, when],
        }
    )
    links = SimpleNamespace(run=lambda experiment, run: "")
    markdown = _runs_markdown(table, "champion0", "valid_score", links)
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines()}
    assert "-0.0500" in rows["logreg"]
    assert "other data" in rows["logreg-old"] and "+0.05" not in rows["logreg-old"]
    assert "`5a65223`" in rows["logreg-old"]  # the `trained at` column
