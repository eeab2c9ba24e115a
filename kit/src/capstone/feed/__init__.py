"""The simulated company data feed: domain generators, the defect catalogue, drift, and the defect battery.

Public API (what the pipeline and the checkpoints call):

    generate_batch(domain: str, rows: int, seed: int = 42, batch: int = 1, *, defects: bool = True,
                   unlabelled: bool = False) -> tuple[pandas.DataFrame, dict]
        Batch `batch` of a built-in domain ("churn", "credit_default", "house_prices") and its answer
        key. Same arguments, same data. defects=False gives the clean version of the same rows;
        unlabelled=True the same rows with the target empty (labels arrive a delivery later).

    labels_for(domain: str, rows: int, seed: int = 42, batch: int = 1, *, defects: bool = True)
        -> pandas.DataFrame
        The delayed labels of that batch: its id and target columns, one row per record, to join
        on the id (labels.py says how duplicates and id collisions are handled).

    write_batch(frame, key, out: str | Path, progress=None) -> tuple[Path, Path]
        Write the data (CSV or Parquet, by the extension of `out`) and the answer key beside it as
        <stem>.defects.json. Returns (data path, key path).

    load_custom_csv(path: str | Path, target: str, task: str | None = None, root: Path | None = None)
        -> CustomData(frame, target, task, task_inferred, note)
        Bring your own CSV: read and check the team's file (a path or an http(s) URL); infer the task
        when it is not given; `note` is the one line to print.

    make_battery(frame, out_dir, *, rows=5000, seed=0, suffix=".csv", protect=(), source="") -> dict
        The generic defect battery: one corrupted file per kind plus manifest.json; returns the manifest.

    catalogue(domain) -> list[dict]      a Domain's defects: kind, column, rate, description
    DOMAINS: dict[str, Domain]           the built-in domains (columns, target, task, defects, drift)
    get_domain(name) -> Domain
    FeedError                            every user-fixable problem; the message is one line

Command line: `capstone data generate|defects|battery` (cli.py); `generate --unlabelled` and
`generate --labels-for K` deliver a batch and, later, its labels. Documentation for mentors,
including the answer-key format: README.md in this folder.
"""

import importlib

# Why lazy: importing pandas takes about two seconds, and `capstone --help` should not pay for it.
# `from capstone.feed import generate_batch` still works; the module loads on first use.
_EXPORTS = dict(
    generate_batch="capstone.feed.generate",
    write_batch="capstone.feed.generate",
    labels_for="capstone.feed.labels",
    load_custom_csv="capstone.feed.custom_csv",
    CustomData="capstone.feed.custom_csv",
    make_battery="capstone.feed.battery",
    catalogue="capstone.feed.defects",
    DOMAINS="capstone.feed.domains",
    get_domain="capstone.feed.domains",
    FeedError="capstone.feed.errors",
)
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'capstone.feed' has no attribute {name!r}")
