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


def remote_problem(root: Path, action: str) -> str | None:
    """One error line when the default DVC remote is a local folder `action` cannot use, else None.

    push: the folder is created when missing (as `dvc push` would); it fails only when it cannot be
    (a file in its path, no permission). pull: the folder must exist. DVC's own errors for these
    cases ("failed to pull data from the cloud") do not say which folder it looked for.
    """
    url = dvc_remote_url(root)
    if url == "(none configured)" or "://" in url or Path(url).is_dir():
        return None
    fix = "point this repository at the team's remote: dvc remote modify storage url <url>"
    if action == "push":
        try:
            Path(url).mkdir(parents=True, exist_ok=True)
            return None
        except OSError as problem:
            why = problem.strerror
            return f"ERROR: the DVC remote folder {url} cannot be created ({why}); fix the path or {fix}"
    where = f"the DVC remote is the folder {url}, which does not exist on this machine"
    return f"ERROR: {where}; create it (mkdir -p) or {fix}"
