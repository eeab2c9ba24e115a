"""Full tier: a team's own CSV (binary, multiclass, regression), with real-world column names,
runs through the whole pipeline in both scaffolds and is served."""

import json
from pathlib import Path

import pandas as pd
import pytest
from bakery import bake
from teamrepo import http, run, served

pytestmark = pytest.mark.full

ROWS = 2000
# Column names as spreadsheets export them: spaces, units, punctuation.
MESSY = {
    "monthly_fee": "Monthly Fee ($)",
    "tenure_months": "Tenure (months)",
    "support_calls_90d": "Support calls, last 90 days",
    "avg_session_minutes": "Avg. session [min]",
    "plan": "Plan / tier",
    "region": "Sales Region",
}


def team_csv(repo: Path, task: str) -> tuple[pd.DataFrame, str]:
    """A clean churn batch, renamed like a real export, with a target for `task`."""
    source = repo.parent / "source.csv"
    run(
        repo,
        ".venv/bin/capstone",
        "data",
        "generate",
        "--domain",
        "churn",
        "--rows",
        str(ROWS),
        "--no-defects",
        "--out",
        str(source),
    )
    frame = pd.read_csv(source).drop(columns=["retention_team_contacted", "customer_id"])
    frame = frame.rename(columns=MESSY)
    if task == "binary":
        frame = frame.rename(columns={"churned": "Churned?"})
        return frame, "Churned?"
    if task == "multiclass":
        frame["Value segment"] = pd.qcut(frame["total_spend"], 3, labels=["low", "mid", "high"]).astype(str)
        return frame.drop(columns=["churned", "total_spend"]), "Value segment"
    return frame.drop(columns=["churned"]).rename(columns={"total_spend": "Total spend ($)"}), "Total spend ($)"


@pytest.mark.parametrize("scaffold", ["skeleton", "reference"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_custom_csv_runs_end_to_end_and_is_served(tmp_path, cc_config, pre_commit_home, task, scaffold):
    repo = bake(tmp_path, cc_config, dataset="custom_csv", scaffold=scaffold, project_slug=f"own-{task}")
    run(repo, "make", "setup")
    frame, target = team_csv(repo, task)
    frame.to_csv(repo / "data" / "external" / "data.csv", index=False)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace('target: ""', f"target: {json.dumps(target)}"))
    result = run(repo, "make", "pipeline")
    assert f"task: {task}" in result.stdout + result.stderr  # the inferred task is printed

    metrics = json.loads((repo / "metrics.json").read_text())
    assert metrics["test"]
    if task == "multiclass":
        assert "per_class" in json.dumps(metrics)
    example = json.loads((repo / "reports" / "example_request.json").read_text())
    with served(repo) as url:
        status, body = http("POST", f"{url}/predict", json.dumps(example).encode())
        assert status == 200, body
