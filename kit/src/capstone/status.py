"""What `capstone status` reports: the project's settings and where each stage stands.

Where a stage stands is the last checkpoint of it on this machine (reports/checkpoint-N.json, which
`make check STAGE=N` writes), or "not checked". The files a stage leaves behind are shown beside it
as a hint only: a stage whose files exist can still fail its gates. The official result is the
pull request's checkpoint: with a cohort server, the one the course recorded there is shown too.
"""

import configparser
import json
import subprocess
from datetime import datetime
from pathlib import Path

from capstone.config import CapstoneSpec, ConfigError, Params, custom_csv_settings

# For each stage: (what to look for, a glob under the repository root).
STAGE_EVIDENCE = {
    "data": ("data versioned by DVC", "dvc.lock"),
    "validation": ("a GX suite", "gx/expectations/*.json"),
    "features": ("a features module", "src/*/features/*.py"),
    "experiments": ("an MLflow store", "mlflow.db"),
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
        *custom_csv_rows(params),
        ("scaffold", params.project.scaffold),
        ("MLflow tracking URI", params.mlflow.tracking_uri),
        ("MLflow experiment", params.mlflow.experiment),
        ("DVC remote", dvc_remote_url(root)),
    ]


def custom_csv_rows(params: Params) -> list[tuple[str, str]]:
    """The team's own CSV (data.custom_csv): file, target, task and roles; nothing for a built-in dataset."""
    if params.data.dataset != "custom_csv":
        return []
    try:
        settings = custom_csv_settings(params)
    except ConfigError as problem:
        return [("custom CSV", f"not readable: {problem}")]
    rows = [
        ("custom CSV", settings.path or "(not set: data.custom_csv.path)"),
        ("  target", settings.target or "(not set: data.custom_csv.target)"),
        ("  task", settings.task or "inferred at ingest"),
    ]
    rows += [(f"  {role}", ", ".join(names)) for role, names in settings.roles().items() if names]
    if settings.max_rows:
        rows.append(("  max_rows", f"{settings.max_rows:,}"))
    return rows


def stage_rows(root: Path, spec: CapstoneSpec) -> list[tuple[str, str, str, str]]:
    """(number, key, last checkpoint, files found) per stage: short enough for a table at 80 columns."""
    head = _git_head(root)
    rows = []
    for stage in spec.stages:
        what, pattern = STAGE_EVIDENCE.get(stage.key, ("", ""))
        found = bool(pattern) and any(path.name != "__init__.py" for path in root.glob(pattern))
        files = f"{'found' if found else 'not yet'}: {what}" if what else ""
        rows.append((str(stage.number), stage.key, last_checkpoint(root, stage.number, head), files))
    return rows


def last_checkpoint(root: Path, number: int, head: str = "") -> str:
    """The last local checkpoint of stage `number`: passed or failed, when and at which commit; or "not checked"."""
    path = root / "reports" / f"checkpoint-{number}.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "not checked"
    if not isinstance(report, dict) or "passed" not in report:
        return "not checked"
    when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    failed = [gate for gate in report.get("gates", []) if gate.get("blocking") and gate.get("status") == "failed"]
    # Grading adds up: a stage's report holds the earlier stages' gates too; count those apart.
    own = sum(1 for gate in failed if gate.get("stage", number) == number)
    earlier = f" + {len(failed) - own} of earlier stages" if len(failed) > own else ""
    verdict = "passed" if report["passed"] else f"failed ({own} blocking gate{'s' if own != 1 else ''}{earlier})"
    commit = str((report.get("meta") or {}).get("commit") or "")
    older = " (an older commit: check again)" if commit and head and not head.startswith(commit) else ""
    return f"{verdict}, {when}, commit {commit or '?'}{older}"


def official_results(tracking_uri: str, team: str) -> dict[int, str] | str:
    """The course's recorded result per stage on the cohort server (the team's login reads its own).

    {} without a cohort server (a local store); a one-line reason when the server cannot be read.
    """
    if not tracking_uri.startswith(("http://", "https://")):
        return {}
    from capstone.cohort.gradebook import GradebookError, fetch

    try:
        [row] = fetch(tracking_uri.rstrip("/"), [team]).rows
    except GradebookError as problem:
        return str(problem)
    results = {}
    for number, cell in row.cells.items():
        when = f", {cell.when:%Y-%m-%d}" if cell.when else ""
        results[number] = cell.status + when + (f", PR #{cell.pr}" if cell.pr else "")
    return results


def _git_head(root: Path) -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


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
