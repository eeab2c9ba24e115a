"""What every pipeline stage needs to know about the dataset: target, task and column roles.

For a built-in domain the roles come from the feed's domain definition. For custom_csv they come
from params.yaml (data.custom_csv: ids, dates, text; drop columns are gone since ingest), and a
column in no role gets its kind from the raw file: numbers are numeric, short text is categorical,
text with many distinct values is free text.

Later stages read the roles here: `schema.ids` (kept out of the model and the service contract),
`schema.dates`, `schema.text`, and `schema.feature_columns` (what the model takes).
"""

from dataclasses import dataclass, field
from pathlib import Path

from capstone.config import Params

RAW_DATA = Path("data/raw/batch.csv")
# A text column with at most this many distinct values is treated as a category.
MAX_CATEGORIES = 50


@dataclass(frozen=True)
class DatasetSchema:
    target: str
    task: str  # "binary", "multiclass" or "regression"
    id_column: str | None = None  # the first of `ids`
    ids: tuple[str, ...] = ()  # identifier columns: neither a feature nor in the service contract
    leaky_columns: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def is_classification(self) -> bool:
        return self.task in ("binary", "multiclass")

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """Every column a model may use: not the target, an id or a leaky column."""
        return self.numeric + self.categorical + self.dates + self.text


def load_schema(params: Params, root: Path = Path(".")) -> DatasetSchema:
    if params.data.dataset == "custom_csv":
        return _custom_schema(params, root)
    return _domain_schema(params.data.dataset)


def _domain_schema(name: str) -> DatasetSchema:
    from capstone.feed import get_domain

    domain = get_domain(name)
    roles: dict[str, list[str]] = {"int": [], "float": [], "category": [], "date": [], "text": []}
    for column in domain.columns:
        if column.name == domain.leaky_column or column.kind in ("id", "target"):
            continue
        roles[column.kind].append(column.name)
    return DatasetSchema(
        target=domain.target,
        task=domain.task,
        id_column=domain.id_column,
        ids=(domain.id_column,) if domain.id_column else (),
        leaky_columns=(domain.leaky_column,),
        numeric=tuple(roles["int"] + roles["float"]),
        categorical=tuple(roles["category"]),
        dates=tuple(roles["date"]),
        text=tuple(roles["text"]),
    )


def _custom_schema(params: Params, root: Path) -> DatasetSchema:
    from capstone.config import custom_csv_settings
    from capstone.feed import load_custom_csv

    settings = custom_csv_settings(params)
    roles = settings.roles()
    raw = root / RAW_DATA
    if raw.exists():  # as ingest wrote it: without the drop columns, its dates written as ISO already
        source, reading = raw, {**roles, "drop": [], "dates": []}
    else:
        source, reading = settings.path, roles
    loaded = load_custom_csv(source, settings.target, settings.task or None, root=root, roles=reading)
    not_inferred = [loaded.target, *roles["ids"], *roles["dates"], *roles["text"], *roles["drop"]]
    frame = loaded.frame.drop(columns=not_inferred, errors="ignore")
    numeric = tuple(frame.select_dtypes("number").columns)
    others = [name for name in frame.columns if name not in numeric]
    categorical = tuple(name for name in others if frame[name].nunique() <= MAX_CATEGORIES)
    text = tuple(name for name in others if name not in categorical)
    return DatasetSchema(
        target=loaded.target,
        task=loaded.task,
        id_column=roles["ids"][0] if roles["ids"] else None,
        ids=tuple(roles["ids"]),
        numeric=numeric,
        categorical=categorical,
        dates=tuple(roles["dates"]),
        text=(*roles["text"], *text),
    )
