"""The gates of stage 1 (data): the raw data is versioned with DVC, and the cleaning fixes the defects.

data-tracked             data/raw is in the committed dvc.lock, a default remote is set, the data is
                         pushed there, and `dvc status` is clean.
cleaning-fixes-defects   the team's `data.clean.clean_frame`, run on a fresh delivery from the feed,
                         fixes the catalogued defects, measured against the feed's answer key.
                         For a custom CSV: generic checks of the cleaned data.

The helpers at the bottom (`delivered_batch`, `cleaned`, `fixed_shares`, ...) are shared with the
stage 2 gates (validation.py) and with the team's tests (tests/data/test_cleaning.py), so the tests
and the checkpoint measure the same thing in the same way.
"""

import io
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from capstone.checkpoints.gates import Outcome, gate, threshold

BRIEF = "docs/stages/1-data.md"
RAW_OUT = "data/raw"  # the ingest stage's output: the delivery DVC versions
# The checkpoint's own deliveries: seeds no stage, test or fixture of the template uses, so the
# team's code is measured on data it has never seen (`other_seed` steps past the pipeline's seed).
CHECK_SEEDS = (20_251, 31_337, 52_021)
CHECK_ROWS = 10_000  # 50 rows even for a defect at 0.5 %, so one miss moves a share by 0.02 at most

# The defects the gate grades, as capstone.yaml words it: duplicates removed, categories
# normalised, units fixed, impossible values fixed. A sentinel (999 days since the last login,
# a credit score of 0) is an impossible value written as a number, so it is graded with them.
GRADED = (
    "exact_duplicate",
    "near_duplicate",
    "id_collision",
    "category_variant",
    "unit_mixup",
    "impossible_value",
    "sentinel",
)
# Cell defects, measured per column ("unit_mixup:monthly_fee"); the others are whole rows.
CELL_KINDS = (
    "unit_mixup",
    "category_variant",
    "impossible_value",
    "sentinel",
    "mixed_date_format",
    "outlier",
)
# Where setting the cell to missing is a right fix (the feature pipeline imputes it later).
MISSING_IS_RIGHT = ("impossible_value", "sentinel", "outlier")
# What a fix looks like, per kind (from the catalogue in capstone/feed/README.md).
HOW_TO_FIX = dict(
    exact_duplicate="drop the second copy of identical rows",
    near_duplicate="drop the re-typed copy (same record, other case or spacing, a rounded number)",
    id_collision="two different records share an id: keep both and give one a new id",
    category_variant="one spelling per category: strip, case-fold, map synonyms",
    unit_mixup="convert the rows of the source system that sends another unit",
    impossible_value="set to missing, or fix the sign if you can justify it",
    sentinel="a placeholder number for 'unknown': set it to missing",
    mixed_date_format="parse every date format the column has (all are day-first)",
    outlier="set to missing or cap",
)


# --- data-tracked ------------------------------------------------------------------------------


@gate("data-tracked")
def data_tracked(context, thresholds) -> Outcome:
    """The raw data is versioned, shared and current: the four things `dvc` must say yes to.

    1. tracked: the committed dvc.lock lists data/raw with an md5 (a teammate or CI checking out
       the branch knows exactly which data version it is);
    2. remote: a default remote is set in .dvc/config (committed, so everyone pushes to one place);
    3. pushed: every file of that data version is in the remote (`dvc status --cloud`, through
       DVC's Python API in this process: no second 1-2 s DVC start-up, only data/raw looked up);
    4. up to date: `dvc status` is clean, so the outputs are what the code and params.yaml make.
    """
    from dvc.repo import Repo

    committed, workspace = data_versions(context.root)
    with Repo(str(context.root)) as repo:
        problems = dict(tracked=tracking_problem(committed), remote=remote_problem(repo))
        # pushed only means something for a committed data version and a remote
        checkable = not (problems["tracked"] or problems["remote"])
        # A remote that is a folder on a team laptop cannot be seen from a GitHub runner: say so
        # instead of failing every stage-1 PR; a shared remote (docs: Running a cohort) is checked.
        local_only = checkable and on_github_actions() and unreachable(repo, default_remote(repo))
        checkable = checkable and not local_only
        problems["pushed"] = push_problem(repo, in_workspace=committed == workspace) if checkable else None
        problems["up to date"] = status_problem(repo)
    failed = {name: problem for name, problem in problems.items() if problem}
    passed = len(problems) - len(failed) - (0 if checkable else 1)
    measured = f"{passed} of {len(problems)} checks pass"
    expected = "tracked, remote set, pushed, up to date"
    if not failed and local_only:
        return Outcome(
            True,
            measured + " (pushed: not checkable on CI)",
            expected,
            f"The DVC remote is a folder on your machine{local_only}, so CI cannot see whether the data "
            "was pushed: run `make check STAGE=1` locally before the PR. A shared remote (an S3 bucket or a "
            "shared folder) lets CI check it.",
        )
    if not failed:
        return Outcome(True, measured, expected)
    measured += f" (failed: {', '.join(failed)}" + ("" if checkable else "; pushed not checked") + ")"
    what, fix = next(iter(failed.values()))
    items = [f"- {name}: {what}: run {fix}." for name, (what, fix) in failed.items()]
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            f"{what[:1].upper()}{what[1:]}: run {fix}.",
            items if len(items) > 1 else [],
            f"See {BRIEF} (Deliverables).",
        ),
    )


def data_versions(root: Path) -> tuple[str | None, str | None]:
    """The md5 of data/raw in the committed dvc.lock and in the workspace's (None: not there).

    The commit is what the pull request delivers; the workspace can differ (CI rebuilds the data
    at its own size, or the team has not committed yet).
    """
    committed = subprocess.run(
        ["git", "show", "HEAD:dvc.lock"], cwd=root, capture_output=True, text=True, check=False
    )
    lock = root / "dvc.lock"
    return (
        raw_version(committed.stdout) if committed.returncode == 0 else None,
        raw_version(lock.read_text(encoding="utf-8")) if lock.is_file() else None,
    )


def raw_version(lock_text: str) -> str | None:
    """The md5 DVC recorded for data/raw in a dvc.lock, or None when it is not there."""
    import yaml

    lock = yaml.safe_load(lock_text) or {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if str(out.get("path", "")).rstrip("/") == RAW_OUT and out.get("md5"):
                return str(out["md5"])
    return None


def tracking_problem(committed: str | None) -> tuple[str, str] | None:
    """Why no data version of data/raw is committed, or None when one is."""
    if committed is None:
        return (
            f"the committed dvc.lock has no md5 for {RAW_OUT} (the data is not tracked)",
            "`make pipeline`, then commit dvc.lock",
        )
    return None


def remote_problem(repo) -> tuple[str, str] | None:
    if default_remote(repo) is None:
        return (
            "no default DVC remote is set in .dvc/config",
            "`dvc remote add -d <name> <url>` (without `--local`), then commit .dvc/config",
        )
    return None


def default_remote(repo) -> str | None:
    """The default remote's name, when .dvc/config (not the uncommitted config.local) sets one that exists."""
    name = repo.config.read("repo").get("core", {}).get("remote")
    return name if name and name in repo.config.get("remote", {}) else None


def push_problem(repo, in_workspace: bool) -> tuple[str, str] | None:
    remote = default_remote(repo)
    try:
        missing = unpushed(repo, in_workspace)
    except Exception as problem:  # noqa: BLE001 (a cloud remote fails in many ways: say which, in one line)
        first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
        return (
            f"the remote `{remote}` could not be read ({first_line})",
            "`dvc remote list` to check its URL and credentials, then `make push`",
        )
    if not missing:
        return None
    return (
        f"{len(missing)} file(s) of {RAW_OUT} are not in the remote `{remote}` "
        f"(e.g. `{missing[0]}`){unreachable(repo, remote)}",
        "`make push`",
    )


def unpushed(repo, in_workspace: bool = True) -> list[str]:
    """The files of the committed version of data/raw that are not in the default remote (sorted).

    What `dvc status --cloud data/raw` does, for HEAD's dvc.lock: the data version's objects are
    listed, then looked up in the remote. in_workspace: HEAD's version is the workspace's, so it is
    listed from the workspace (reading the commit instead costs 1-3 s more).
    """
    from contextlib import nullcontext

    # the lookup itself runs outside `switch`: a relative remote path only resolves from the workspace
    with nullcontext() if in_workspace else repo.switch("HEAD"):
        used = repo.index.used_objs([RAW_OUT], force=True, push=True)
    missing = set()
    for objects in used.values():
        status = repo.cloud.status(objects)
        # new: only in the local cache; missing: nowhere. (deleted: only in the remote, so pushed.)
        missing |= {entry.obj_name for entry in (*status.new, *status.missing)}
    files = sorted(name for name in missing if name.rstrip("/") != RAW_OUT)
    return files or sorted(missing)  # the files, or the folder's listing when only that is missing


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def unreachable(repo, remote: str) -> str:
    """A note when the remote is a folder that does not exist here (a laptop's folder, seen from CI)."""
    url = str(repo.config["remote"][remote].get("url", ""))
    if "://" in url or Path(url).exists():
        return ""
    return f"; the remote is the folder {url}, which does not exist on this machine"


def status_problem(repo) -> tuple[str, str] | None:
    stale = repo.status()  # `dvc status`: {stage: [changes]}, empty when everything is up to date
    if not stale:
        return None
    names = [name.split(":")[-1] for name in stale]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (
        f"`dvc status` is not clean: stage(s) {shown} changed",
        "`make pipeline`, then commit dvc.lock (and `make push`)",
    )


# --- cleaning-fixes-defects --------------------------------------------------------------------


@gate("cleaning-fixes-defects")
def cleaning_fixes_defects(context, thresholds) -> Outcome:
    """The share of each graded defect the team's cleaning fixes, on a delivery it has never seen.

    The team's `clean_frame` runs on a fresh batch from the feed (a seed the pipeline does not
    use, the batch the team works on), read back as from CSV, as the clean stage reads it. The
    answer key says, cell by cell, what each defect replaced; `fixed_shares` compares. Measured:
    the worst share among the graded defects (GRADED), each one held to min_fixed_share.
    Dropping a record is not fixing it: a defect on a dropped row that is not a duplicate copy
    counts as not fixed (else dropping every odd-looking row would score perfectly).
    """
    if context.params.data.dataset == "custom_csv":
        return custom_cleaning(context)
    minimum = threshold(thresholds, "min_fixed_share", 0.9)
    raw, key = delivered_batch(context)
    clean = cleaned(context, raw)
    problem = index_problem(raw, clean, key["id_column"])
    where = f"src/{context.params.project.package}/data/clean.py"
    if problem:
        return Outcome(
            False, "cannot be measured", f"at least {minimum:.2f} of each defect fixed", f"{where}: {problem}"
        )
    shares = fixed_shares(key, clean)
    graded = {name: share for name, share in shares.items() if name.split(":")[0] in GRADED}
    worst = min(graded, key=graded.get)
    measured = f"{graded[worst]:.2f} fixed of the worst-fixed defect ({worst})"
    expected = f"at least {minimum:.2f} of each of the {len(graded)} graded"
    too_low = {name: share for name, share in sorted(graded.items()) if share < minimum}
    notes = cleaning_notes(shares, graded, lost_records(key, raw, clean))
    if not too_low:
        return Outcome(True, measured, expected, notes)
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            f"The cleaning fixes too little of {len(too_low)} of {len(graded)} catalogued defects: "
            f"improve `clean_frame` in {where} (see {BRIEF}).",
            [
                f"- `{name}`: {share:.2f} fixed; {HOW_TO_FIX[name.split(':')[0]]}"
                for name, share in too_low.items()
            ],
            f"Measured on a fresh delivery ({len(raw):,} rows, seed {key['seed']}, batch {key['batch']}) "
            "against the feed's answer key (capstone/feed/README.md lists every defect).",
            notes,
        ),
    )


def cleaning_notes(shares: dict, graded: dict, lost: int) -> str:
    """What the mentor may want to see besides the grade: the ungraded defects, the dropped records."""
    notes = []
    others = {name: share for name, share in shares.items() if name not in graded}
    if others:
        notes.append(
            "Also measured, not graded: " + ", ".join(f"`{n}` {s:.2f}" for n, s in others.items()) + "."
        )
    if lost:
        notes.append(f"{lost} record(s) were dropped, not just a duplicate copy: say why in the PR.")
    return " ".join(notes)


def custom_cleaning(context) -> Outcome:
    """A custom CSV has no answer key: generic checks of the team's cleaning of their own file.

    No exact duplicate rows, no row without a target, and no column of numbers left as text
    (a column whose values are nearly all numbers but arrived with a few "n/a" or "1,5" cells).
    """
    raw = read_back(team_raw_frame(context))
    clean = cleaned(context, raw)
    target = context.schema.target
    problems = []
    copies = int(clean.duplicated().sum())
    if copies:
        problems.append(f"{copies} duplicate row(s) remain: drop exact copies")
    if target not in clean.columns:
        problems.append(f"the target column `{target}` is gone: keep it")
    elif clean[target].isna().any():
        problems.append(
            f"{int(clean[target].isna().sum())} row(s) have no target: drop them (nothing to learn from)"
        )
    unparsed = numbers_as_text(clean)
    if unparsed:
        problems.append(
            "column(s) of numbers are still text: "
            + ", ".join(f"`{name}`" for name in unparsed)
            + "; parse them (pd.to_numeric) and set unreadable cells to missing"
        )
    checks = 3
    measured = f"{checks - len(problems)} of {checks} generic checks pass"
    expected = "no duplicate rows, no missing target, numbers parsed"
    if not problems:
        return Outcome(True, measured, expected)
    where = f"src/{context.params.project.package}/data/clean.py"
    return Outcome(
        False,
        measured,
        expected,
        detail_text(
            f"The cleaned data of your CSV fails {len(problems)} generic check(s): "
            f"fix `clean_frame` in {where}.",
            [f"- {problem}." for problem in problems],
            f"See {BRIEF}.",
        ),
    )


# --- shared helpers: deliveries, the team's cleaning, the answer key ----------------------------


def detail_text(first: str, items: list[str] = (), *paragraphs: str) -> str:
    """A failure detail in Markdown: one line saying what and what to do, a list, then paragraphs."""
    blocks = [first, "\n".join(items), *paragraphs]
    return "\n\n".join(block for block in blocks if block)


def read_back(frame, keep_index: bool = False):
    """The frame with the dtypes the next stage gets from pd.read_csv (ints with holes become floats, ...).

    keep_index: keep the frame's index (the cleaned frame's index holds the raw row positions).
    """
    import pandas as pd

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    out = pd.read_csv(buffer)
    if keep_index:
        out.index = frame.index
    return out


def other_seed(context, index: int) -> int:
    """The index-th checkpoint seed, never the pipeline's own seed (params.yaml data.feed.seed)."""
    used = int((context.params.data.model_extra.get("feed") or {}).get("seed", 42))
    seed = CHECK_SEEDS[index]
    return seed + 1 if seed == used else seed


def feed_batch(context) -> int:
    """The delivery the team works on (params.yaml data.feed.batch)."""
    return int((context.params.data.model_extra.get("feed") or {}).get("batch", 1))


def delivered_batch(context, index: int = 0, batch: int | None = None, rows: int = CHECK_ROWS):
    """A fresh delivery from the feed, as the pipeline reads it (from CSV), and its answer key.

    index: which of the checkpoint's seeds (CHECK_SEEDS); batch: the team's batch when None.
    """
    return _delivery(
        context.params.data.dataset, rows, other_seed(context, index), batch or feed_batch(context)
    )


@lru_cache(maxsize=8)
def _delivery(dataset: str, rows: int, seed: int, batch: int):
    # cached: the stage 1 and 2 gates of `capstone check all` share their deliveries
    from capstone.feed import generate_batch

    frame, key = generate_batch(dataset, rows=rows, seed=seed, batch=batch)
    return read_back(frame), key


def team_raw_frame(context):
    """A custom CSV as the pipeline ingested it (data/raw/batch.csv), else read from params.yaml's path."""
    import pandas as pd

    raw = context.root / RAW_OUT / "batch.csv"
    if raw.is_file():
        return pd.read_csv(raw)
    from capstone.feed import load_custom_csv

    settings = context.params.data.model_extra.get("custom_csv") or {}
    loaded = load_custom_csv(
        settings.get("path"), settings.get("target"), settings.get("task") or None, context.root
    )
    return loaded.frame


def cleaned(context, raw):
    """The team's cleaning of `raw`, read back as from CSV, its index kept (the raw row positions)."""
    cache = _memo(context, "cleaned")
    if id(raw) not in cache:
        frame, _ = context.team("data.clean").clean_frame(
            raw.copy(), context.schema, context.params.data.dataset
        )
        cache[id(raw)] = (raw, read_back(frame, keep_index=True))  # raw kept alive: its id stays unique
    return cache[id(raw)][1]


def _memo(context, name: str) -> dict:
    """A per-Context cache (Context is the lead's dataclass; its instance dict holds our entries)."""
    return vars(context).setdefault("_data_gate_cache", {}).setdefault(name, {})


def index_problem(raw, clean, id_column: str | None) -> str | None:
    """Why clean's index cannot be the raw row positions (the measurement relies on it), or None."""
    if not clean.index.is_unique or not clean.index.isin(raw.index).all():
        return "`clean_frame` must keep the raw row positions as the index (do not reset_index)."
    if id_column and id_column in clean.columns and len(clean):
        # a collided id gets a suffix (CUS-...-2); otherwise the id of a row must not change
        same = [
            str(new).startswith(str(old))
            for new, old in zip(clean[id_column], raw.loc[clean.index, id_column], strict=True)
        ]
        if sum(same) < 0.99 * len(same):
            return (
                "the rows of `clean_frame`'s output do not match the raw rows at their index; "
                "keep the raw index (do not reset_index)."
            )
    return None


def _same(value, original) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(original, str) or isinstance(value, str):
        return value == original
    return pd.notna(value) and original is not None and bool(np.isclose(float(value), float(original)))


def _unit_fixed(value, original, params: dict) -> bool:
    """Right unit: for a unit that lost precision (years for months), any value within one sent unit."""
    import pandas as pd

    if "divide_by" in params and pd.notna(value) and original is not None:
        return abs(float(value) - float(original)) < float(params["divide_by"])
    return _same(value, original)


def survivor_of(key: dict, kept: set):
    """survivor(row) -> the kept row that stands for `row`'s record (itself or a copy), or None.

    A duplicate copy and the row it copies are one record: if either is kept, the record is.
    """
    record: dict[int, int] = {}  # row -> the row it copies (a source maps to itself)
    for entry in key["defects"]:
        if entry["kind"] in ("exact_duplicate", "near_duplicate"):
            for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
                record[row], record[source] = source, source
    members: dict[int, list[int]] = {}
    for row, source in record.items():
        members.setdefault(source, []).append(row)

    def survivor(row: int) -> int | None:
        if row in kept:
            return row
        return next((other for other in members.get(record.get(row), []) if other in kept), None)

    return survivor


def fixed_shares(key: dict, clean) -> dict[str, float]:
    """The share of each catalogued defect the cleaning fixed: {"kind" or "kind:column": share}.

    `clean` is the cleaned frame with the raw row positions as its index. A row whose record
    survives as another copy (a dropped duplicate) took its defect with it and is not counted;
    any other dropped row that carried a defect counts as not fixed.
    """
    kept = set(clean.index)
    survivor = survivor_of(key, kept)
    shares = {}
    for entry in key["defects"]:
        judge = JUDGES.get(entry["kind"])
        if judge is None:
            continue  # missing values stay missing; label noise and the leak are not the cleaning's job
        good = judge(entry, clean, kept, survivor)
        if good:
            name = f"{entry['kind']}:{entry['column']}" if entry["kind"] in CELL_KINDS else entry["kind"]
            shares[name] = sum(good) / len(good)
    return shares


def _exact_duplicates(entry, clean, kept, survivor) -> list[bool]:
    # identical rows: which of the two stays cannot matter, exactly one must
    return [
        (row in kept) != (source in kept)
        for row, source in zip(entry["rows"], entry["source_rows"], strict=True)
    ]


def _near_duplicates(entry, clean, kept, survivor) -> list[bool]:
    # the source is the original record; the copy is the one re-typed (other case, a rounded number)
    return [
        row not in kept and source in kept
        for row, source in zip(entry["rows"], entry["source_rows"], strict=True)
    ]


def _id_collisions(entry, clean, kept, survivor) -> list[bool]:
    # two different records share an id: both must stay, with different ids
    column, good = entry["column"], []
    for row, source in zip(entry["rows"], entry["source_rows"], strict=True):
        if row not in kept and survivor(row) is not None:
            continue  # a dropped duplicate copy: its record is judged through the copy that was kept
        other = survivor(source)
        good.append(row in kept and other is not None and clean.at[row, column] != clean.at[other, column])
    return good


def _cells(entry, clean, kept, survivor) -> list[bool]:
    # the cell holds its original value again (or is missing, where that is a right fix)
    import pandas as pd

    kind, column, good = entry["kind"], entry["column"], []
    for row, original in zip(entry["rows"], entry["original"], strict=True):
        if row not in kept:
            if survivor(row) is None:
                good.append(False)  # the record was dropped, not fixed
            continue
        if column not in clean.columns:
            good.append(False)  # the column was dropped
            continue
        value = clean.at[row, column]
        right = (
            _unit_fixed(value, original, entry["params"]) if kind == "unit_mixup" else _same(value, original)
        )
        good.append(right or (kind in MISSING_IS_RIGHT and pd.isna(value)))
    return good


JUDGES = dict(
    exact_duplicate=_exact_duplicates,
    near_duplicate=_near_duplicates,
    id_collision=_id_collisions,
    **{kind: _cells for kind in CELL_KINDS},
)


def lost_records(key: dict, raw, clean) -> int:
    """Records dropped with every copy of them: rows the model will never see."""
    survivor = survivor_of(key, set(clean.index))
    return sum(1 for row in raw.index if survivor(row) is None)


def numbers_as_text(frame, share: float = 0.9) -> list[str]:
    """Text columns whose values are nearly all numbers (at least `share` of the filled cells)."""
    import pandas as pd

    found = []
    for column in frame.columns:
        values = frame[column].dropna()
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or values.empty:
            continue
        parsed = pd.to_numeric(values.astype("str").str.strip(), errors="coerce")
        if parsed.notna().mean() >= share:
            found.append(column)
    return found
