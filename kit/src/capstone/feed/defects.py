"""The defect catalogue, the injection of defects into a clean batch, and their answer key.

Each domain lists its defects as DefectSpec entries (domains/*.py): a kind from KINDS, the column,
the declared rate (the share of delivered rows that carry it) and a one-line description.
`inject` puts them into a clean table and returns one answer-key entry per spec, saying exactly
which rows carry the defect and what the value was before (see README.md, "The answer key").
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from capstone.feed import dates
from capstone.feed.schema import Domain, Table, json_values

# The kinds of defect, in the order they are injected, with a one-line description each.
KINDS = {
    "exact_duplicate": "a row delivered twice, identical in every column",
    "near_duplicate": "a row delivered twice with small differences (text case or spacing, a rounded number)",
    "id_collision": "two different records share one id",
    "unit_mixup": "one source system sends a column in another unit (cents for dollars, years for months)",
    "missing_dependent": "values missing more often for one kind of row (depends on another column)",
    "missing_random": "values missing completely at random",
    "category_variant": "a category spelled differently: other case, stray spaces, or a synonym",
    "impossible_value": "a value that cannot be true, such as a negative age or area",
    "sentinel": "a placeholder number that means 'unknown' (999, 0)",
    "mixed_date_format": "a date written in another format than the rest of the column",
    "outlier": "an extreme value, 10 to 40 times the usual size",
    "label_noise": "the recorded outcome is wrong",
    "leaky_column": "a column recorded after the outcome, so it gives the answer away",
}
ROW_KINDS = ("exact_duplicate", "near_duplicate")


@dataclass(frozen=True)
class DefectSpec:
    kind: str
    column: str | None  # None for whole-row defects (duplicates)
    rate: float  # the declared share of delivered rows that carry this defect
    description: str
    params: dict = field(default_factory=dict)  # kind-specific settings; copied into the answer key
    # missing_dependent only: the weight of each row (a row with weight 10 is 10x as likely to lose its value)
    weights: Callable[[Table], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"defect on {self.column}: unknown kind {self.kind!r}")


def catalogue(domain: Domain) -> list[dict]:
    """The domain's defects as rows for a table or JSON: kind, column, rate, description."""
    return [
        dict(kind=spec.kind, column=spec.column, rate=spec.rate, description=spec.description)
        for spec in sorted(domain.defects, key=lambda spec: list(KINDS).index(spec.kind))
    ]


def leak_entry(domain: Domain) -> dict:
    """The answer-key entry for the leaky column (also present in a batch without defects)."""
    spec = next(spec for spec in domain.defects if spec.kind == "leaky_column")
    return _entry(spec, rows=None)


def inject(table: Table, domain: Domain, rng: np.random.Generator) -> tuple[Table, list[dict]]:
    """Inject every defect of the domain's catalogue into `table` (in place, to save memory).

    Returns the table and the answer-key entries.
    """
    n = len(table[domain.id_column])
    # taken[column][row] is True once a cell carries a defect, so two defects never share a cell
    # and the answer key can say exactly what happened to every cell.
    taken = {name: np.zeros(n, dtype=bool) for name in table}
    specs = sorted(domain.defects, key=lambda spec: list(KINDS).index(spec.kind))

    # Duplicates are chosen first and copied last: the copy then carries exactly the defects of its
    # source row, and no other defect is placed on a row that is about to be overwritten.
    duplicate = np.zeros(n, dtype=bool)
    plans = []
    for spec in specs:
        if spec.kind in ROW_KINDS:
            rows = pick(rng, ~duplicate, round(spec.rate * n))
            duplicate[rows] = True
            plans.append((spec, rows))
    copies = []
    for spec, rows in plans:
        sources = pick(rng, ~duplicate, len(rows))
        order = rng.permutation(len(rows))  # pair the copies with random sources, not in row order
        copies.append((spec, rows, sources[order]))
        if spec.kind == "near_duplicate":
            # keep the source's perturbed columns clean, so the near duplicate always differs from it
            for column in spec.params["changed_columns"]:
                taken[column][sources] = True

    entries = []
    for spec in specs:
        if spec.kind in ROW_KINDS:
            continue
        inject_one = INJECTORS[spec.kind]
        entries.append(inject_one(table, spec, domain, rng, duplicate, taken))

    for spec, rows, sources in copies:
        for values in table.values():
            values[rows] = values[sources]
        if spec.kind == "near_duplicate":
            _perturb(table, spec, rows, rng)
        entries = [_inherit(entry, rows, sources, n) for entry in entries]
        entries.append(_entry(spec, rows=rows, source_rows=sources))
    return table, entries


# --- choosing rows -----------------------------------------------------------------------------


def pick(rng: np.random.Generator, eligible: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """k distinct row positions among the eligible ones, sorted; rows with a larger weight are likelier."""
    k = min(int(k), int(eligible.sum()))
    if k <= 0:
        return np.array([], dtype=np.int64)
    keys = 1.0 - rng.random(len(eligible))  # in (0, 1]
    if weights is not None:
        # Efraimidis-Spirakis: the k largest u ** (1 / w) are a weighted sample without replacement,
        # in one vectorised pass instead of k draws.
        keys = np.log(keys) / weights
    keys = np.where(eligible, keys, -np.inf)
    return np.sort(np.argpartition(keys, len(keys) - k)[len(keys) - k :]).astype(np.int64)


def _free(spec: DefectSpec, duplicate: np.ndarray, taken: dict[str, np.ndarray]) -> np.ndarray:
    return ~duplicate & ~taken[spec.column]


def _count(spec: DefectSpec, n: int) -> int:
    return round(spec.rate * n)


# --- one function per kind of defect -------------------------------------------------------------
# Each takes (table, spec, domain, rng, duplicate, taken), changes the table in place, marks the
# cells it used in `taken`, and returns the answer-key entry.


def _id_collision(table, spec, domain, rng, duplicate, taken):
    ids = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(ids)))
    taken[spec.column][rows] = True
    # the id each row receives belongs to another, untouched record
    sources = pick(rng, _free(spec, duplicate, taken), len(rows))[rng.permutation(len(rows))]
    taken[spec.column][sources] = True
    original = ids[rows].copy()
    ids[rows] = ids[sources]
    return _entry(spec, rows=rows, original=json_values(original, domain.column(spec.column)), source_rows=sources)


def _unit_mixup(table, spec, domain, rng, duplicate, taken):
    source_column, source = spec.params["source_column"], spec.params["source"]
    values = table[spec.column]
    if "multiply_by" in spec.params:
        converted = np.round(values * spec.params["multiply_by"], 6)
    else:
        converted = np.floor(values / spec.params["divide_by"])
    # every row of the source system, except zeros: a zero is the same in any unit
    rows = np.flatnonzero((table[source_column] == source) & _free(spec, duplicate, taken) & (converted != values))
    original = values[rows].copy()
    values[rows] = converted[rows]
    return _cell_entry(table, spec, domain, rows, original, taken)


def _missing_dependent(table, spec, domain, rng, duplicate, taken):
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(duplicate)), spec.weights(table))
    return _set_missing(table, spec, domain, rows, taken)


def _missing_random(table, spec, domain, rng, duplicate, taken):
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(duplicate)))
    return _set_missing(table, spec, domain, rows, taken)


def _set_missing(table, spec, domain, rows, taken):
    values = table[spec.column]
    original = values[rows].copy()
    values[rows] = np.nan if values.dtype.kind == "f" else None
    return _cell_entry(table, spec, domain, rows, original, taken)


def _category_variant(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(values)))
    original = values[rows].copy()
    synonyms = spec.params.get("synonyms", dict())
    styles = rng.integers(0, 5, len(rows))
    choices = rng.integers(0, 1_000_000, len(rows))
    values[rows] = [
        _variant(value, style, choice, synonyms.get(value, []))
        for value, style, choice in zip(original, styles, choices, strict=True)
    ]
    return _cell_entry(table, spec, domain, rows, original, taken)


def _variant(value: str, style: int, choice: int, synonyms: list[str]) -> str:
    """Another spelling of a category value: a synonym, other case, or stray spaces."""
    if style <= 1 and synonyms:
        return synonyms[choice % len(synonyms)]
    candidates = [value.lower(), value.upper(), " " + value, value + " ", value.replace(" ", "  ")]
    candidates = [candidate for candidate in candidates if candidate != value]
    return candidates[choice % len(candidates)]


def _impossible_value(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(values)))
    original = values[rows].copy()
    values[rows] = -np.abs(original) - 1 * (original == 0)  # negative, never zero
    return _cell_entry(table, spec, domain, rows, original, taken)


def _sentinel(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(values)))
    original = values[rows].copy()
    values[rows] = spec.params["value"]
    return _cell_entry(table, spec, domain, rows, original, taken)


def _mixed_date_format(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(values)))
    original = values[rows].copy()
    formats = spec.params["formats"]
    which = rng.integers(0, len(formats), len(rows))
    parsed = dates.parse_iso(original)
    for index, fmt in enumerate(formats):
        chosen = which == index
        values[rows[chosen]] = dates.format_dates(parsed[chosen], fmt)
    return _cell_entry(table, spec, domain, rows, original, taken)


def _outlier(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken) & (values > 0), _count(spec, len(values)))
    original = values[rows].copy()
    factors = rng.uniform(spec.params["min_factor"], spec.params["max_factor"], len(rows))
    values[rows] = np.round(original * factors, domain.column(spec.column).decimals)
    return _cell_entry(table, spec, domain, rows, original, taken)


def _label_noise(table, spec, domain, rng, duplicate, taken):
    values = table[spec.column]
    rows = pick(rng, _free(spec, duplicate, taken), _count(spec, len(values)))
    original = values[rows].copy()
    if domain.task == "regression":
        # a price recorded far too high or far too low (a typo, a wrong property)
        high = rng.random(len(rows)) < 0.5
        factors = np.where(high, rng.uniform(1.6, 2.5, len(rows)), rng.uniform(0.35, 0.6, len(rows)))
        # rounded like the real values (house prices are whole hundreds), so the size is the only tell
        values[rows] = np.round(original * factors, spec.params.get("decimals", 0))
    else:
        values[rows] = 1 - original
    return _cell_entry(table, spec, domain, rows, original, taken)


def _leaky_column(table, spec, domain, rng, duplicate, taken):
    return _entry(spec, rows=None)  # the domain's generator already wrote the column


INJECTORS = dict(
    id_collision=_id_collision,
    unit_mixup=_unit_mixup,
    missing_dependent=_missing_dependent,
    missing_random=_missing_random,
    category_variant=_category_variant,
    impossible_value=_impossible_value,
    sentinel=_sentinel,
    mixed_date_format=_mixed_date_format,
    outlier=_outlier,
    label_noise=_label_noise,
    leaky_column=_leaky_column,
)


# --- duplicates ----------------------------------------------------------------------------------


def _perturb(table: Table, spec: DefectSpec, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Make near duplicates differ a little from their source: text case or spacing, a rounded number."""
    text_column, number_column = spec.params["changed_columns"]
    texts = table[text_column]
    styles = rng.integers(0, 3, len(rows))
    texts[rows] = [_retype(text, style) for text, style in zip(texts[rows], styles, strict=True)]
    table[number_column][rows] = np.round(table[number_column][rows])


def _retype(text: str, style: int) -> str:
    """The same text as someone typing it again: other case, an extra space, no final full stop."""
    changed = [text.lower(), text.rstrip(".") + " ", text.replace(" ", "  ", 1)][style]
    return changed if changed != text else text + " "


def _inherit(entry: dict, rows: np.ndarray, sources: np.ndarray, n: int) -> dict:
    """A copied row inherits the defects of its source row: add the copies to the entry."""
    if entry["rows"] is None or len(rows) == 0:
        return entry
    position = np.full(n, -1, dtype=np.int64)  # position[row] = index of row in entry["rows"], or -1
    position[entry["rows"]] = np.arange(len(entry["rows"]))
    hit = position[sources] >= 0
    if not hit.any():
        return entry
    where = position[sources[hit]]
    new_rows = np.concatenate([entry["rows"], rows[hit]])
    order = np.argsort(new_rows, kind="stable")
    entry = dict(entry, rows=new_rows[order])
    for name in ("original", "source_rows"):
        if entry[name] is not None:
            values = list(entry[name]) + [entry[name][i] for i in where]
            entry[name] = [values[i] for i in order]
    return entry


# --- answer-key entries --------------------------------------------------------------------------


def _cell_entry(table, spec, domain, rows, original, taken) -> dict:
    taken[spec.column][rows] = True
    return _entry(spec, rows=rows, original=json_values(original, domain.column(spec.column)))


def _entry(spec: DefectSpec, rows, original=None, source_rows=None) -> dict:
    """One answer-key entry; `rows` are 0-based positions of data rows in the delivered file."""
    return dict(
        kind=spec.kind,
        column=spec.column,
        rate=spec.rate,
        description=spec.description,
        params=dict(spec.params),
        rows=None if rows is None else np.asarray(rows, dtype=np.int64),
        original=original,
        source_rows=None if source_rows is None else [int(row) for row in source_rows],
    )


def finish(entries: list[dict]) -> list[dict]:
    """Entries as plain JSON values, with the observed count beside the declared rate."""
    out = []
    for entry in entries:
        rows = entry["rows"]
        out.append(dict(entry, rows=None if rows is None else rows.tolist(), count=None if rows is None else len(rows)))
    return out
