"""Full tier: the served model logs what it serves, and `make replay` sends it a day of traffic.

One reference repo (churn, 3 000 rows) is baked, set up and piped for the module. Its bento is served
as `make serve` serves it (scripts/teamrepo.served: the kit's serve module, stopped by its PID), then
`make replay BATCH=2 ROWS=300 PORT=...` sends delivery 2 over HTTP. The request log
(logs/requests.jsonl, params.yaml's serve.request_log) must then hold one line per record the
service answered, each with the model version of reports/bento.json, a UTC time and the features:
exactly a row of delivery 2, on the contract's columns. read_request_log, in the team's
environment, gives a frame with the contract's columns first.
"""

import json
import re
import time
from pathlib import Path

import pytest
from bakery import bake
from teamrepo import free_port, run, served

pytestmark = pytest.mark.full

ROWS = 3000
REPLAYED = 300

# In the team's environment: delivery 2 as replay sends it (read back from CSV, as the pipeline reads data).
DELIVERY = """
import io, json, sys
import pandas as pd
from capstone.feed import generate_batch
frame, _ = generate_batch("churn", rows=int(sys.argv[1]), seed=42, batch=2)
text = io.StringIO(); frame.to_csv(text, index=False); text.seek(0)
print(pd.read_csv(text).to_json(orient="records"))
"""
READ = """
import json
from capstone.requestlog import read_request_log
frame = read_request_log("logs/requests.jsonl")
print(json.dumps(dict(columns=list(frame.columns), rows=len(frame), tz=str(frame["timestamp"].dt.tz),
                      versions=sorted(frame["model_version"].unique().tolist()))))
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory, cc_config, pre_commit_home) -> Path:
    repo = bake(tmp_path_factory.mktemp("request-log"), cc_config, scaffold="reference", dataset="churn")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "git", "commit", "-qam", f"Use {ROWS} rows")
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    return repo


def log_lines(repo: Path) -> list[dict]:
    path = repo / "logs" / "requests.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []


def count(pattern: str, output: str) -> int:
    found = re.search(pattern, output)
    assert found, f"{pattern!r} not in the replay's output:\n{output}"
    return int(found.group(1).replace(",", ""))


def test_replay_is_logged_one_line_per_record_answered(repo):
    port = free_port()
    with served(repo, port=port):
        replay = run(repo, "make", "replay", "BATCH=2", f"ROWS={REPLAYED}", f"PORT={port}")
        deadline = time.monotonic() + 15  # the log's own thread writes the lines, a moment later
        answered = count(r"answered 2xx: ([\d,]+) records", replay.stdout)
        while len(log_lines(repo)) < answered and time.monotonic() < deadline:
            time.sleep(0.2)
    output = replay.stdout
    refused = count(r"refused 4xx:\s+([\d,]+) records", output)
    assert count(r"sent:\s+([\d,]+) records", output) == REPLAYED
    assert answered + refused == REPLAYED, output
    assert answered >= REPLAYED // 2, output  # most of a delivery passes the contract
    assert "server errors" not in output and "no answer" not in output, output
    assert "logs/requests.jsonl" in output

    lines = log_lines(repo)
    assert len(lines) == answered  # one line per record answered, none for a refused request
    contract = json.loads((repo / "reports" / "input_schema.json").read_text())
    columns = [column["name"] for column in contract["columns"]]
    model_tag = json.loads((repo / "reports" / "bento.json").read_text())["model_tag"]
    delivery = json.loads(run(repo, ".venv/bin/python", "-c", DELIVERY, str(REPLAYED)).stdout)
    sent = [{name: row[name] for name in columns} for row in delivery]
    for line in lines:
        assert set(line) == {"timestamp", "model_version", "features", "prediction", "probabilities"}
        assert line["model_version"] == model_tag
        assert line["timestamp"].endswith("+00:00")
        assert list(line["features"]) == columns
        assert line["features"] in sent  # the record as the replay sent it
        assert set(line["probabilities"]) == {"0", "1"} and line["prediction"] in (0, 1)

    frame = json.loads(run(repo, ".venv/bin/python", "-c", READ).stdout)
    assert frame["rows"] == answered
    assert frame["columns"][: len(columns)] == columns
    assert frame["columns"][len(columns) :] == [
        "prediction",
        "probability_0",
        "probability_1",
        "model_version",
        "timestamp",
    ]
    assert frame["tz"] == "UTC" and frame["versions"] == [model_tag]
    # the log is the team's data, not code: git does not see it
    assert "logs/" not in run(repo, "git", "status", "--porcelain", "--ignored=no").stdout


def test_replay_without_a_service_says_which_port_in_one_line(repo):
    port = free_port()  # nothing listens there
    result = run(repo, "make", "replay", "BATCH=2", f"PORT={port}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR:")]
    assert errors and errors[0].startswith(f"ERROR: no service answers on http://127.0.0.1:{port} "), result.stdout
    assert "make serve" in errors[0] and "PORT=" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr
