"""Bring your own CSV: column roles in params.yaml (ids, dates, text, drop), a dirty target that
ingest leaves for clean.py, the profile's suggestions, and rare classes that must not crash training."""

import importlib
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from baked import bake_team_repo
from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.feed import FeedError, load_custom_csv
from capstone.feed.cli import data_app
from capstone.feed.custom_csv import suggest_roles
from capstone.pipeline import ingest
from typer.testing import CliRunner

ROWS = 120
COMMENTS = ["late again and nobody called back", "friendly staff, quick fix", "the app keeps logging me out"]


def team_frame(rows: int = ROWS) -> pd.DataFrame:
    """A real-world-like export: an id, dates in US format, free text, an empty column, a dirty target."""
    labels = ["Yes", "No", "yes", " YES ", ".", "No", "no", "No"]
    return pd.DataFrame(
        {
            "Customer ID": [f"C-{i:05d}" for i in range(rows)],
            "Signup Date": [f"{1 + i % 12:02d}/{1 + i % 28:02d}/2023" for i in range(rows)],
            "Comment": [f"{COMMENTS[i % 3]} (ticket {i})" for i in range(rows)],
            "Plan": [["basic", "pro"][i % 2] for i in range(rows)],
            "Unused": [None] * rows,
            "Fee": [20.5 + i % 7 for i in range(rows)],
            "Churn?": [labels[i % len(labels)] for i in range(rows)],
        }
    )


def one_line(call) -> str:
    with pytest.raises((FeedError, ConfigError)) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return bake_team_repo(tmp_path_factory, dataset="custom_csv", scaffold="reference", project_slug="own-roles")


@pytest.fixture
def workdir(repo, tmp_path, monkeypatch):
    """A scratch copy of the baked repo's settings, with the team's CSV in data/external/."""
    for name in ("params.yaml", "capstone.yaml"):
        shutil.copy(repo / name, tmp_path / name)
    (tmp_path / "data" / "external").mkdir(parents=True)
    team_frame().to_csv(tmp_path / "data" / "external" / "data.csv", index=False)
    monkeypatch.syspath_prepend(str(repo / "src"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_custom(folder, **values) -> None:
    params = yaml.safe_load((folder / "params.yaml").read_text(encoding="utf-8"))
    params["data"]["custom_csv"].update(values)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


# --- roles in params.yaml: typed, one clear line when wrong -------------------------------------------


def test_the_baked_params_yaml_offers_every_role_empty(workdir):
    settings = load_params(workdir).data.model_extra["custom_csv"]
    assert {role: settings[role] for role in ("ids", "dates", "text", "drop")} == dict(
        ids=[], dates=[], text=[], drop=[]
    )


def test_one_column_may_be_given_without_brackets(workdir):
    set_custom(workdir, target="Churn?", ids="Customer ID", dates=None)
    settings = load_params(workdir).data.model_extra["custom_csv"]
    assert (settings["ids"], settings["dates"]) == (["Customer ID"], [])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            dict(id=["Customer ID"]),
            "params.yaml: data.custom_csv.id: unknown key; the keys here are path, target, task, ids, dates",
        ),
        (dict(ids=["Comment"], text=["Comment"]), "column 'Comment' is in both ids and text"),
        (dict(drop=["Churn?"]), "drop names the target 'Churn?'"),
        (dict(dates=["Signup Date", "Signup Date"]), "data.custom_csv.dates: names 'Signup Date' twice"),
    ],
)
def test_a_wrong_role_setting_is_one_line_naming_the_key(workdir, values, expected):
    set_custom(workdir, target="Churn?", **values)
    assert expected in one_line(lambda: load_params(workdir))


def test_a_role_naming_a_column_the_file_lacks_suggests_the_close_one(workdir):
    set_custom(workdir, target="Churn?", ids=["Customer Id "], text=["Coment"])
    with pytest.raises(SystemExit) as stopped:
        ingest.main()
    message = str(stopped.value.code)
    assert message.startswith("ERROR: data.custom_csv.ids names 'Customer Id ', which is not a column of")
    assert "did you mean 'Customer ID'?" in message and "\n" not in message
    message = one_line(lambda: load_custom_csv("data/external/data.csv", "Churn?", roles=dict(text=["Coment"])))
    assert "data.custom_csv.text names 'Coment'" in message and "did you mean 'Comment'?" in message


# --- roles reach ingest and the schema -----------------------------------------------------------------


def test_ingest_drops_parses_dates_and_the_schema_knows_every_role(workdir, capsys):
    set_custom(workdir, target="Churn?", ids=["Customer ID"], dates=["Signup Date"], text=["Comment"], drop=["Unused"])
    ingest.main()
    raw = pd.read_csv(workdir / "data/raw/batch.csv")
    assert "Unused" not in raw.columns
    assert raw["Signup Date"].iloc[:2].tolist() == ["2023-01-01", "2023-02-02"]  # ISO, as the features read
    schema = load_schema(load_params(workdir))
    assert (schema.ids, schema.id_column) == (("Customer ID",), "Customer ID")
    assert (schema.dates, schema.text) == (("Signup Date",), ("Comment",))
    assert set(schema.feature_columns) == {"Signup Date", "Comment", "Plan", "Fee"}  # no id, no target
    assert schema.categorical == ("Plan",) and schema.numeric == ("Fee",)


def test_without_roles_ingest_points_at_columns_that_look_like_roles(workdir, capsys):
    set_custom(workdir, target="Churn?")
    ingest.main()
    out = capsys.readouterr().out
    assert "'Customer ID' (ids), 'Signup Date' (dates), 'Comment' (text)" in out
    assert "capstone data profile" in out
    assert "empty in every row, left out: 'Unused'" in out  # no role needed for a column with no value


def test_a_date_that_does_not_parse_is_kept_for_clean_py_and_said(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("when,x,y\n2024-01-05,1,a\nsoon,2,b\n2024-02-29 13:30,3,a\n", encoding="utf-8")
    loaded = load_custom_csv(path, "y", roles=dict(dates=["when"]))
    assert loaded.frame["when"].tolist() == ["2024-01-05T00:00:00", "soon", "2024-02-29T13:30:00"]
    assert any("1 value(s) of 'when' are not dates" in line for line in loaded.notes)


# --- problem class 3: ingest accepts what cleaning can fix ---------------------------------------------


def test_ingest_accepts_placeholders_missing_labels_and_mixed_case(workdir, capsys):
    frame = team_frame()
    frame.loc[:9, "Churn?"] = None
    frame.loc[10:14, "Churn?"] = "?"
    frame.to_csv(workdir / "data/external/data.csv", index=False)
    set_custom(workdir, target="Churn?", task="binary")
    ingest.main()
    out = capsys.readouterr().out
    raw = pd.read_csv(workdir / "data/raw/batch.csv", keep_default_na=False)
    assert {".", "?", " YES ", "yes"} <= set(raw["Churn?"])  # left as they were, for clean.py
    assert "row(s) are missing or hold a placeholder" in out and "'.' " in out and "clean.py" in out
    assert "differ only by case or spaces" in out


def test_a_placeholder_does_not_fool_the_task_inference_and_it_is_said(tmp_path):
    path = tmp_path / "data.csv"
    team_frame().to_csv(path, index=False)
    loaded = load_custom_csv(path, "Churn?")  # values: Yes, No, yes, " YES ", "." and no, 5 spellings
    assert (loaded.task, loaded.task_inferred) == ("binary", True)
    assert "once placeholders, missing values, case and spaces are ignored" in loaded.note


def test_a_number_target_with_placeholders_is_still_regression(tmp_path):
    path = tmp_path / "data.csv"
    values = [str(round(100 + 3.7 * i, 1)) for i in range(40)] + ["?", "-", "n/a"]
    path.write_text("x,price\n" + "".join(f"{i},{value}\n" for i, value in enumerate(values)), encoding="utf-8")
    loaded = load_custom_csv(path, "price")
    assert loaded.task == "regression" and "once placeholders" in loaded.note
    assert load_custom_csv(path, "price", "regression").task == "regression"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["yes"] * 5 + ["Yes", " YES"] + ["."] * 3, "has only one class ('yes'); values seen: 'yes' 5, '.' 3,"),
        (["."] * 4 + ["?"] * 2, "has no values (seen: '.' 4, '?' 2)"),
    ],
)
def test_ingest_rejects_only_what_no_code_could_fix_listing_the_values(tmp_path, labels, expected):
    path = tmp_path / "data.csv"
    path.write_text("x,label\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels)), encoding="utf-8")
    message = one_line(lambda: load_custom_csv(path, "label"))
    assert expected in message
    assert "multiclass" not in message and "regression" not in message  # no advice to change the task


def test_a_long_list_of_values_is_shortened(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,label\n" + "".join(f"{i},.\n" for i in range(3)) + "".join(f"{i},n/a\n" for i in range(3)))
    assert "seen: '.' 3, missing 3" in one_line(lambda: load_custom_csv(path, "label"))
    text = "x,label\n" + "".join(f"{i},{'word ' * 20}{i}\n" for i in range(70))
    path.write_text(text, encoding="utf-8")
    message = one_line(lambda: load_custom_csv(path, "label"))
    assert "... (64 more)" in message and len(message) < 600


# --- the profile suggests, the team decides ------------------------------------------------------------


def test_the_profile_suggests_ids_dates_text_and_drop(workdir):
    found = {name: role for name, role, _ in suggest_roles(team_frame(), "Churn?")}
    assert found == {"Customer ID": "ids", "Signup Date": "dates", "Comment": "text", "Unused": "drop"}
    set_custom(workdir, target="Churn?", ids=["Customer ID"])
    result = CliRunner().invoke(data_app, ["profile"])
    assert result.exit_code == 0, result.output
    assert "'Signup Date' looks like dates" in result.output
    assert 'dates: ["Signup Date"]' in result.output and 'ids: ["Customer ID"]' not in result.output


def test_the_profile_uses_the_task_the_team_set_and_counts_copied_rows(workdir):
    set_custom(workdir, target="Churn?", task="binary")
    result = CliRunner().invoke(data_app, ["profile"])
    assert result.exit_code == 0, result.output
    assert "task: binary (from params.yaml)" in result.output and "inferred" not in result.output
    assert "copies of an earlier row" not in result.output
    path = workdir / load_params(workdir).data.model_extra["custom_csv"]["path"]
    frame = pd.read_csv(path)
    pd.concat([frame, frame.head(30)]).to_csv(path, index=False)
    result = CliRunner().invoke(data_app, ["profile"])
    assert "30 rows (" in result.output and "are exact copies of an earlier row" in result.output


def test_the_profile_of_a_missing_file_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(data_app, ["profile", "--in", "nope.csv"])
    assert result.exit_code == 1 and result.output.startswith("ERROR: data file not found: nope.csv")


# --- problem class 3's crash: a class with one member --------------------------------------------------


@pytest.mark.filterwarnings("ignore:The least populated class in y:UserWarning")  # the case under test
def test_the_reference_candidates_train_with_a_class_of_one_member(repo, monkeypatch):
    """Gradient boosting's early stopping holds out a stratified share: a 1-row class crashed it."""
    from capstone.dataset import DatasetSchema
    from capstone.pipeline.train import fit
    from sklearn.pipeline import Pipeline

    monkeypatch.syspath_prepend(str(repo / "src"))
    candidates = importlib.import_module(f"{load_params(repo).project.package}.models.candidates").candidates
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    common = pd.Series(np.where(X["a"] > 0, "high", "low"))
    y = common.copy()
    y.iloc[7] = "rare"  # one member
    schema = DatasetSchema(target="y", task="multiclass", numeric=("a", "b"))
    settings = dict(seed=0, cv_folds=3, n_iter=2, metric="auto")

    def boosting(target):
        return next(found for found in candidates(schema, settings, target) if found.family == "hist_gradient_boosting")

    assert boosting(common).model.early_stopping is True
    candidate = boosting(y)
    assert candidate.model.early_stopping is False
    pipeline = Pipeline([("features", candidate.features), ("model", candidate.model)])
    model, search = fit(pipeline, candidate, schema, settings, "f1_macro", X, y, None)
    assert "rare" in model.classes_ and np.isfinite(search.best_score_)


# --- CI-sized custom data, and a failed ingest that loses nothing -------------------------------------


def test_max_rows_takes_the_same_sample_every_time(workdir, capsys):
    set_custom(workdir, target="Churn?", max_rows=50)
    ingest.main()
    first = pd.read_csv(workdir / "data/raw/batch.csv")
    ingest.main()
    assert len(first) == 50 and first.equals(pd.read_csv(workdir / "data/raw/batch.csv"))
    assert f"a fixed sample of {ROWS:,} rows" in capsys.readouterr().out
    # In the file's order: the sample keeps ids ascending.
    assert first["Customer ID"].tolist() == sorted(first["Customer ID"])


def test_the_ci_checkpoint_caps_a_custom_csv_and_leaves_stage_1_alone(workdir):
    from capstone.checkpoints.ci import ci_params

    original = (workdir / "params.yaml").read_text(encoding="utf-8")
    changed, said = ci_params(original, 60, stage=3)
    assert "data.custom_csv.max_rows: 60 for this CI run" in said
    (workdir / "params.yaml").write_text(changed, encoding="utf-8")
    assert load_params(workdir).data.model_extra["custom_csv"]["max_rows"] == 60
    again, said = ci_params(changed, 60, stage=4)
    assert again == changed and "already CI-sized" in said
    assert ci_params(changed, 40, stage=4)[0].count("max_rows: 40") == 1
    assert ci_params(original, 60, stage=1)[0] == original


def test_a_failed_ingest_keeps_the_last_good_raw_data(workdir):
    set_custom(workdir, target="Churn?")
    ingest.main()
    good = (workdir / "data/raw/batch.csv").read_bytes()
    set_custom(workdir, target="Churn?", path="data/external/missing.csv")
    with pytest.raises(SystemExit) as stopped:
        ingest.main()
    assert "data/raw/ keeps the last good data" in str(stopped.value.code)
    assert (workdir / "data/raw/batch.csv").read_bytes() == good


def test_a_true_false_column_becomes_1_and_0(tmp_path):
    """pandas reads TRUE/FALSE as booleans, which broke robust-inference (NaN in a bool) and the service."""
    lines = ["Weekend,Score,Grade"] + [f"{w},{i},{'AB'[i % 2]}" for i, w in enumerate(["TRUE", "false", ""] * 10)]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    loaded = load_custom_csv("data.csv", "Grade", root=tmp_path)
    assert loaded.frame["Weekend"].tolist()[:3] == [1, 0, pd.NA]
    assert "'Weekend' holds true/false: written as 1/0" in loaded.notes
    loaded.frame.to_csv(tmp_path / "raw.csv", index=False)
    assert pd.api.types.is_numeric_dtype(pd.read_csv(tmp_path / "raw.csv")["Weekend"])  # as later stages read it


def test_a_column_empty_in_every_row_is_left_out_and_said(tmp_path):
    """An all-empty number column crashed the reference's gradient boosting (fertility-2011 of the corpus)."""
    lines = ["Country,2012,2013,Rate"] + [f"c{i},,,{1.5 + i}" for i in range(30)]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    loaded = load_custom_csv("data.csv", "Rate", root=tmp_path)
    assert list(loaded.frame.columns) == ["Country", "Rate"]
    assert any(note.startswith("empty in every row, left out: '2012', '2013'") for note in loaded.notes)
