"""Load and validate the two configuration files: params.yaml and capstone.yaml.

pydantic checks the shape, so a typo in either file gives an error that names the bad key
instead of a KeyError deep inside the pipeline.
"""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message names the file and the key."""


# --- params.yaml -------------------------------------------------------------------------------


class ProjectParams(BaseModel):
    name: str
    slug: str
    package: str
    scaffold: Literal["skeleton", "reference"]


class DataParams(BaseModel):
    # Later stages add their own keys (feed, custom_csv, ...), so unknown keys are allowed here.
    model_config = ConfigDict(extra="allow")
    dataset: Literal["churn", "credit_default", "house_prices", "custom_csv"]


ROLES = ("ids", "dates", "text", "drop")


class CustomCsvParams(BaseModel):
    """data.custom_csv: the team's own file, its target and the roles of its other columns.

    A column named in no role gets its kind from the data (numbers are numeric, short text is a
    category, long text is free text); `capstone data profile` suggests the roles.
    """

    model_config = ConfigDict(extra="forbid")
    path: str = ""
    target: str = ""
    task: str | None = ""  # binary, multiclass or regression; empty: inferred (capstone.feed.custom_csv)
    ids: list[str] = Field(default_factory=list)  # kept out of the model and the service contract
    dates: list[str] = Field(default_factory=list)  # parsed as dates
    text: list[str] = Field(default_factory=list)  # free text
    drop: list[str] = Field(default_factory=list)  # dropped at ingest
    # At most this many rows, a fixed sample (the CI checkpoint sets CAPSTONE_CI_ROWS); empty: every row.
    max_rows: int | None = Field(default=None, gt=0)

    @field_validator(*ROLES, mode="before")
    @classmethod
    def _a_list_of_names(cls, value: object) -> object:
        # `ids:` left empty is None in YAML, and one column may be given without brackets.
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator(*ROLES)
    @classmethod
    def _no_repeats(cls, names: list[str]) -> list[str]:
        names = [name for name in names if name.strip()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"names {repeated[0]!r} twice")
        return names

    @model_validator(mode="after")
    def _one_role_per_column(self) -> "CustomCsvParams":
        seen: dict[str, str] = {}
        for role in ROLES:
            for name in getattr(self, role):
                if name == self.target:
                    raise ValueError(f"{role} names the target {name!r}; the target has no other role")
                if name in seen:
                    raise ValueError(f"column {name!r} is in both {seen[name]} and {role}; give it one role")
                seen[name] = role
        return self

    def roles(self) -> dict[str, list[str]]:
        """{"ids": [...], "dates": [...], "text": [...], "drop": [...]}, for load_custom_csv."""
        return {role: list(getattr(self, role)) for role in ROLES}


class MlflowParams(BaseModel):
    tracking_uri: str
    artifact_root: str
    experiment: str
    registered_model: str


class Params(BaseModel):
    # Each pipeline stage adds its own section, so unknown sections are allowed.
    model_config = ConfigDict(extra="allow")
    project: ProjectParams
    data: DataParams
    mlflow: MlflowParams


# --- capstone.yaml -----------------------------------------------------------------------------


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    check: str
    kind: Literal["auto", "mentor"]
    blocking: bool
    thresholds: dict[str, float | int | str] = Field(default_factory=dict)


# Five stages, or six with operations (a repository baked before stage 6 keeps its five).
MIN_STAGES, MAX_STAGES = 5, 6


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1, le=MAX_STAGES)
    key: str
    title: str
    brief: str
    gates: list[Gate]
    mentor_checklist: list[str] = Field(default_factory=list)


class CapstoneSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    project: str
    dataset: str
    # Gates every stage's checkpoint runs too (the integrity of the mentor-owned files).
    every_stage: list[Gate] = Field(default_factory=list)
    # Who sees the feed's answer key (its defects, column by column): the mentors only (hidden), the
    # team too once stage 1's checkpoint passed (after_stage_1: discovery first), or everyone (open).
    answer_key: Literal["hidden", "after_stage_1", "open"] = "after_stage_1"
    # The team's functions the kit calls (capstone.hooks): hook name -> "<module>:<function>".
    hooks: dict[str, str] = Field(default_factory=dict)
    stages: list[Stage] = Field(min_length=MIN_STAGES, max_length=MAX_STAGES)

    @model_validator(mode="after")
    def _stages_in_order_and_ids_unique(self) -> "CapstoneSpec":
        numbers = [stage.number for stage in self.stages]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"the stages must be numbered 1 to {len(numbers)} in order, found {numbers}")
        ids = [gate.id for gate in self.every_stage] + [gate.id for stage in self.stages for gate in stage.gates]
        repeated = sorted({gate_id for gate_id in ids if ids.count(gate_id) > 1})
        if repeated:
            raise ValueError(f"gate ids must be unique, repeated: {repeated}")
        return self

    def graded(self, stage: Stage) -> list[tuple[Gate, Stage]]:
        """The gates `stage`'s checkpoint runs, each with the stage it belongs to.

        Grading adds up: every stage's gates, then the blocking automatic gates of the stages before
        it (one that fails now is a regression, and fails this checkpoint too), then its own.
        """
        pairs = [(gate, stage) for gate in self.every_stage]
        for earlier in self.stages[: stage.number - 1]:
            pairs += [(gate, earlier) for gate in earlier.gates if gate.kind == "auto" and gate.blocking]
        return pairs + [(gate, stage) for gate in stage.gates]

    def stage(self, key: str | int) -> Stage:
        """A stage by number (1-6, also as text) or key ("data", ...)."""
        for stage in self.stages:
            if str(key) in (str(stage.number), stage.key):
                return stage
        known = ", ".join(f"{stage.number} ({stage.key})" for stage in self.stages)
        raise ConfigError(f"no stage {key!r} in capstone.yaml; the stages are {known}, or 'all'")


# --- loading -----------------------------------------------------------------------------------


def _read_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigError(f"{path.name} not found in {path.parent}; run this from the repository root.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as problem:
        raise ConfigError(f"{path.name} is not valid YAML: {problem}") from None


def _validate(model: type[BaseModel], path: Path, data: object = None, where: tuple = ()) -> BaseModel:
    try:
        return model.model_validate(_read_yaml(path) if data is None else data)
    except ValidationError as problem:
        first = problem.errors()[0]
        place = ".".join(str(part) for part in (*where, *first["loc"])) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden" and len(first["loc"]) == 1:  # a typo in a key of this model
            message = f"unknown key; the keys here are {', '.join(model.model_fields)}"
        raise ConfigError(f"{path.name}: {place}: {message}") from None


def load_params(root: Path) -> Params:
    params = _validate(Params, root / "params.yaml")
    extra = params.data.model_extra
    if extra is not None and params.data.dataset == "custom_csv" and isinstance(extra.get("custom_csv"), dict):
        # Checked here, so a typo in a role is reported before any stage runs; kept as a plain
        # dict (with every role filled in) for the stages that read params.data.model_extra.
        section = _validate(CustomCsvParams, root / "params.yaml", extra["custom_csv"], ("data", "custom_csv"))
        extra["custom_csv"] = section.model_dump()
    return params


def custom_csv_settings(params: Params) -> CustomCsvParams:
    """data.custom_csv of params.yaml, checked; ConfigError when it is missing or wrong."""
    section = (params.data.model_extra or {}).get("custom_csv")
    if not isinstance(section, dict):
        raise ConfigError("params.yaml has no data.custom_csv section; add it (see the template's params.yaml).")
    return _validate(CustomCsvParams, Path("params.yaml"), section, ("data", "custom_csv"))


def load_spec(root: Path) -> CapstoneSpec:
    return _validate(CapstoneSpec, root / "capstone.yaml")


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards that holds capstone.yaml."""
    start = (start or Path.cwd()).resolve()
    for folder in [start, *start.parents]:
        if (folder / "capstone.yaml").is_file():
            return folder
    raise ConfigError(f"no capstone.yaml in {start} or above; run this inside the team repository.")
