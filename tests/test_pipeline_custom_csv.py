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


def test_a_dirty_csv_with_roles_at_another_path_runs_and_its_bento_follows_the_code(
    tmp_path, cc_config, pre_commit_home
):
    """Issue 16, classes 3, 5 and 8: placeholder labels, mixed case and a class of one row are left
    to clean.py and do not crash training; the file lives at another path (dvc.yaml follows
    params.yaml); an edit anywhere in the package rebuilds the bento, so stage 5's freshness gate passes."""
    repo = bake(tmp_path, cc_config, dataset="custom_csv", scaffold="reference", project_slug="own-dirty")
    run(repo, "make", "setup")
    frame, target = team_csv(repo, "multiclass")
    frame.insert(0, "Account #", [f"A-{i:05d}" for i in range(len(frame))])
    frame["Opened"] = [f"{1 + i % 12}/{1 + i % 28}/20{10 + i % 12}" for i in range(len(frame))]
    frame["Agent notes"] = [
        f"call {i}: customer asked about the {['bill', 'app', 'plan'][i % 3]}" for i in range(len(frame))
    ]
    frame["Legacy code"] = None
    labels = frame[target].astype(object)
    labels[::40] = "."  # a placeholder for "unknown"
    labels[5::30] = labels[5::30].str.upper()  # "LOW", "HIGH": the same classes, another case
    labels[7] = "vip"  # a class of one row
    frame[target] = labels
    frame.to_csv(repo / "data" / "external" / "survey.csv", index=False)
    params = repo / "params.yaml"
    roles = {
        "path: data/external/data.csv": "path: data/external/survey.csv",
        'target: ""': f"target: {json.dumps(target)}",
        "ids: []": 'ids: ["Account #"]',
        "dates: []": 'dates: ["Opened"]',
        "text: []": 'text: ["Agent notes"]',
        "drop: []": 'drop: ["Legacy code"]',
    }
    text = params.read_text()
    for old, new in roles.items():
        text = text.replace(old, new)
    params.write_text(text)

    output = run(repo, "make", "pipeline").stdout
    assert "task: multiclass" in output and "clean.py must" in output
    assert "1 class(es) of 'Value segment' have fewer training rows" in output  # "vip" reached training
    assert "Legacy code" not in pd.read_csv(repo / "data" / "raw" / "batch.csv").columns

    package = repo / "src" / "own_dirty"
    (package / "__init__.py").write_text((package / "__init__.py").read_text() + "# a formatter's touch\n")
    output = run(repo, "make", "pipeline").stdout
    assert "Running stage 'bento'" in output and "Stage 'train' didn't change" in output
    run(repo, ".venv/bin/capstone", "check", "5", check=False)
    report = (repo / "reports" / "checkpoint-5.md").read_text()
    gate = next(line for line in report.splitlines() if "`bento-builds`" in line)
    assert gate.startswith("| ✅") and "this commit's code" in gate, gate
