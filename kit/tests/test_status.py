"""`capstone status`: a stage shows its last local checkpoint, never "yes" because its files exist."""

import json
import subprocess

from capstone.status import last_checkpoint


def write_report(root, number, passed, blocking_failed=0, commit="abc1234"):
    gates = [{"id": f"g{i}", "blocking": True, "status": "failed"} for i in range(blocking_failed)]
    gates.append({"id": "ok", "blocking": True, "status": "passed"})
    (root / "reports").mkdir(exist_ok=True)
    document = {"passed": passed, "gates": gates, "meta": {"commit": commit}}
    (root / "reports" / f"checkpoint-{number}.json").write_text(json.dumps(document))


def test_a_stage_never_checked_says_so(tmp_path):
    assert last_checkpoint(tmp_path, 1) == "not checked"
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "checkpoint-1.json").write_text("{not json")
    assert last_checkpoint(tmp_path, 1) == "not checked"


def test_a_failed_stage_says_failed_with_its_blocking_gates(tmp_path):
    write_report(tmp_path, 2, passed=False, blocking_failed=2)
    said = last_checkpoint(tmp_path, 2, head="abc1234ffff")
    assert said.startswith("failed (2 blocking gates), ") and said.endswith("commit abc1234")


def test_the_earlier_stages_failed_gates_are_counted_apart(tmp_path):
    write_report(tmp_path, 5, passed=False, blocking_failed=3)
    report_path = tmp_path / "reports" / "checkpoint-5.json"
    report = json.loads(report_path.read_text())
    for gate, stage in zip(report["gates"], [5, 2, 4], strict=False):
        gate["stage"] = stage
    report_path.write_text(json.dumps(report))
    assert last_checkpoint(tmp_path, 5).startswith("failed (1 blocking gate + 2 of earlier stages), ")


def test_a_passed_stage_at_an_older_commit_asks_to_check_again(tmp_path):
    write_report(tmp_path, 3, passed=True)
    assert "passed" in last_checkpoint(tmp_path, 3, head="abc1234ffff")
    assert last_checkpoint(tmp_path, 3, head="0123456789").endswith("(an older commit: check again)")


def test_status_reads_the_reports_of_a_real_repository(tmp_path):
    from capstone.config import CapstoneSpec
    from capstone.status import stage_rows
    from kitdata import spec_document

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "dvc.lock").write_text("")  # stage 1's files exist...
    write_report(tmp_path, 1, passed=False, blocking_failed=1)  # ...and its checkpoint failed
    rows = stage_rows(tmp_path, CapstoneSpec.model_validate(spec_document()))
    assert rows[0][1] == "data" and rows[0][2].startswith("failed (1 blocking gate)")
    assert rows[0][3].startswith("found: ")
    assert [row[2] for row in rows[1:]] == ["not checked"] * 4
    assert all("yes" not in cell for row in rows for cell in row)


def test_status_shows_the_custom_csv_settings_and_nothing_for_a_built_in_dataset():
    from capstone.config import Params
    from capstone.status import custom_csv_rows
    from kitdata import params_document

    assert custom_csv_rows(Params.model_validate(params_document("team"))) == []
    document = params_document("team", dataset="custom_csv")
    document["data"]["custom_csv"] = dict(path="data/external/sales.csv", target="churned", ids=["id"], max_rows=5000)
    rows = dict(custom_csv_rows(Params.model_validate(document)))
    assert rows == {
        "custom CSV": "data/external/sales.csv",
        "  target": "churned",
        "  task": "inferred at ingest",
        "  ids": "id",
        "  max_rows": "5,000",
    }
    document["data"]["custom_csv"] = dict(path="x.csv", target="y", colour="red")
    assert dict(custom_csv_rows(Params.model_validate(document)))["custom CSV"].startswith("not readable: ")
