"""The course's kit, lent read-only to the team's processes.

The team's environment has the capstone-kit its lock file chose, which the team controls. When the
grader runs a measurement in that environment (the gates that call the team's functions, the
model's answers on the holdout), the measuring code must be the course's. So the grader copies its
own `capstone` package into a folder the team user can read but not write, with a small dist-info
naming the course's version, and puts that folder first on the team process's PYTHONPATH: Python
imports the course's kit, with the team's pandas, scikit-learn and models.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import capstone


def lend_kit(folder: Path) -> Path:
    """Copy this kit into `folder` (created, readable by all, writable by the grader only); returns it."""
    source = Path(capstone.__file__).resolve().parent
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(source, folder / "capstone", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    info = folder / f"capstone_kit-{capstone.__version__}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: capstone-kit\nVersion: {capstone.__version__}\n", encoding="utf-8"
    )
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder
