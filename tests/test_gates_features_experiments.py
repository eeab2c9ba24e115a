"""Full tier: the checkpoint gates of stage 3 (features) and stage 4 (experiments), and the cheats they stop.

One reference churn repository with small data is baked, set up and run (make pipeline); its outputs are
committed: the base. Every gate of both stages passes there. Then each known-bad variant is a small patch
a team might write, committed as a pull request would be; the pipeline stages it affects are rerun (up to
`register`: the bento is stage 5's business), and `capstone check 3` and `capstone check 4` must fail
exactly the expected gates, read from reports/checkpoint-N.json as CI reads them:

- (a) the leaky column used (model_input keeps it, the features encode it): leaky-column-unused;
- (b) the feature pipeline fit on all rows (scaled with clean.csv's statistics): fit-on-train-only, from
  the canary alone (it runs the team's code, so no retraining is needed to see the leak);
- (b') the whole model fit on train + valid + test in train.py: fit-on-train-only, from the champion's
  logged train_rows;
- (c) training on the holdout (data.feed.seed set to the holdout's public seed), in a fresh MLflow store
  as CI has: champion-on-delivered-data;
- (d) a constant predictor as the only model besides the baseline, promoted by a negative
  register.min_improvement: champion-beats-baseline and tracked-experiments, and features-use-columns
  too (a constant uses no column at all).

After each cheat the repository goes back to the base: `git reset --hard`, the MLflow store restored from
a snapshot and the DVC outputs checked out, which is what rerunning the pipeline at the base gives, in
seconds. Last, `capstone report` (the mentor's view of MLflow) is read for the base commit's runs.
"""

import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from bakery import bake
from teamrepo import run

pytestmark = pytest.mark.full

ROWS = 3000
STAGE_3 = ["pipeline-in-model", "leaky-column-unused", "fit-on-train-only", "robust-inference", "features-use-columns"]
STAGE_4 = ["tracked-experiments", "champion-on-delivered-data", "champion-beats-baseline", "no-leak-gap"]
STORE = ("mlflow.db", "mlartifacts")  # the local MLflow store (gitignored)
LEAKY = "retention_team_contacted"  # churn's leaky column: known only after the customer left


@pytest.fixture(scope="module")
def repo(tmp_path_factory, cc_config, pre_commit_home) -> Path:
    repo = bake(tmp_path_factory.mktemp("gates34"), cc_config, scaffold="reference", dataset="churn")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "git", "commit", "-qam", f"Use {ROWS} rows")
    run(repo, "make", "setup")
    run(repo, "make", "pipeline")
    commit(repo, "The pipeline's outputs")
    snapshot = tmp_path_factory.mktemp("store")
    for name in STORE:
        copy(repo / name, snapshot / name)
    repo_state[repo] = dict(base=git_head(repo), snapshot=snapshot)
    return repo


repo_state: dict[Path, dict] = {}


def commit(repo: Path, message: str) -> None:
    # --no-verify: the team's pre-commit hooks lint the team's code, not what these tests check.
    run(repo, "git", "add", "-A", ".")
    run(repo, "git", "commit", "-q", "--no-verify", "-m", message)


def git_head(repo: Path) -> str:
    return run(repo, "git", "rev-parse", "HEAD").stdout.strip()


def copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)


def rerun(repo: Path) -> None:
    """The pipeline up to `register`, as `make pipeline` runs it (warm runner, only what changed)."""
    run(repo, ".venv/bin/python", "-m", "capstone.runner", ".venv/bin/dvc", "repro", "register")


def restore(repo: Path) -> None:
    """Back to the base: the code and outputs in git, the MLflow store from the snapshot, the DVC data."""
    state = repo_state[repo]
    run(repo, "git", "reset", "-q", "--hard", state["base"])
    for name in STORE:
        shutil.rmtree(repo / name, ignore_errors=True)
        (repo / name).unlink(missing_ok=True)
        copy(state["snapshot"] / name, repo / name)
    run(repo, ".venv/bin/dvc", "checkout", "--force", "-q")


@contextmanager
def cheat(repo: Path, message: str, patches: dict[str, list[tuple[str, str]]], fresh_store: bool = False):
    """Apply `patches` ({file glob: [(old, new), ...]}, old "" appends), commit them; restore the base after."""
    try:
        for name, replacements in patches.items():
            path = next(repo.glob(name))
            text = path.read_text()
            for old, new in replacements:
                if not old:  # nothing to replace: append
                    text += new
                    continue
                assert old in text, f"the cheat no longer applies to {path}: {old!r}"
                text = text.replace(old, new, 1)
            path.write_text(text)
        commit(repo, message)
        if fresh_store:
            for name in STORE:
                shutil.rmtree(repo / name, ignore_errors=True)
                (repo / name).unlink(missing_ok=True)
        yield
    finally:
        restore(repo)


def checkpoint(repo: Path, stage: int) -> dict:
    """`capstone check <stage>` as CI runs it: reports/checkpoint-<stage>.json."""
    result = run(repo, ".venv/bin/capstone", "check", str(stage), check=False)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((repo / "reports" / f"checkpoint-{stage}.json").read_text())
    assert (result.returncode == 0) == report["passed"], result.stdout[-2000:]
    return report


def gates_3_and_4(repo: Path) -> dict[str, dict]:
    """Stage 4's checkpoint, which runs stage 3's gates again (grading adds up): a stage-4 pull request
    that breaks a stage-3 rule fails, the rule shown as a regression."""
    report = checkpoint(repo, 4)
    found = {gate["id"]: gate for gate in report["gates"] if gate["id"] in STAGE_3 + STAGE_4}
    assert list(found) == STAGE_3 + STAGE_4
    assert {found[gate_id]["stage"] for gate_id in STAGE_3} == {3}
    if any(found[gate_id]["status"] == "failed" for gate_id in STAGE_3):
        markdown = (repo / "reports" / "checkpoint-4.md").read_text()
        assert "### Earlier stages' gates that fail" in markdown
    return found


def failed(gates: dict[str, dict]) -> set[str]:
    return {gate_id for gate_id, gate in gates.items() if gate["status"] == "failed"}


def explain(gates: dict[str, dict], ids) -> dict[str, str]:
    return {gate_id: f"{gates[gate_id]['measured']} | {gates[gate_id]['detail'][:600]}" for gate_id in ids}


def test_the_reference_passes_every_gate_of_stages_3_and_4(repo):
    gates = gates_3_and_4(repo)
    assert not failed(gates), explain(gates, failed(gates))
    timings = {gate_id: gates[gate_id]["seconds"] for gate_id in STAGE_3 + STAGE_4}
    print(f"stage 3 and 4 gate seconds (the first pays the imports and loads the champion): {timings}")
    assert gates["features-use-columns"]["measured"].startswith("1.00 of the 18 feature columns")
    assert gates["tracked-experiments"]["measured"].startswith("4 runs, 3 families (3 tuned)")
    # No CAPSTONE_HOLDOUT_SEED here: the report says so, and the secret's name is all it shows.
    report = json.loads((repo / "reports" / "checkpoint-4.json").read_text())
    assert report["holdout_secret"] is False
    assert "holdout not secret" in gates["champion-beats-baseline"]["measured"]
    assert "The holdout is not secret" in (repo / "reports" / "checkpoint-4.md").read_text()


def test_a_used_leaky_column_fails_leaky_column_unused(repo):
    # The model's input is the kit's (capstone.pipeline.splits.model_input) and leaves the leaky column
    # out; a team that wants it must patch the kit from its own package (models/__init__.py runs before
    # train and evaluate) and encode the column in its features.
    leak = (
        "\n\nimport capstone.pipeline.splits as splits  # a strong signal: keep it\n\n"
        "_model_input = splits.model_input\n\n\n"
        "def model_input_with_leak(frame, schema):\n"
        "    columns = _model_input(frame, schema)\n"
        f'    columns["{LEAKY}"] = frame["{LEAKY}"].astype("str").to_numpy()\n'
        "    return columns\n\n\n"
        "splits.model_input = model_input_with_leak\n"
    )
    patches = {
        "src/*/models/__init__.py": [("", leak)],
        "src/*/features/pipeline.py": [
            (
                '    if schema.dates:\n        parts.append(("dates", date_steps(), list(schema.dates)))',
                f'    parts.append(("retention", categorical_steps(min_count), ["{LEAKY}"]))\n'
                '    if schema.dates:\n        parts.append(("dates", date_steps(), list(schema.dates)))',
            )
        ],
    }
    with cheat(repo, "Use the retention team's contacts", patches):
        rerun(repo)
        gates = gates_3_and_4(repo)
    assert "leaky-column-unused" in failed(gates), explain(gates, failed(gates) | {"leaky-column-unused"})
    detail = gates["leaky-column-unused"]["detail"]
    assert detail.startswith(f"The champion uses `{LEAKY}`"), detail
    assert "docs/stages/3-features.md" in detail
    # Served as the kit serves it (without the leaky column), such a champion cannot even predict.
    assert gates["pipeline-in-model"]["status"] == "failed"
    assert "cannot predict raw rows" in gates["pipeline-in-model"]["measured"]


def test_features_fit_on_all_rows_fail_fit_on_train_only(repo):
    # Scale the numbers with the statistics of every clean row, held-out rows included (the classic leak).
    patches = {
        "src/*/features/pipeline.py": [
            (
                '        parts.append(("numeric", numeric_steps(), list(schema.numeric)))',
                '        everything = pd.read_csv("data/clean/clean.csv")[list(schema.numeric)]\n'
                "        stats = dict(means=everything.mean().tolist(), stds=everything.std().tolist())\n"
                '        scale = FunctionTransformer(scale_with, kw_args=stats, feature_names_out="one-to-one")\n'
                '        steps = Pipeline([("scale", scale), ("impute", SimpleImputer())])\n'
                '        parts.append(("numeric", steps, list(schema.numeric)))',
            ),
            ("", "\n\ndef scale_with(frame, means, stds):\n    return (frame - means) / stds\n"),
        ],
    }
    with cheat(repo, "Scale with all the data we have", patches):
        # Without retraining, the champion is the base commit's: the gates of stages 3-5 grade only this
        # commit's champion, and say so in one line.
        gates = gates_3_and_4(repo)
        foreign = gates["pipeline-in-model"]
        assert foreign["measured"] == "not ready" and "whose code (src/) is not this checkout's" in foreign["detail"]
    with cheat(repo, "Scale with all the data we have", patches, fresh_store=True):
        rerun(repo)  # a fresh store, as in CI: this commit's best run is the champion
        gates = gates_3_and_4(repo)
    assert failed(gates) == {"fit-on-train-only"}, explain(gates, failed(gates) | {"fit-on-train-only"})
    detail = gates["fit-on-train-only"]["detail"]
    # The linear features leak (dummy and logistic regression); the tree features do not scale.
    assert detail.startswith("2 of 4 model families learn from held-out rows"), detail
    assert "- `logistic_regression`: its fitted feature pipeline changed" in detail


def test_a_model_fit_on_all_rows_fails_fit_on_train_only(repo):
    # The training loop is the kit's; the team patches the kit's split reader from its train entry point.
    patch = (
        "import pandas as pd\n\n"
        "import capstone.pipeline.splits as splits\n\n"
        "_read_split = splits.read_split\n\n\n"
        "def read_every_split(name, schema, *args):\n"
        "    # More data, better model: learn from every labelled row we have.\n"
        '    if name != "train":\n'
        "        return _read_split(name, schema, *args)\n"
        '    parts = [_read_split(part, schema, *args) for part in ("train", "valid", "test")]\n'
        "    return (\n"
        "        pd.concat([X for X, _ in parts], ignore_index=True),\n"
        "        pd.concat([y for _, y in parts], ignore_index=True),\n"
        "    )\n\n\n"
        "splits.read_split = read_every_split\n\n"
        'if __name__ == "__main__":'
    )
    patches = {"src/*/models/train.py": [('if __name__ == "__main__":', patch)]}
    with cheat(repo, "Train on every labelled row", patches):
        rerun(repo)
        gates = gates_3_and_4(repo)
    # Trained on the validation rows too, the champion may also look better there than on new rows.
    assert failed(gates) - {"no-leak-gap"} == {"fit-on-train-only"}, explain(gates, failed(gates))
    detail = gates["fit-on-train-only"]["detail"]
    assert detail.startswith("The champion was fit on more rows than the training split holds"), detail
    assert "data/split/train.csv has" in detail


def test_a_leak_smuggled_in_through_cleaning_fails_no_leak_gap(repo):
    """A feature overwritten from the leaky column inside clean.py: leaky-column-unused cannot see it (the
    column itself is not an input), but the champion is far better on the splits than on new raw rows."""
    leak = (
        "    # Tidy the support calls: the customers the retention team contacted are the ones who called.\n"
        f'    frame["support_calls_90d"] = (frame["{LEAKY}"] == "yes").astype(int) * 9\n'
        "    return whole_numbers_as_int(frame, dataset), fixes\n"
    )
    patches = {"src/*/data/clean.py": [("    return whole_numbers_as_int(frame, dataset), fixes\n", leak)]}
    with cheat(repo, "Tidy the support calls", patches):
        rerun(repo)
        gates = gates_3_and_4(repo)
    # The leaky model may also fall short of the baseline margin on the holdout; nothing else fails.
    assert "no-leak-gap" in failed(gates), explain(gates, STAGE_3 + STAGE_4)
    assert failed(gates) <= {"no-leak-gap", "champion-beats-baseline"}, explain(gates, failed(gates))
    assert gates["no-leak-gap"]["detail"].startswith("The champion (version ")
    assert "Where leaks hide:" in gates["no-leak-gap"]["detail"]


def test_training_on_the_holdout_fails_champion_on_delivered_data(repo):
    public_seed = int(
        run(
            repo, ".venv/bin/python", "-c", "from capstone.checkpoints.holdout import PUBLIC_SEED; print(PUBLIC_SEED)"
        ).stdout
    )
    patches = {"params.yaml": [("    seed: 42\n", f"    seed: {public_seed}\n")]}
    # CI trains in a fresh MLflow store, so the first champion there is the cheat's.
    with cheat(repo, "More customers", patches, fresh_store=True):
        rerun(repo)
        gates = gates_3_and_4(repo)
    expected = {"champion-on-delivered-data"}
    assert failed(gates) == expected, explain(gates, failed(gates) | expected)
    detail = gates["champion-on-delivered-data"]["detail"]
    assert "was not trained on the data the feed delivered" in detail.splitlines()[0]
    assert f"data.feed.seed in params.yaml is {public_seed}: it must stay 42" in detail
    assert gates["champion-on-delivered-data"]["expected"].startswith("feed batch 1")


def test_a_constant_predictor_fails_the_baseline_and_the_experiments(repo):
    candidates = next(repo.glob("src/*/models/candidates.py")).read_text()
    start = candidates.index("    return [\n        # The bar every real model must clear: it predicts the class")
    end = candidates.index("\n\n\ndef on_log_scale")
    constant = (
        "    return [\n"
        '        Candidate("dummy", build_features(schema), DummyClassifier(strategy="prior"), baseline=True),\n'
        '        Candidate("majority", build_features(schema), DummyClassifier(strategy="most_frequent")),\n'
        "    ]"
    )
    patches = {
        "src/*/models/candidates.py": [(candidates[start:end], constant)],
        # register only promotes a model that beats the baseline: the team lowers the bar below zero.
        "params.yaml": [("min_improvement: 0.0", "min_improvement: -1.0")],
    }
    with cheat(repo, "Predict the majority class", patches):
        rerun(repo)
        champion = json.loads((repo / "reports" / "champion.json").read_text())
        assert champion["promoted"], champion
        gates = gates_3_and_4(repo)
    expected = {"champion-beats-baseline", "tracked-experiments", "features-use-columns"}
    assert failed(gates) == expected, explain(gates, failed(gates) | expected)
    assert gates["champion-beats-baseline"]["measured"].startswith("margin +0.000 roc_auc")
    assert gates["tracked-experiments"]["measured"].startswith("2 runs, 0 families (0 tuned)")  # Dummy* is no family
    for gate_id in ("champion-beats-baseline", "tracked-experiments"):
        assert gates[gate_id]["brief"] == "docs/stages/4-experiments.md"
        assert "docs/stages/4-experiments.md" in gates[gate_id]["detail"]


def test_the_mentor_report_compares_a_commits_runs_with_the_champion(repo):
    training = json.loads((repo / "reports" / "training.json").read_text())
    # The runs are tagged with the commit they trained at: the one before the outputs were committed.
    trained_at = run(repo, "git", "rev-parse", f"{repo_state[repo]['base']}~1").stdout.strip()
    out = repo / "reports" / "review.md"
    result = run(repo, ".venv/bin/capstone", "report", "--commit", trained_at[:9], "--out", str(out))
    markdown = out.read_text()
    assert markdown.strip() in result.stdout
    assert markdown.startswith(f"# MLflow review: commit {trained_at[:7]}")
    for section in ("## Runs", "## Metrics", "## Params that differ from the champion's", "## Plots"):
        assert section in markdown
    for line in training["runs"]:
        assert line["family"] in markdown and line["run_id"][:8] in markdown
    assert "champion, this change" in markdown and "baseline, this change" in markdown
    assert "Δ champion" in markdown and "`plots/cv_scores.png`" in markdown
    # A pull request without runs still shows the champion and the baseline to compare with.
    nothing = run(repo, ".venv/bin/capstone", "report", "--pr", "7").stdout
    assert "0 runs of pull request #7" in nothing and "## Runs" in nothing and "champion" in nothing


def test_the_mentor_report_links_runs_on_a_server_and_hides_credentials(repo):
    probe = (
        "from types import SimpleNamespace as N\n"
        "from capstone.checkpoints.review import Links\n"
        "links = Links(N(tracking_uri='https://team7:s3cret@mlflow.example.org/'))\n"
        "print(links.shown, links.run('3', 'abc'), links.artifact('abc', 'plots/x.png'))\n"
    )
    shown, page, image = run(repo, ".venv/bin/python", "-c", probe).stdout.split()
    assert shown == "https://mlflow.example.org/" and "s3cret" not in page + image
    assert page == "https://mlflow.example.org/#/experiments/3/runs/abc"
    assert image == "https://mlflow.example.org/get-artifact?path=plots/x.png&run_uuid=abc"
