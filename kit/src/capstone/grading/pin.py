"""Which capstone-kit the team's files ask for, to flag a team that pins another kit than the course's.

The grader never installs what these files say (it is the course's kit, installed by the course's
workflow); it only reads them, to tell the mentor when they differ.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*capstone-kit\s*==\s*([^\s;,]+)", re.IGNORECASE)


@dataclass(frozen=True)
class KitPin:
    version: str  # what pyproject.toml requires ("" when it does not pin one)
    locked: str  # what uv.lock resolved ("" without a lock)
    source: str  # where uv.lock (or [tool.uv.sources]) takes it from

    def mismatch(self, version: str, source: str = "") -> str:
        """One line naming what differs from the grader (version, source), or ""."""
        found = []
        for name, pinned in (("pyproject.toml", self.version), ("uv.lock", self.locked)):
            if pinned and pinned != version:
                found.append(f"{name} pins capstone-kit {pinned}")
        if source and self.source and _repository(self.source) != _repository(source):
            found.append(f"the team's files take capstone-kit from {self.source}")
        if not found:
            return ""
        return "; ".join(found) + f": this checkpoint was graded by the course's capstone-kit {version} all the same"


def read_pin(root: Path) -> KitPin:
    """The kit the team's pyproject.toml and uv.lock name (empty fields for what they do not say)."""
    version = source = locked = ""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    for requirement in project.get("project", {}).get("dependencies", []):
        match = REQUIREMENT.match(str(requirement))
        if match:
            version = match.group(1)
    declared = project.get("tool", {}).get("uv", {}).get("sources", {}).get("capstone-kit", {})
    if isinstance(declared, dict):
        source = str(declared.get("git") or declared.get("index") or declared.get("path") or "")
    try:
        lock = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        lock = {}
    for package in lock.get("package", []):
        if package.get("name") == "capstone-kit":
            locked = str(package.get("version", ""))
            where = package.get("source", {})
            source = str(where.get("git") or where.get("registry") or where.get("editable") or source)
    return KitPin(version, locked, source)


def _repository(source: str) -> str:
    """A source without revision or subdirectory: git+https://host/org/repo?subdirectory=kit#sha -> host/org/repo."""
    text = source.removeprefix("git+").split("#")[0].split("?")[0].removesuffix(".git").rstrip("/")
    return text.split("://", 1)[-1].split("@")[0].lower() if "://" in text else text.lower()
