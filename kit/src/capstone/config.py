"""Load and validate the two configuration files: params.yaml and capstone.yaml.

pydantic checks the shape, so a typo in either file gives an error that names the bad key
instead of a KeyError deep inside the pipeline.
"""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


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


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1, le=5)
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
    # The team's functions the kit calls (capstone.hooks): hook name -> "<module>:<function>".
    hooks: dict[str, str] = Field(default_factory=dict)
    stages: list[Stage] = Field(min_length=5, max_length=5)

    @model_validator(mode="after")
    def _stages_in_order_and_ids_unique(self) -> "CapstoneSpec":
        numbers = [stage.number for stage in self.stages]
        if numbers != [1, 2, 3, 4, 5]:
            raise ValueError(f"the stages must be numbered 1 to 5 in order, found {numbers}")
        ids = [gate.id for gate in self.every_stage] + [gate.id for stage in self.stages for gate in stage.gates]
        repeated = sorted({gate_id for gate_id in ids if ids.count(gate_id) > 1})
        if repeated:
            raise ValueError(f"gate ids must be unique, repeated: {repeated}")
        return self

    def stage(self, key: str | int) -> Stage:
        """A stage by number (1-5, also as text) or key ("data", ...)."""
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


def _validate(model: type[BaseModel], path: Path) -> BaseModel:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(f"{path.name}: {where}: {first['msg']}") from None


def load_params(root: Path) -> Params:
    return _validate(Params, root / "params.yaml")


def load_spec(root: Path) -> CapstoneSpec:
    return _validate(CapstoneSpec, root / "capstone.yaml")


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards that holds capstone.yaml."""
    start = (start or Path.cwd()).resolve()
    for folder in [start, *start.parents]:
        if (folder / "capstone.yaml").is_file():
            return folder
    raise ConfigError(f"no capstone.yaml in {start} or above; run this inside the team repository.")
