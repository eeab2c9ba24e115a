"""Gates run before the pipeline say "not ready" in one line that says what to run, never a traceback.

Each gate runs through check.run_gate, as `capstone check` runs it, on a scratch repository where no
pipeline has run: no MLflow experiment or champion, no split, no bento, or no DVC repository. A real
error (not an absence) still shows as "the gate could not run", its first line before the traceback.
"""

import pytest
from capstone.checkpoints.check import FAILED, run_gate
from capstone.checkpoints.registry import REGISTRY, Outcome, gate
from capstone.config import Gate
from kitdata import spec_document

# The gates that load the champion, the split, the bento or DVC's repository.
NEEDS_THE_PIPELINE = (
    "robust-inference",
    "pipeline-in-model",
    "leaky-column-unused",
    "features-use-columns",
    "fit-on-train-only",
    "champion-beats-baseline",
    "champion-on-delivered-data",
    "tracked-experiments",
    "bento-builds",
    "provenance",
    "service-contract",
    "latency-budget",
)
CUSTOM = dict(custom_csv=dict(path="data/external/data.csv", target="churned", task="binary"))


def run(context, gate_id: str):
    from capstone.config import CapstoneSpec

    stage = CapstoneSpec.model_validate(spec_document()).stages[2]
    return run_gate(context, Gate(id=gate_id, check="a check", kind="auto", blocking=True), stage)


def assert_not_ready(result, *phrases: str) -> None:
    assert result.status == FAILED
    assert result.measured == "not ready", (result.measured, result.detail)
    assert "\n" not in result.detail and "Traceback" not in result.detail, result.detail
    for phrase in phrases:
        assert phrase in result.detail, result.detail


@pytest.mark.parametrize("gate_id", NEEDS_THE_PIPELINE)
def test_a_gate_before_the_pipeline_is_not_ready(make_context, gate_id):
    result = run(make_context(), gate_id)
    assert_not_ready(result, "`make pipeline`")


def test_a_missing_champion_names_the_model(make_context):
    result = run(make_context(), "robust-inference")
    assert_not_ready(result, "no 'champion' version of the registered model 'test-team-model' in sqlite:///mlflow.db")


def test_a_registered_model_without_the_champion_alias_is_not_ready(make_context, store):
    from mlflow import MlflowClient

    MlflowClient(store.uri).create_registered_model("no-champion-yet")
    context = make_context(mlflow=dict(tracking_uri=store.uri, registered_model="no-champion-yet"))
    result = run(context, "pipeline-in-model")
    assert_not_ready(result, "no 'champion' version of the registered model 'no-champion-yet'", "`make pipeline`")


def test_a_custom_csv_without_a_split_names_the_missing_file(make_context, tmp_path, clean_rows):
    (tmp_path / "data" / "external").mkdir(parents=True)
    clean_rows.head(300).to_csv(tmp_path / "data" / "external" / "data.csv", index=False)
    context = make_context(dataset="custom_csv", data=CUSTOM)
    for gate_id in ("robust-inference", "champion-beats-baseline"):
        assert_not_ready(run(context, gate_id), "data/split/test.csv is missing; run `make pipeline`")


def test_a_custom_csv_that_is_not_there_is_not_ready(make_context):
    context = make_context(dataset="custom_csv", data=CUSTOM)
    assert_not_ready(run(context, "leaky-column-unused"), "data/external/data.csv")


def test_no_dvc_repository_is_not_ready(make_context, tmp_path):
    assert_not_ready(run(make_context(), "data-tracked"), "is not a DVC repository", "dvc init")


@pytest.fixture
def broken_gate():
    """broken_gate(error) -> the id of a gate that raises `error`."""
    made = []

    def make(error: Exception) -> str:
        gate_id = f"kit-test-raises-{len(made)}"

        @gate(gate_id)
        def raises(context, thresholds) -> Outcome:
            raise error

        made.append(gate_id)
        return gate_id

    yield make
    for gate_id in made:
        REGISTRY.pop(gate_id)


def test_a_real_error_could_not_run_with_its_first_line_first(make_context, broken_gate):
    result = run(make_context(), broken_gate(ValueError("the threshold is not a number\nmore about it")))
    assert result.status == FAILED and result.measured == "the gate could not run"
    first, rest = result.detail.split("\n", 1)
    assert first == "ValueError: the threshold is not a number"
    # The rest of the message and the traceback are folded under it (a collapsed block in the PR report).
    assert rest.startswith("\n<details><summary>The error in full</summary>\n\nmore about it\n\n```\nTraceback")
    assert "raise error" in rest and rest.endswith("</details>")


def test_a_missing_file_outside_the_repository_is_a_real_error(make_context, broken_gate):
    error = FileNotFoundError(2, "No such file or directory", "/nowhere/at/all.json")
    result = run(make_context(), broken_gate(error))
    assert result.measured == "the gate could not run"
    assert result.detail.startswith("FileNotFoundError: [Errno 2] No such file or directory: '/nowhere/at/all.json'")


def test_a_missing_file_inside_the_repository_is_not_ready(make_context, broken_gate, tmp_path):
    error = FileNotFoundError(2, "No such file or directory", str(tmp_path / "reports" / "metrics.json"))
    assert_not_ready(run(make_context(), broken_gate(error)), "reports/metrics.json is missing; run `make pipeline`")
