"""`make demo`'s script on a small batch (full tier: it installs a team's environment).

Bake the defaults (churn, skeleton), make setup, make pipeline, serve the champion and answer the
example request: every tool of the pipeline really runs (DVC, GX, scikit-learn, MLflow, BentoML).
The full tier runs every dataset and scaffold at a larger size (test_pipeline_e2e.py).
"""

import json
import re

import demo
import pytest

pytestmark = pytest.mark.full


def test_the_demo_answers_one_prediction(tmp_path, capsys, pre_commit_home):
    assert demo.main(work=tmp_path, rows=1500) == 0
    shown = capsys.readouterr().out
    answer = json.loads(shown.split("-> 200\n", 1)[1].split("\n==>", 1)[0])
    assert isinstance(answer, list) and len(answer) >= 1  # one answer per record sent
    first = answer[0]
    assert first["prediction"] in (0, 1, True, False)
    assert abs(sum(first["probabilities"].values()) - 1) < 1e-6
    assert re.search(r"make pipeline: \d+ s", shown)
    # the steps and where to look, not uv's package list nor the tools' chatter (those are in the log)
    assert not re.search(r"^ \+ \S+==", shown, re.MULTILINE) and "Running stage" not in shown
    assert f"rm -rf {tmp_path}" in shown and "Running stage 'train'" in (tmp_path / "demo.log").read_text()
