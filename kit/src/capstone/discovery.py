"""Stage 1's discovery: the team's data-issues register, and who may see the feed's answer key.

The register, reports/data-issues.yaml, is what the team found by exploring the raw data before
cleaning it: one finding per problem, each with a column (none for whole-row problems such as
duplicates), a kind from the feed's vocabulary (capstone.feed.defects.KINDS), evidence (how many
rows, an example value) and the planned fix:

    findings:
      - column: age
        kind: impossible_value
        count: 41
        example: "-3"
        evidence: 41 ages below zero, all from the web source system
        fix: set them to missing; the feature pipeline imputes

The answer key (capstone.yaml `answer_key`) is the mentors' while the team discovers: `hidden` keeps it
theirs, `after_stage_1` (the default) opens it to the team once stage 1's checkpoint has passed
(reports/checkpoint-1.json), `open` shows it from the start. It is a course rule, not a secret: the kit
is open source and the feed deterministic, so the register's evidence is what a mentor reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from capstone.config import ConfigError
from capstone.feed.defects import KINDS as DEFECT_KINDS
from capstone.feed.defects import ROW_KINDS

REGISTER = Path("reports/data-issues.yaml")
CHECKPOINT_1 = Path("reports/checkpoint-1.json")
# The feed's vocabulary of defects (capstone.feed.defects), one source for the feed and the register.
KINDS = tuple(DEFECT_KINDS)
Kind = Literal[KINDS]


class Finding(BaseModel):
    """One problem the team found in the raw data."""

    model_config = ConfigDict(extra="forbid")
    column: str | None = None
    kind: Kind
    evidence: str = Field(min_length=3)
    fix: str = Field(min_length=3)
    count: int | None = Field(default=None, ge=0)
    example: str | int | float | None = None


class DataIssues(BaseModel):
    """reports/data-issues.yaml."""

    model_config = ConfigDict(extra="forbid")
    findings: list[Finding] = Field(default_factory=list)

    def found(self) -> set[tuple[str | None, str]]:
        """(column, kind) of every finding; whole-row kinds without a column."""
        return {(None if f.kind in ROW_KINDS else f.column, f.kind) for f in self.findings}


def load_register(root: Path) -> DataIssues:
    """The team's register; a ConfigError names the file, the finding and the field when it is wrong."""
    path = root / REGISTER
    if not path.is_file():
        raise ConfigError(f"{REGISTER} is missing: write what you found in the raw data there (docs/stages/1-data.md)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        reason = getattr(problem, "problem", None) or str(problem).splitlines()[0]
        raise ConfigError(f"{REGISTER} is not valid YAML{where}: {reason}; quote a text that holds ': '") from None
    try:
        return DataIssues.model_validate(data)
    except ValidationError as problem:
        errors = problem.errors()
        said = [_said(error) for error in errors]
        more = f"; and {len(said) - SHOWN} more" if len(said) > SHOWN else ""
        hints = []
        if any(error["type"] in ("missing", "extra_forbidden") for error in errors):
            hints.append(REQUIRED)
        if any(error["loc"][-1] == "kind" for error in errors):
            hints.append(f"the kinds: {', '.join(KINDS)}")
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise ConfigError(f"{REGISTER}: {'; '.join(said[:SHOWN])}{more}{hint}") from None


SHOWN = 5  # the register's problems named at once
REQUIRED = "kind, evidence and fix are required; column (except for whole rows), count and example are optional"


def _said(error: dict) -> str:
    """One problem of the register in a student's words: the finding's number counts from 1."""
    where = list(error["loc"])
    if len(where) >= 2 and where[0] == "findings" and isinstance(where[1], int):
        place = f"finding {where[1] + 1}" + (f", {where[2]}" if len(where) > 2 else "")
    else:
        place = ".".join(str(part) for part in where) or "the file"
    if error["type"] == "missing":
        return f"{place} is missing"
    if error["type"] == "extra_forbidden":
        return f"{place} is not a field"
    if where[-1:] == ["kind"]:
        return f"{place}: {error.get('input')!r} is not a kind"
    return f"{place}: {error['msg']} (got {error.get('input')!r})"


def answer_key_open(root: Path, policy: str) -> bool:
    """Whether the team may see the feed's answer key now, under capstone.yaml's `answer_key` policy."""
    if policy == "open":
        return True
    if policy == "hidden":
        return False
    try:
        return bool(json.loads((root / CHECKPOINT_1).read_text(encoding="utf-8")).get("passed"))
    except (OSError, ValueError, AttributeError):
        return False
