"""Full tier, reliability: the team's BentoML service under bad input and under load.

One reference repo (3 000 rows) is baked, set up and piped for the module, and its bento is served
once on 127.0.0.1 (`make serve`'s module, stopped by its PID at the end):
- schemathesis generates requests from the service's own OpenAPI document (/docs.json), valid and
  invalid (`--mode all`), a bounded number per operation: no answer may be a 5xx;
- 32 concurrent clients for LOAD_SECONDS (20 s here; `make bench` runs the same for 60 s): no error,
  and the memory of the server's processes does not keep growing.
"""

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bakery import TEMPLATE, bake
from teamrepo import free_port, http, run, served

sys.path.insert(0, str(TEMPLATE / "benchmarks"))
from load import hammer, tree_rss_mb  # noqa: E402

pytestmark = pytest.mark.full

ROWS = 3000
MAX_EXAMPLES = 40  # per operation and phase: enough to hit every field's edge cases, bounded in time
LOAD_SECONDS = 20  # the 60 s version is `make bench` (benchmarks/run.py --only serving)
LOAD_CLIENTS = 32
MEMORY_GROWTH_MB = 50  # more than this between the first and the last third of the run is a leak


@pytest.fixture(scope="module")
def service(tmp_path_factory, cc_config, pre_commit_home):
    repo = bake(tmp_path_factory.mktemp("reliability-service"), cc_config, scaffold="reference")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    port = free_port()
    with served(repo, port=port) as url:
        yield repo, url, port


def test_generated_requests_never_get_a_server_error(service, tmp_path):
    repo, url, _ = service
    schemathesis = Path(sys.executable).parent / "schemathesis"
    junit = tmp_path / "schemathesis.xml"
    result = subprocess.run(
        [
            schemathesis,
            "run",
            f"{url}/docs.json",
            "--checks",
            "not_a_server_error",
            "--mode",
            "all",  # valid requests and invalid ones (wrong types, missing fields, out of range, ...)
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "7",  # the same requests every run: a failure can be reproduced
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
        ],
        cwd=tmp_path,  # schemathesis and hypothesis write their caches here, not in the template
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    # It really tested /predict, with many requests, not just the health endpoints.
    assert 'name="POST /predict"' in junit.read_text(), output[-3000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= 100, output[-3000:]


def test_the_service_holds_under_load_without_errors_or_growing_memory(service):
    repo, url, port = service
    body = (repo / "reports" / "example_request.json").read_bytes()
    for _ in range(10):  # warm up: the first requests load code lazily
        assert http("POST", f"{url}/predict", body)[0] == 200
    stats = asyncio.run(
        hammer(f"{url}/predict", body, clients=LOAD_CLIENTS, seconds=LOAD_SECONDS, sample=lambda: tree_rss_mb(port))
    )
    assert stats["ok"] > LOAD_CLIENTS, stats  # it answered, many times
    assert stats["errors"] == 0, stats
    rss = stats["samples"]
    assert len(rss) >= 3 and min(rss) > 50, rss  # the server's processes were found and measured
    third = len(rss) // 3
    assert max(rss[-third:]) - max(rss[:third]) < MEMORY_GROWTH_MB, rss
    # and it still answers correctly afterwards
    status, answer = http("POST", f"{url}/predict", body)
    assert status == 200 and len(json.loads(answer)) == len(json.loads(body)["records"])
