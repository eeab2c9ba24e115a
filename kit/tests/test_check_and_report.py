"""The registry's conventions, check.py (running a stage's gates) and report.py (the PR report)."""

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from capstone import __version__
from capstone.checkpoints import gates as gates_package
from capstone.checkpoints.check import FAILED, MENTOR, PASSED, check_spec, run_stage
from capstone.checkpoints.registry import REGISTRY, Outcome, gate, load_all
from capstone.checkpoints.report import to_markdown, write_reports
from capstone.config import CapstoneSpec, ConfigError

SPEC = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}" / "capstone.yaml"


def automatic_gates_of_the_spec() -> set[str]:
    """The ids of the `kind: auto` gates in the template's capstone.yaml (a Jinja file: read as text)."""
    text = SPEC.read_text(encoding="utf-8")
    found = re.findall(r"- id: ([\w-]+)\n(?:.*\n)*?\s+kind: (auto|mentor)", text)
    return {gate_id for gate_id, kind in found if kind == "auto"}


@pytest.mark.skipif(not SPEC.is_file(), reason="not in the template repository")
def test_every_automatic_gate_of_capstone_yaml_has_an_implementation_and_no_other():
    spec = automatic_gates_of_the_spec()
    assert "integrity" in spec and "provenance" in spec  # the spec was read
    assert set(load_all()) == spec


@pytest.mark.parametrize("name", [module.name for module in pkgutil.iter_modules(gates_package.__path__)])
def test_each_gate_module_holds_one_gate_named_after_it_and_its_advice(name):
    module = importlib.import_module(f"{gates_package.__name__}.{name}")
    registered = [gate_id for gate_id, function in load_all().items() if function.__module__ == module.__name__]
    assert registered == [name.replace("_", "-")]
    assert isinstance(getattr(module, "ADVICE", None), dict | str), f"{name}.py has no ADVICE beside its gate"
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert source.index("ADVICE =") < source.index("@gate("), "the advice comes first, at the top"


def test_a_gate_id_is_registered_once():
    @gate("kit-test-gate")
    def first(context, thresholds) -> Outcome:
        return Outcome(True, "ok")

    try:
        with pytest.raises(ValueError, match="registered twice"):

            @gate("kit-test-gate")
            def second(context, thresholds) -> Outcome:
                return Outcome(True, "ok")
    finally:
        REGISTRY.pop("kit-test-gate")


def spec_with(gate_ids: list[str]) -> CapstoneSpec:
    from kitdata import spec_document

    document = spec_document()
    document["stages"][0]["gates"] = [
        dict(id=gate_id, check=f"checks {gate_id}", kind="auto", blocking=True) for gate_id in gate_ids
    ] + [dict(id="explained", check="the PR explains it", kind="mentor", blocking=False)]
    return CapstoneSpec.model_validate(document)


def test_check_spec_names_an_unknown_gate_and_the_known_ones():
    with pytest.raises(ConfigError, match=r"stage 1: no automatic gate is called 'cleaning-fixes-defect'; the known"):
        check_spec(spec_with(["cleaning-fixes-defect"]))
    check_spec(spec_with(["cleaning-fixes-defects"]))


@pytest.fixture
def stage_one(make_context, monkeypatch):
    from capstone.checkpoints.approval import ENVIRONMENT

    # integrity passes: no pull request to read, and outside a git repository nothing to compare
    for name in (*ENVIRONMENT, "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    context = make_context("no_team_package")
    context.spec = spec_with(["integrity", "cleaning-fixes-defects"])
    return context, context.spec.stages[0]


def test_a_stage_runs_every_gate_and_reports_a_missing_hook_in_one_line(stage_one):
    context, stage = stage_one
    result = run_stage(context, stage)
    statuses = {gate.id: gate.status for gate in result.gates}
    assert statuses == {"integrity": PASSED, "cleaning-fixes-defects": FAILED, "explained": MENTOR}
    assert not result.passed
    assert result.holdout_secret is None  # no gate used the holdout
    assert result.kit_version == __version__
    failed = result.gates[1]
    assert failed.measured == "a hook cannot be called"
    assert failed.detail.startswith("hook 'clean': module no_team_package.data.clean not found")


def test_the_reports_carry_the_kit_version_and_the_public_holdout_warning(stage_one, tmp_path, clean_rows):
    from capstone.checkpoints.holdout import Holdout

    context, stage = stage_one
    context.used_holdout = Holdout(clean_rows, False, "public rows", "churned", "binary")
    result = run_stage(context, stage)
    assert result.holdout_secret is False
    markdown, data = write_reports(result, {"commit": "abc1234", "dataset": "churn"}, tmp_path / "reports")
    text = markdown.read_text()
    assert f"capstone-kit `{__version__}`" in text
    assert "> **The holdout is not secret.**" in text
    assert "**`cleaning-fixes-defects`**: a hook cannot be called. Blocking." in text
    assert "Traceback" not in text
    document = json.loads(data.read_text())
    assert document["kit_version"] == __version__
    assert document["meta"] == {"commit": "abc1234", "dataset": "churn"}
    assert to_markdown(result, {}).count("capstone-kit") == 1
