"""Stage 2: validate the raw or the clean data with Great Expectations.

`python -m <package>.validation.validate raw` checks data/raw/batch.csv with the suite `raw`;
`... validate clean` checks data/clean/clean.csv with the suite `clean`. The expectations are
code (suites.py); this module keeps the GX project in gx/ in step with them, runs the checkpoint,
writes reports/validation/<raw|clean>.json, and builds the Data Docs
(gx/uncommitted/data_docs/local_site/index.html) when params.validate.data_docs is true.

A failing suite prints one line naming the failed expectations and columns, then the detail, and
exits 1: DVC stops there, so nothing downstream runs on bad data.

gx/ is committed (except gx/uncommitted/). Every GX object is looked up by a fixed name before it
is created, and the suite is only saved when the code's expectations changed, so running this
again leaves gx/ exactly as it was.
"""

import json
import sys
from pathlib import Path

import pandas as pd

from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.hooks import HookError
from capstone.pipeline.stage import team_hooks

DATA = dict(raw=Path("data/raw/batch.csv"), clean=Path("data/clean/clean.csv"))
REPORTS = Path("reports/validation")
# custom_csv only: what the team's data looked like at its first good delivery (committed with gx/)
PROFILE = Path("gx/custom_csv_profile.json")
SOURCE = "pandas"  # the GX data source: DataFrames handed over in memory
BATCH = "whole_frame"
# SUMMARY: counts and a few example values per expectation (COMPLETE would list every bad row)
RESULT_FORMAT = dict(result_format="SUMMARY", partial_unexpected_count=5)
EXAMPLES = 5
MAX_IN_LINE = 6  # failed expectations named in the one-line error; the rest follow in the detail


def get_or_add(get, add):
    """The stored object if there is one, else a new one: the same names give the same ids."""
    from great_expectations.exceptions import DataContextError

    try:
        return get()
    except (DataContextError, KeyError, LookupError):
        return add()


def quiet(context) -> None:
    """No progress bars (they flood CI logs) and no analytics; saved once in gx/great_expectations.yml."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    bars = context.variables.progress_bars or {}
    if not isinstance(bars, dict):  # a config object when just set, a plain dict when read from the file
        bars = dict(globally=bars.globally, metric_calculations=bars.metric_calculations)
    if bars.get("globally") is not False or bars.get("metric_calculations") is not False:
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        context.variables.save()
    if context.config.analytics_enabled is not False:
        context.enable_analytics(False)  # GX 1.24 sends nothing anyway; this makes it explicit


def expectation_settings(expectation) -> tuple[str, dict]:
    """What an expectation checks (its type and settings), without its stored id."""
    settings = expectation.dict(exclude={"id", "rendered_content"})
    for empty_is_none in ("meta", "notes"):  # a stored suite says {} where a new expectation says None
        settings[empty_is_none] = settings.get(empty_is_none) or None
    # compared as Python values, not as text: the stored suite says 1 where the code says 1.0
    return expectation.expectation_type, settings


def sync_suite(suite, wanted: list) -> bool:
    """Make the stored suite hold exactly `wanted`, keeping the ids of the expectations that stayed.

    Replacing every expectation on each run would give them new ids and a diff in gx/ every time.
    Returns True if the suite changed.
    """
    stored = list(suite.expectations)
    known = [expectation_settings(expectation) for expectation in stored]
    merged = []
    for expectation in wanted:
        settings = expectation_settings(expectation)
        merged.append(stored[known.index(settings)] if settings in known else expectation)
    if len(merged) == len(stored) and all(new is old for new, old in zip(merged, stored, strict=True)):
        return False
    suite.expectations = merged
    suite.save()
    return True


def prepare_checkpoint(context, name: str, expectations: list, data_docs: bool):
    """The checkpoint `<name>` with its suite, validation definition and data source (get-or-add)."""
    import great_expectations as gx

    source = get_or_add(lambda: context.data_sources.get(SOURCE), lambda: context.data_sources.add_pandas(name=SOURCE))
    asset = get_or_add(lambda: source.get_asset(name), lambda: source.add_dataframe_asset(name=name))
    batch = get_or_add(
        lambda: asset.get_batch_definition(BATCH), lambda: asset.add_batch_definition_whole_dataframe(BATCH)
    )
    suite = get_or_add(lambda: context.suites.get(name), lambda: context.suites.add(gx.ExpectationSuite(name=name)))
    sync_suite(suite, expectations)
    definition = get_or_add(
        lambda: context.validation_definitions.get(name),
        lambda: context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite)),
    )
    actions = [gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")] if data_docs else []
    checkpoint = get_or_add(
        lambda: context.checkpoints.get(name),
        lambda: context.checkpoints.add(
            gx.Checkpoint(name=name, validation_definitions=[definition], actions=actions, result_format=RESULT_FORMAT)
        ),
    )
    if [action.name for action in checkpoint.actions] != [action.name for action in actions]:
        checkpoint.actions = actions  # params.validate.data_docs changed
        checkpoint.save()
    return checkpoint


def run_suite(context, name: str, expectations: list, frame: pd.DataFrame, data_docs: bool = False) -> dict:
    """Validate `frame` against the expectations; returns the report (see `summarize`)."""
    quiet(context)
    checkpoint = prepare_checkpoint(context, name, expectations, data_docs)
    result = checkpoint.run(batch_parameters=dict(dataframe=frame))
    return summarize(name, result, list(frame.columns))


def summarize(name: str, result, columns: list[str]) -> dict:
    """The report: suite, success, evaluated, failed (expectation, column, unexpected_count, examples)."""
    failed, evaluated = [], 0
    for validation in result.run_results.values():
        for outcome in validation.results:
            evaluated += 1
            if outcome.success:
                continue
            config = outcome.expectation_config
            failed.append(
                dict(
                    expectation=config.type,
                    column=config.kwargs.get("column") or config.kwargs.get("column_list"),
                    unexpected_count=(outcome.result or {}).get("unexpected_count"),
                    examples=json.loads(json.dumps(examples(outcome, columns), default=str)),
                )
            )
    # table-level failures (a lost, renamed or extra column) first: they explain the others
    failed.sort(key=lambda failure: isinstance(failure["column"], str))
    return dict(suite=name, success=not failed, evaluated=evaluated, failed=failed)


def examples(outcome, columns: list[str]) -> list:
    """A few values that broke the expectation, or what went wrong instead."""
    config, details = outcome.expectation_config, outcome.result or {}
    column = config.kwargs.get("column")
    if column is not None and column not in columns:
        return [f"no column {column!r} in the data"]
    if config.type.startswith("expect_table_columns_to_match"):
        wanted = config.kwargs.get("column_list") or config.kwargs.get("column_set") or []
        missing = [name for name in wanted if name not in columns]
        extra = [name for name in columns if name not in wanted]
        if missing or extra:
            return [f"missing: {missing}", f"unexpected: {extra}"]
        return ["the same columns in another order"]
    if config.type == "expect_table_row_count_to_be_between" and "observed_value" in details:
        return [rows_wanted(details["observed_value"], config.kwargs)]
    if details.get("partial_unexpected_list"):
        return details["partial_unexpected_list"][:EXAMPLES]
    message = _exception_message(outcome.exception_info or {})
    if message:
        return [f"error: {message}"[:300]]
    return [details["observed_value"]] if "observed_value" in details else []


def rows_wanted(rows: int, limits: dict) -> str:
    """How many rows there were, and the suite's limits: "34 rows, at least 100 wanted"."""
    low, high = limits.get("min_value"), limits.get("max_value")
    wanted = [f"at least {low:,}" if low is not None else "", f"at most {high:,}" if high is not None else ""]
    return f"{rows:,} rows, " + " and ".join(part for part in wanted if part) + " wanted"


def _exception_message(info: dict) -> str:
    """GX nests the exception under a metric id when one metric of an expectation failed."""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "")
    nested = [value for value in info.values() if isinstance(value, dict) and value.get("raised_exception")]
    return str(nested[0].get("exception_message") or "") if nested else ""


def end_files_with_newline(folder: Path = Path("gx")) -> None:
    """GX writes its JSON without a final newline, and `make lint` (end-of-file-fixer) would fail on it.

    Only files that lack one are touched, so a rerun that changes nothing leaves gx/ as it was.
    """
    for path in folder.rglob("*"):
        if path.is_file() and "uncommitted" not in path.parts:
            content = path.read_bytes()
            if content and not content.endswith(b"\n"):
                path.write_bytes(content + b"\n")


def custom_profile(frame: pd.DataFrame, target: str, task: str) -> dict:
    """The reference a custom CSV's suites compare every later delivery with.

    Columns in order, and per column: kind, share of missing values, range of numbers, the set of
    categories (a text column with few distinct values, or a class label). Shares are measured twice:
    on every row (what the raw suite sees), and on the rows any cleaning keeps, with placeholders
    ("?", "n/a") as missing (`rows_clean`, `missing_clean`: what the clean suite sees).
    """
    from capstone.dataset import MAX_CATEGORIES

    kept = _kept_by_cleaning(frame, target)
    info = {}
    for column in frame.columns:
        values = frame[column]
        seen = values.dropna()
        entry = dict(missing=_share(values.isna()), missing_clean=_share(_missing_or_placeholder(kept[column])))
        if pd.api.types.is_bool_dtype(values):
            entry["kind"] = "bool"
        elif pd.api.types.is_numeric_dtype(values):
            entry.update(kind="number", min=float(seen.min()) if len(seen) else 0.0)
            entry["max"] = float(seen.max()) if len(seen) else 0.0
        else:
            entry["kind"] = "category" if seen.nunique() <= MAX_CATEGORIES else "text"
        is_label = column == target and task != "regression"
        if (entry["kind"] == "category" or is_label) and 0 < seen.nunique() <= MAX_CATEGORIES:
            distinct = set(seen.tolist())
            if values.dtype == "str":
                distinct |= {value.strip() for value in distinct}  # the cleaning strips stray spaces
            entry["values"] = sorted(distinct, key=str)
        info[column] = entry
    return dict(
        columns=list(frame.columns),
        target=target,
        rows=len(frame),
        rows_clean=len(kept),
        duplicated=_share(frame.duplicated(keep=False)),
        column_info=info,
    )


# Text that means "no value", whatever its case or spaces (the cleaning sets it to missing).
PLACEHOLDERS = {"", ".", "?", "-", "na", "n/a", "nan", "none", "null", "missing", "unknown"}


def _share(flags: pd.Series) -> float:
    return round(float(flags.mean()), 4) if len(flags) else 0.0


def _missing_or_placeholder(values: pd.Series) -> pd.Series:
    missing = values.isna()
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        missing |= values.astype("str").str.strip().str.casefold().isin(PLACEHOLDERS) & values.notna()
    return missing


def _kept_by_cleaning(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows every cleaning keeps: one of each set of copies, and only rows with a label."""
    distinct = frame[~frame.duplicated(keep="first")]
    if target not in distinct.columns:
        return distinct
    return distinct[~_missing_or_placeholder(distinct[target])]


def load_custom_profile(schema) -> dict:
    """The frozen profile, made from data/raw/batch.csv the first time (then committed, never rewritten).

    Frozen on purpose: a profile rebuilt from every delivery would accept whatever arrives.
    """
    if PROFILE.is_file():
        return json.loads(PROFILE.read_text(encoding="utf-8"))
    profile = custom_profile(pd.read_csv(DATA["raw"]), schema.target, schema.task)
    PROFILE.parent.mkdir(parents=True, exist_ok=True)
    PROFILE.write_text(json.dumps(profile, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"validate: profiled {DATA['raw']} into {PROFILE}; commit it (delete it to profile new data)")
    return profile


def one_line(which: str, report: dict) -> str:
    """ERROR: ... naming the failed expectations and their columns, for the first line of the log."""
    named = []
    for failure in report["failed"][:MAX_IN_LINE]:
        column = failure["column"]
        where = column if isinstance(column, str) else "table"
        table = failure["expectation"].startswith(("expect_table_columns_to_match", "expect_table_row_count"))
        if table and failure["examples"]:
            where = "table: " + ", ".join(map(str, failure["examples"]))  # columns missing or new; rows
        named.append(f"{failure['expectation']} ({where})")
    more = len(report["failed"]) - MAX_IN_LINE
    listed = "; ".join(named) + (f"; and {more} more" if more > 0 else "")
    failed, evaluated = len(report["failed"]), report["evaluated"]
    return (
        f"ERROR: the {which} data failed {failed} of {evaluated} expectations: {listed}. Fix the data "
        f"or the suite (validation/suites.py); detail below and in {REPORTS / (which + '.json')}."
    )


def detail(report: dict) -> str:
    lines = []
    for failure in report["failed"]:
        column = failure["column"]
        where = column if isinstance(column, str) else "the table"
        count = failure["unexpected_count"]
        counted = f"{count} unexpected, e.g. " if count is not None else ""
        lines.append(f"  - {failure['expectation']} on {where}: {counted}{failure['examples']}")
    return "\n".join(lines)


def main() -> None:
    which = sys.argv[1] if len(sys.argv) == 2 else ""
    if which not in DATA:
        sys.exit("ERROR: say which data to validate: python -m <package>.validation.validate raw|clean")
    try:
        params = load_params(Path("."))
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    settings = params.model_extra.get("validate") or {}
    path = DATA[which]
    if not path.is_file():
        stage = "ingest" if which == "raw" else "clean"
        sys.exit(f"ERROR: {path} not found; run the {stage} stage first (dvc repro {stage}).")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        sys.exit(f"ERROR: {path} is empty (not even a header); rerun the stage that writes it.")
    except pd.errors.ParserError as problem:
        sys.exit(f"ERROR: {path} is not a well-formed CSV ({problem}); rerun the stage that writes it.")
    custom = params.data.dataset == "custom_csv"
    if custom:
        from capstone.feed import FeedError

        try:
            schema = load_schema(params)  # a custom CSV's roles are read from data/raw/batch.csv
        except FeedError as problem:
            sys.exit(f"ERROR: the {which} data failed before its suite could run: {problem}")
    else:
        schema = load_schema(params)
    profile = load_custom_profile(schema) if custom else None

    import great_expectations as gx  # about 10 s: only this stage pays for it

    hooks = team_hooks(params)
    try:
        build = hooks.raw_expectations if which == "raw" else hooks.clean_expectations
        expectations = build(schema, params, profile=profile)
    except HookError as problem:
        sys.exit(f"ERROR: {problem}")
    context = gx.get_context(mode="file", project_root_dir=str(Path.cwd()))
    data_docs = bool(settings.get("data_docs", True))
    report = run_suite(context, which, expectations, frame, data_docs)
    end_files_with_newline()

    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{which}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    docs = "; Data Docs: gx/uncommitted/data_docs/local_site/index.html" if data_docs else ""
    if not report["success"]:
        hint = f" If your data changed on purpose, delete {PROFILE} to profile it again." if custom else ""
        print(one_line(which, report) + hint, file=sys.stderr)
        print(detail(report), file=sys.stderr)
        sys.exit(1)
    print(f"validate {which}: {len(frame):,} rows passed all {report['evaluated']} expectations{docs}")


if __name__ == "__main__":
    main()
