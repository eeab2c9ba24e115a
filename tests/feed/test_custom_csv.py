"""Bring your own CSV: every error is one clear line; real-world files with messy names work end to end."""

import http.server
import threading
import zipfile
from functools import partial

import pandas as pd
import pytest
from capstone.feed import FeedError, load_custom_csv, make_battery
from capstone.feed.io import read_table, write_table

# A real-world-style export: spaces, units, punctuation, a byte-order mark, a % sign, a "?".
MESSY = (
    "\ufeffCustomer ID,Monthly Charges ($),Tenure (months),% Discount,Contract Type,Signup Date,Total.Charges,Churn?\n"
    + "".join(
        f"C-{i:04d},{20 + i % 50}.5,{1 + i % 60},{(i * 7) % 30},"
        f"{['Month-to-month', 'One year', 'Two year'][i % 3]},2024-0{1 + i % 9}-1{i % 9},"
        f"{(20 + i % 50) * (1 + i % 60)},{'Yes' if (i * 13) % 5 == 0 else 'No'}\n"
        for i in range(300)
    )
)


def _write(tmp_path, text: str | bytes, name="data.csv"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _one_line_error(call) -> str:
    with pytest.raises(FeedError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


# --- the errors the issue lists, each with its test ----------------------------------------------


def test_a_missing_file(tmp_path):
    message = _one_line_error(lambda: load_custom_csv("data/external/data.csv", "y", root=tmp_path))
    assert message.startswith("data file not found: data/external/data.csv")
    assert "commit it with git, up to 50 MB" in message
    assert "data.custom_csv.path" in message


def test_a_missing_target_column_lists_the_columns_and_suggests_one(tmp_path):
    path = _write(tmp_path, MESSY)
    message = _one_line_error(lambda: load_custom_csv(path, "churn"))
    assert message.startswith("target column 'churn' is not in")
    assert "did you mean 'Churn?'" in message and "'Monthly Charges ($)'" in message


def test_an_empty_target_setting(tmp_path):
    message = _one_line_error(lambda: load_custom_csv(_write(tmp_path, MESSY), ""))
    assert message.startswith("data.custom_csv.target is empty")


def test_a_target_with_one_class(tmp_path):
    path = _write(tmp_path, "x,label\n1,yes\n2,yes\n3,yes\n")
    message = _one_line_error(lambda: load_custom_csv(path, "label"))
    assert "has only one class ('yes')" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "zip archive"),
        (b"PAR1" + b"\x00" * 40, "Parquet"),
        (b"%PDF-1.7\n", "PDF"),
        (b'{"a": 1, "b": 2}', "JSON"),
        (b"abc\x00\x01\x02def", "binary data"),
    ],
)
def test_a_file_that_is_not_csv(tmp_path, content, expected):
    message = _one_line_error(lambda: load_custom_csv(_write(tmp_path, content), "y"))
    assert "is not a CSV file" in message and expected in message


def test_a_real_xlsx_workbook_is_not_csv(tmp_path):
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    assert "is not a CSV file" in _one_line_error(lambda: load_custom_csv(path, "y"))


def test_a_ragged_file_is_not_valid_csv(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,5,6,7,8\n")
    assert "is not a valid CSV file" in _one_line_error(lambda: load_custom_csv(path, "y"))


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_file(tmp_path, content):
    message = _one_line_error(lambda: load_custom_csv(_write(tmp_path, content), "y"))
    assert message.startswith("data file is empty")


def test_a_header_without_rows(tmp_path):
    message = _one_line_error(lambda: load_custom_csv(_write(tmp_path, "a,b,y\n"), "y"))
    assert message.startswith("data file is empty") and "no data rows" in message


def test_an_empty_path_and_a_folder(tmp_path):
    assert "data.custom_csv.path is empty" in _one_line_error(lambda: load_custom_csv("", "y"))
    assert "is a folder" in _one_line_error(lambda: load_custom_csv(tmp_path, "y"))


def test_a_task_that_does_not_fit_the_target(tmp_path):
    path = _write(tmp_path, "x,kind,price\n1,a,10.5\n2,b,11.5\n3,c,12.5\n")
    assert "must be binary, multiclass or regression" in _one_line_error(lambda: load_custom_csv(path, "kind", "svm"))
    # Three labels for a binary task: clean.py may map them to two, so ingest accepts it and says so.
    assert "clean.py must map them to two" in " ".join(load_custom_csv(path, "kind", "binary").notes)
    assert "holds text" in _one_line_error(lambda: load_custom_csv(path, "kind", "regression"))


# --- the task: given, or inferred and said -----------------------------------------------------


@pytest.mark.parametrize(
    ("column", "task"),
    [("Churn?", "binary"), ("Contract Type", "multiclass"), ("Monthly Charges ($)", "regression")],
)
def test_the_task_is_inferred_and_the_inference_is_printed(tmp_path, column, task):
    data = load_custom_csv(_write(tmp_path, MESSY), column)
    assert (data.task, data.task_inferred) == (task, True)
    assert data.note.startswith(f"task: {task} (inferred:") and column in data.note


def test_few_whole_numbers_are_classes_and_a_given_task_wins(tmp_path):
    path = _write(tmp_path, "x,stars\n" + "".join(f"{i},{1 + i % 5}\n" for i in range(50)))
    assert load_custom_csv(path, "stars").task == "multiclass"
    given = load_custom_csv(path, "stars", "regression")
    assert (given.task, given.task_inferred) == ("regression", False)


# --- real-world files ------------------------------------------------------------------------------


def test_messy_column_names_run_through_ingest(tmp_path):
    """Spaces, units and punctuation survive loading, writing to CSV and Parquet, and the battery."""
    (tmp_path / "data" / "external").mkdir(parents=True)
    _write(tmp_path / "data" / "external", MESSY)
    data = load_custom_csv("data/external/data.csv", "Churn?", root=tmp_path)  # as params.yaml has it
    frame = data.frame
    assert list(frame.columns)[:4] == ["Customer ID", "Monthly Charges ($)", "Tenure (months)", "% Discount"]
    assert len(frame) == 300 and frame["Monthly Charges ($)"].dtype.kind == "f"
    for suffix in (".csv", ".parquet"):
        back = read_table(write_table(frame, tmp_path / f"raw{suffix}"))
        assert list(back.columns) == list(frame.columns)
        pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    manifest = make_battery(frame, tmp_path / "battery", protect=("Churn?", "Customer ID"))
    assert not manifest["skipped"] and len(manifest["batches"]) == 10
    renamed = next(entry for entry in manifest["batches"] if entry["kind"] == "renamed_column")
    assert renamed["params"]["new_name"] in read_table(tmp_path / "battery" / renamed["file"]).columns


def test_semicolons_and_windows_encodings_from_excel(tmp_path):
    text = "Größe (m²);Preis (€);Verkauft?\n" + "".join(
        f"{i};{i * 1000};{'ja' if i % 2 else 'nein'}\n" for i in range(20)
    )
    data = load_custom_csv(_write(tmp_path, text.encode("cp1252")), "Verkauft?")
    assert list(data.frame.columns) == ["Größe (m²)", "Preis (€)", "Verkauft?"]
    assert data.task == "binary"


def test_a_url_is_downloaded_and_a_bad_url_is_one_clear_line(tmp_path):
    _write(tmp_path, MESSY, "export.csv")
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert len(load_custom_csv(f"{base}/export.csv", "Churn?").frame) == 300
        message = _one_line_error(lambda: load_custom_csv(f"{base}/missing.csv", "Churn?"))
        assert message.startswith(f"could not download {base}/missing.csv")
        assert "only http(s)" in _one_line_error(lambda: load_custom_csv("ftp://example.org/x.csv", "y"))
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass
