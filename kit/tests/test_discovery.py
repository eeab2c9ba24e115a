"""Stage 1's discovery: the data-issues register, the gate issues-discovered, and the answer key's policy.

The gate grades the register against the answer key of a delivery from seeds the team never saw; the
reference's registers (one per built-in dataset, in the template) pass, an empty one fails without
naming what it missed, and `capstone data defects` keeps the key the mentors' until stage 1 passed.
"""

import json
from pathlib import Path

import jinja2
import pytest
from capstone.checkpoints import evidence
from capstone.checkpoints.registry import load_all
from capstone.cli import app
from capstone.config import ConfigError
from capstone.discovery import answer_key_open, load_register
from capstone.feed import generate_batch
from typer.testing import CliRunner

TEMPLATE = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}"
REFERENCE = TEMPLATE / ".scaffold" / "reference" / "reports" / "data-issues.yaml"
SKELETON = TEMPLATE / ".scaffold" / "skeleton" / "reports" / "data-issues.yaml"


def gate():
    return load_all()["issues-discovered"]


def team_repo(root: Path, register: str, dataset: str = "churn", eda: bool = True) -> Path:
    """A repository with the register, the raw data's header and (eda) the exploration's output."""
    (root / "reports" / "eda").mkdir(parents=True, exist_ok=True)
    (root / "reports" / "data-issues.yaml").write_text(register)
    if eda:
        (root / "reports" / "eda" / "profile.md").write_text("# The raw data\n")
    frame, _ = generate_batch(dataset, rows=200, seed=1, batch=1)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    frame.head(3).to_csv(root / "data" / "raw" / "batch.csv", index=False)
    return root


def rendered(path: Path, dataset: str) -> str:
    return jinja2.Template(path.read_text()).render(cookiecutter={"dataset": dataset})


@pytest.mark.parametrize("dataset", ["churn", "credit_default", "house_prices"])
@pytest.mark.parametrize("index", [0, 1])
def test_the_reference_register_passes_on_unseen_seeds(make_context, tmp_path, monkeypatch, dataset, index):
    monkeypatch.setattr(evidence, "CHECK_ROWS", 3000)  # smaller deliveries: the same problems, quicker
    context = make_context(root=team_repo(tmp_path, rendered(REFERENCE, dataset), dataset), dataset=dataset)
    seed = evidence.other_seed(context, index)
    _, key = evidence.delivery(dataset, 3000, seed, 1)
    monkeypatch.setattr(evidence, "delivered_batch", lambda context: (None, key))
    outcome = gate()(context, {"min_recall": 0.6})
    assert outcome.passed, outcome.detail
    assert outcome.measured.startswith(("16 of 16", "15 of 15")) and outcome.measured.endswith("0 other finding(s)")


def test_an_empty_register_fails_without_naming_what_it_missed(make_context, tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "CHECK_ROWS", 3000)
    context = make_context(root=team_repo(tmp_path, rendered(SKELETON, "churn")))
    outcome = gate()(context, {"min_recall": 0.6})
    assert not outcome.passed and outcome.measured.startswith("0 of 16 problems found (0.00)")
    assert outcome.detail.startswith("The register finds 0 of the 16 problems this delivery has")
    assert "`unit_mixup`" in outcome.detail  # the vocabulary, to look for
    assert "monthly_fee" not in outcome.detail and "tenure_months" not in outcome.detail  # not the answers


def test_findings_that_match_nothing_are_counted_not_punished(make_context, tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "CHECK_ROWS", 3000)
    register = (
        rendered(REFERENCE, "churn")
        + "\n"
        + (
            "  - column: age\n    kind: outlier\n    evidence: a few customers over 85\n"
            "    fix: keep them, they are real\n"
        )
    )
    outcome = gate()(make_context(root=team_repo(tmp_path, register)), {"min_recall": 0.6})
    assert outcome.passed and outcome.measured.endswith("1 other finding(s)")
    assert "1 finding matches no catalogued problem (`outlier` on `age`)" in outcome.detail


@pytest.mark.parametrize(
    ("register", "said"),
    [
        ("findings:\n  - column: age\n    kind: typo\n    evidence: xyz\n    fix: abc\n", "finding 1, kind: 'typo'"),
        ("findings:\n  - column: age\n    kind: outlier\n", "finding 1, evidence is missing; finding 1, fix is"),
        ("findings: [", "is not valid YAML"),
    ],
)
def test_a_malformed_register_fails_in_one_line_naming_the_field(make_context, tmp_path, register, said):
    outcome = gate()(make_context(root=team_repo(tmp_path, register)), {})
    assert not outcome.passed and said in outcome.detail.splitlines()[0], outcome.detail
    if "kind" in said:
        assert "(the kinds: exact_duplicate," in outcome.detail


def test_a_register_without_the_exploration_or_with_an_unknown_column_fails(make_context, tmp_path):
    context = make_context(root=team_repo(tmp_path, rendered(REFERENCE, "churn"), eda=False))
    assert (
        gate()(context, {}).detail.startswith("Reports/eda/profile.md is missing")
        or "eda" in gate()(context, {}).detail
    )
    register = "findings:\n  - column: agee\n    kind: outlier\n    evidence: huge\n    fix: cap it\n"
    outcome = gate()(make_context(root=team_repo(tmp_path, register)), {})
    assert not outcome.passed and "`agee`" in outcome.detail.splitlines()[0]


def test_a_custom_csv_register_is_graded_on_its_form(make_context, tmp_path):
    register = "findings:\n  - column: age\n    kind: impossible_value\n    evidence: 3 below 0\n    fix: missing\n"
    custom = dict(custom_csv=dict(path="data/external/data.csv", target="churned", task="binary"))
    context = make_context(root=team_repo(tmp_path, register), dataset="custom_csv", data=custom)
    outcome = gate()(context, {})
    assert outcome.passed and outcome.measured.startswith("1 finding (no answer key")


def test_the_answer_key_policy(tmp_path):
    assert answer_key_open(tmp_path, "open") and not answer_key_open(tmp_path, "hidden")
    assert not answer_key_open(tmp_path, "after_stage_1")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "checkpoint-1.json").write_text(json.dumps({"passed": False}))
    assert not answer_key_open(tmp_path, "after_stage_1")
    (tmp_path / "reports" / "checkpoint-1.json").write_text(json.dumps({"passed": True}))
    assert answer_key_open(tmp_path, "after_stage_1") and not answer_key_open(tmp_path, "hidden")
    with pytest.raises(ConfigError, match="reports/data-issues.yaml is missing"):
        load_register(tmp_path)


def test_capstone_data_defects_keeps_the_key_the_mentors_in_a_team_repository(tmp_path, monkeypatch):
    import yaml
    from kitdata import spec_document

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["data", "defects", "--domain", "churn"]).exit_code == 0  # no team repository
    (tmp_path / "capstone.yaml").write_text(yaml.safe_dump(spec_document()))
    refused = runner.invoke(app, ["data", "defects", "--domain", "churn"])
    assert refused.exit_code == 1
    assert "the answer key is the mentors' until stage 1's checkpoint passes" in " ".join(refused.output.split())
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "checkpoint-1.json").write_text(json.dumps({"passed": True}))
    assert runner.invoke(app, ["data", "defects", "--domain", "churn"]).exit_code == 0
