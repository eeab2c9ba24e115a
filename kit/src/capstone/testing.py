"""The kit's public testing API: what a team's tests import to measure what the checkpoints measure.

A team's tests (tests/data/, tests/model/, tests/service/) import from here, never from
capstone.checkpoints: these names are the stable, documented part of the kit, kept across
releases of one course version, while the checkpoints' internals may move. Each is the very
function a gate uses, so what passes in the team's tests passes that gate's measurement.

    from capstone.testing import fixed_shares, read_back            # stage 1: cleaning
    from capstone.testing import covered_columns, make_battery      # stage 2: suites
    from capstone.testing import ROBUSTNESS_CASES, robustness_cases, prediction_problem  # stage 3
    from capstone.testing import load_params, load_schema, generate_batch, team_hooks  # the project

Great Expectations, MLflow and BentoML load only when a function that needs them runs.
"""

from pathlib import Path

from capstone.checkpoints import probes as _probes
from capstone.config import load_params, load_spec  # the settings: params.yaml, capstone.yaml
from capstone.dataset import load_schema  # the columns' roles: target, id, numeric, ...
from capstone.feed import FeedError, generate_batch, load_custom_csv  # deliveries, and a team's own CSV

__all__ = [
    "FeedError",
    "custom_profile",
    "generate_batch",
    "hook_problems",
    "load_custom_csv",
    "load_params",
    "load_schema",
    "load_spec",
    "model_input",
    "run_suite",
    "team_hooks",
    "trusted_types",
    "ALL_MISSING",
    "BAD_DATES",
    "GRADED",
    "ONE_MISSING",
    "ROBUSTNESS_CASES",
    "UNSEEN",
    "UNSEEN_CATEGORIES",
    "answer_problems",
    "covered_columns",
    "fixed_shares",
    "forbidden_columns",
    "lost_records",
    "make_battery",
    "malformed_requests",
    "numbers_as_text",
    "prediction_problem",
    "predictions",
    "read_back",
    "robustness_cases",
    "scramble_effects",
]

# --- the project, its data and its hooks ----------------------------------------------------------


def team_hooks(root: Path):
    """The team's functions the kit calls, as capstone.yaml declares them (capstone.hooks.TeamHooks).

    team_hooks(root).clean(frame, schema, dataset), .raw_expectations(schema, params, profile=...),
    .clean_expectations(...), .features(schema, params), .candidates(schema, params, target): the
    very calls the pipeline and the checkpoints make.
    """
    from capstone.hooks import load_hooks

    return load_hooks(load_params(root).project.package, load_spec(root).hooks)


def hook_problems(root: Path) -> list[str]:
    """One line per hook of capstone.yaml that cannot be found or does not fit its Protocol (empty: fine)."""
    return team_hooks(root).problems()


def model_input(frame, schema):
    """What the model receives for raw rows: the schema's feature columns, typed (as in training and serving)."""
    from capstone.pipeline.splits import model_input as build

    return build(frame, schema)


def run_suite(gx_context, name: str, expectations: list, frame) -> dict:
    """Run `expectations` as the suite `name` on `frame`; the report the validate stage writes.

    gx_context: `great_expectations.get_context(mode="ephemeral")` keeps gx/ untouched. The report
    has "success", "evaluated" and "failed" (expectation, column, unexpected count and examples).
    """
    from capstone.pipeline.validate import run_suite as run

    return run(gx_context, name, expectations, frame, data_docs=False)


def trusted_types(model, package: str) -> list[str]:
    """The types the train stage tells skops to trust when it logs `model` (yours in `package`, and reviewed ones).

    A type skops finds in the model but not in this list makes the model's logging fail.
    """
    from capstone.pipeline.tracking import trusted_types as trusted

    return trusted(model, package)


def custom_profile(frame, target: str, task: str) -> dict:
    """A custom CSV's profile (its columns, row count, categories): what the suites of a custom CSV compare with."""
    from capstone.pipeline.validate import custom_profile as profile

    return profile(frame, target, task)


# --- stage 1: cleaning ----------------------------------------------------------------------------

#: The defect kinds the cleaning-fixes-defects gate grades (the others are measured, not graded).
GRADED = _probes.GRADED


def read_back(frame, keep_index: bool = False):
    """`frame` as the next stage reads it from CSV (ints with holes become floats, dates stay text, ...).

    keep_index=True keeps the frame's index: the cleaned frame's index holds the raw row positions,
    which fixed_shares() needs. The cleaning gate reads the team's cleaned frame back this way.
    """
    return _probes.read_back(frame, keep_index=keep_index)


def fixed_shares(key: dict, clean) -> dict[str, float]:
    """The share of each catalogued defect a cleaning fixed: {"kind" or "kind:column": share}.

    key: the feed's answer key of the delivery (capstone.feed.generate_batch returns it);
    clean: the cleaned frame, read back with read_back(..., keep_index=True). Dropping a record that
    is not a duplicate copy counts as not fixing its defects. The gate holds every GRADED share to
    capstone.yaml's min_fixed_share.
    """
    return _probes.fixed_shares(key, clean)


def lost_records(key: dict, raw, clean) -> int:
    """How many records the cleaning dropped with every copy of them (rows the model never sees)."""
    return _probes.lost_records(key, raw, clean)


def numbers_as_text(frame, share: float = 0.9) -> list[str]:
    """Text columns whose filled cells are nearly all numbers (at least `share`): left unparsed."""
    return _probes.numbers_as_text(frame, share)


# --- stage 2: suites ------------------------------------------------------------------------------


def covered_columns(expectations: list) -> set[str]:
    """The columns at least one column-level expectation checks the values of (as suites-cover-columns counts).

    Table-level expectations (the column list, the row count), expectations over a list of columns
    and ExpectColumnToExist do not cover a column.
    """
    return _probes.covered_columns(expectations)


def make_battery(
    frame,
    out_dir: str | Path,
    *,
    rows: int = 5_000,
    seed: int = 0,
    suffix: str = ".csv",
    protect: tuple[str, ...] = (),
    source: str = "",
) -> dict:
    """The defect battery suites-catch-defects runs: one corrupted file per kind in `out_dir`, and its manifest.

    capstone.feed.make_battery: each file breaks `frame` one way (nulls, out-of-range numbers, a new
    category, numbers as text, duplicated rows, a dropped, renamed or reordered column, no rows);
    the `control` file is the sample unchanged. protect: columns never broken (the target, the id).
    The manifest's "batches" list each file's kind, file name, column and corrupted rows.
    """
    from capstone.feed import make_battery as build

    return build(frame, out_dir, rows=rows, seed=seed, suffix=suffix, protect=protect, source=source)


# --- stage 3: the model ---------------------------------------------------------------------------

#: The names of the awkward inputs robust-inference sends (keys of robustness_cases()).
ROBUSTNESS_CASES = _probes.ROBUSTNESS_CASES
UNSEEN_CATEGORIES = _probes.UNSEEN_CATEGORIES
ONE_MISSING = _probes.ONE_MISSING
ALL_MISSING = _probes.ALL_MISSING
BAD_DATES = _probes.BAD_DATES
#: The value that stands in for a category the model never saw.
UNSEEN = _probes.UNSEEN


def forbidden_columns(schema) -> list[str]:
    """The columns no model may use: the leaky ones, the id and the target (leaky-column-unused)."""
    return _probes.forbidden_columns(schema)


def robustness_cases(frame, schema) -> dict:
    """{case name: raw rows}: what production sends sooner or later, built from the first rows of `frame`.

    Unseen categories, one missing value in each feature, rows with every feature missing,
    unreadable dates (a case is left out when the dataset has no such column). The robust-inference
    gate sends exactly these to the champion.
    """
    return _probes.robustness_cases(frame, schema)


def prediction_problem(predict, rows) -> str | None:
    """What is wrong with predict(rows): an error, a wrong count, NaN or infinite values; None when fine."""
    return _probes.prediction_problem(predict, rows)


def predictions(model, X, task: str):
    """Class probabilities (classification) or estimates (regression) of a fitted model, as floats."""
    return _probes.predictions(model, X, task)


def scramble_effects(predict, frame, columns, seed: int = 0) -> dict[str, float]:
    """{column: share of predict(frame)'s rows that move when the column is shuffled between rows}.

    0.0 means the model ignores the column (features-use-columns), anything above 0 that it uses it
    (leaky-column-unused wants 0.0 for the leaky column, the id and the target).
    """
    return _probes.scramble_effects(predict, frame, columns, seed)


# --- stage 5: the service -------------------------------------------------------------------------


def malformed_requests(example: dict, contract: dict) -> list:
    """The malformed requests service-contract sends, built from a valid request and the input contract.

    Each has .problem (what is wrong), .body (bytes to POST) and .field (the field a 4xx answer must
    name, or None).
    """
    return _probes.malformed_requests(example, contract)


def answer_problems(answer, records: list, contract: dict) -> list[str]:
    """What is wrong with the service's answer to a valid request of `records` (empty: nothing)."""
    return _probes.answer_problems(answer, records, contract)
