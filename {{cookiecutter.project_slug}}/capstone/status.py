"""What `capstone status` reports: the project's settings and how far each stage has got.

"How far" is read from the files each stage leaves behind, so it is a hint for the team,
not a grade: the checkpoints in CI do the grading.
"""

import configparser
from pathlib import Path

from capstone.config import CapstoneSpec, Params

# For each stage: (what to look for, a glob under the repository root).
STAGE_EVIDENCE = {
    "data": ("raw data versioned by DVC", "dvc.lock"),
    "validation": ("a Great Expectations suite", "gx/expectations/*.json"),
    "features": ("a feature pipeline module", "src/*/features/*.py"),
    "experiments": ("a local MLflow store", "mlflow.db"),
    "deployment": ("a built bento", ".bentoml/bentos/*/*/bento.yaml"),
}


def dvc_remote_url(root: Path) -> str:
    """The URL of the default DVC remote in .dvc/config; a local path is shown resolved."""
    config = configparser.ConfigParser()
    # As DVC does: .dvc/config.local (this machine's settings, `dvc remote modify --local`) overrides.
    config.read([root / ".dvc" / "config", root / ".dvc" / "config.local"], encoding="utf-8")
    name = config.get("core", "remote", fallback="").strip()
    url = config.get(f"'remote \"{name}\"'", "url", fallback="").strip().strip('"')
    if not url:
        return "(none configured)"
    if "://" in url:
        return url
    # DVC reads a relative path from the .dvc/ folder, not from the repository root.
    return str((root / ".dvc" / url).resolve())


def settings_rows(root: Path, params: Params) -> list[tuple[str, str]]:
    return [
        ("project", params.project.name),
        ("dataset", params.data.dataset),
        ("scaffold", params.project.scaffold),
        ("MLflow tracking URI", params.mlflow.tracking_uri),
        ("MLflow experiment", params.mlflow.experiment),
        ("DVC remote", dvc_remote_url(root)),
    ]


def stage_rows(root: Path, spec: CapstoneSpec) -> list[tuple[str, str, str, str]]:
    rows = []
    for stage in spec.stages:
        what, pattern = STAGE_EVIDENCE.get(stage.key, ("", ""))
        found = bool(pattern) and any(path.name != "__init__.py" for path in root.glob(pattern))
        rows.append((str(stage.number), stage.title, stage.brief, f"{'yes' if found else 'not yet'}: {what}"))
    return rows


def missing_remote_folder(root: Path) -> str | None:
    """The default DVC remote's folder when it is a local path that does not exist, else None.

    DVC's own error for that case ("failed to pull data from the cloud") does not say which folder
    it looked for; `make push` and `make pull` check first and say it in one line.
    """
    url = dvc_remote_url(root)
    if url == "(none configured)" or "://" in url or Path(url).is_dir():
        return None
    return url
