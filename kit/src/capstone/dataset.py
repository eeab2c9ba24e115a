"""What every pipeline stage needs to know about the dataset: target, task and column roles.

For a built-in domain the roles come from the feed's domain definition; for custom_csv they are
inferred from the raw file (numbers are numeric, short text columns are categorical).
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
    id_column: str | None = None
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
        """Every column a model may use: not the target, the id or a leaky column."""
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
        leaky_columns=(domain.leaky_column,),
        numeric=tuple(roles["int"] + roles["float"]),
        categorical=tuple(roles["category"]),
        dates=tuple(roles["date"]),
        text=tuple(roles["text"]),
    )


def _custom_schema(params: Params, root: Path) -> DatasetSchema:
    from capstone.feed import load_custom_csv

    settings = params.data.model_extra["custom_csv"]
    raw = root / RAW_DATA
    source = raw if raw.exists() else settings["path"]
    loaded = load_custom_csv(source, settings["target"], settings.get("task") or None, root=root)
    frame = loaded.frame.drop(columns=[loaded.target])
    numeric = tuple(frame.select_dtypes("number").columns)
    others = [name for name in frame.columns if name not in numeric]
    categorical = tuple(name for name in others if frame[name].nunique() <= MAX_CATEGORIES)
    text = tuple(name for name in others if name not in categorical)
    return DatasetSchema(target=loaded.target, task=loaded.task, numeric=numeric, categorical=categorical, text=text)
