"""What DVC and git say about the data: the committed data version, the remote, the cache.

Shared by the gates that ask which data a thing was made from (data-tracked, fit-on-train-only,
champion-on-delivered-data). Facts only: no advice, no Outcome.
"""

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

RAW_OUT = "data/raw"  # the ingest stage's output: the delivery DVC versions; its md5 is the data version
DVC_LOCK = Path("dvc.lock")
UNKNOWN = "unknown"  # what the pipeline's tracking tags when it cannot tell the commit or the data


def data_versions(root: Path) -> tuple[str | None, str | None]:
    """The md5 of data/raw in the committed dvc.lock and in the workspace's (None: not there).

    The commit is what the pull request delivers; the workspace can differ (CI rebuilds the data
    at its own size, or the team has not committed yet).
    """
    committed = subprocess.run(["git", "show", "HEAD:dvc.lock"], cwd=root, capture_output=True, text=True, check=False)
    lock = Path(root) / "dvc.lock"
    return (
        raw_version(committed.stdout) if committed.returncode == 0 else None,
        raw_version(lock.read_text(encoding="utf-8")) if lock.is_file() else None,
    )


def raw_version(lock_text: str) -> str | None:
    """The md5 DVC recorded for data/raw in a dvc.lock (any stage's output), or None when it is not there."""
    import yaml

    lock = yaml.safe_load(lock_text) or {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if str(out.get("path", "")).rstrip("/") == RAW_OUT and out.get("md5"):
                return str(out["md5"])
    return None


def locked_data_version(root: Path) -> str:
    """The md5 dvc.lock records for the ingest stage's data/raw (what the pipeline tags runs with)."""
    import yaml

    try:
        stages = (yaml.safe_load((Path(root) / DVC_LOCK).read_text(encoding="utf-8")) or {}).get("stages", {})
    except (OSError, yaml.YAMLError):
        return UNKNOWN
    for out in (stages.get("ingest") or {}).get("outs", []):
        if isinstance(out, dict) and out.get("path") == RAW_OUT and out.get("md5"):
            return str(out["md5"])
    return UNKNOWN


def default_remote(repo) -> str | None:
    """The default remote's name, when .dvc/config (not the uncommitted config.local) sets one that exists."""
    name = repo.config.read("repo").get("core", {}).get("remote")
    return name if name and name in repo.config.get("remote", {}) else None


def unpushed(repo, in_workspace: bool = True) -> list[str]:
    """The files of the committed version of data/raw that are not in the default remote (sorted).

    What `dvc status --cloud data/raw` does, for HEAD's dvc.lock: the data version's objects are
    listed, then looked up in the remote. in_workspace: HEAD's version is the workspace's, so it is
    listed from the workspace (reading the commit instead costs 1-3 s more).
    """
    from contextlib import nullcontext

    # the lookup itself runs outside `switch`: a relative remote path only resolves from the workspace
    with nullcontext() if in_workspace else repo.switch("HEAD"):
        used = repo.index.used_objs([RAW_OUT], force=True, push=True)
    missing = set()
    for objects in used.values():
        status = repo.cloud.status(objects)
        # new: only in the local cache; missing: nowhere. (deleted: only in the remote, so pushed.)
        missing |= {entry.obj_name for entry in (*status.new, *status.missing)}
    files = sorted(name for name in missing if name.rstrip("/") != RAW_OUT)
    return files or sorted(missing)  # the files, or the folder's listing when only that is missing


def cached_outs(repo) -> list[str]:
    """The outputs dvc.yaml has DVC version (cache: true), relative to the repository: data/raw, ..."""
    try:
        outs = repo.index.outs
    except Exception:  # noqa: BLE001 (a dvc.yaml DVC cannot read: the status check says so)
        return [RAW_OUT]
    found = {Path(os.path.relpath(out.fs_path, repo.root_dir)).as_posix() for out in outs if out.use_cache}
    return sorted(found | {RAW_OUT})


def in_git(root: Path, paths: list[str]) -> list[str]:
    """The files under `paths` that git holds, in the last commit or staged for the next (sorted)."""
    found = set()
    for command in (["ls-tree", "-r", "-z", "--name-only", "HEAD", "--"], ["ls-files", "-z", "--"]):
        listed = subprocess.run(["git", *command, *paths], cwd=root, capture_output=True, text=True, check=False)
        found |= {name for name in listed.stdout.split("\0") if name} if listed.returncode == 0 else set()
    return sorted(found)


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def local_folder(repo, remote: str | None) -> str:
    """The remote's folder when it is a path on this machine (no teammate can pull from it), else ""."""
    if remote is None:
        return ""
    url = str(repo.config["remote"][remote].get("url", ""))
    return "" if "://" in url else url


def unreachable(repo, remote: str) -> str:
    """A note when the remote is a folder that does not exist here (a laptop's folder, seen from CI)."""
    url = str(repo.config["remote"][remote].get("url", ""))
    if "://" in url or Path(url).exists():
        return ""
    return f"; the remote is the folder {url}, which does not exist on this machine"


def stale_stages(repo) -> list[str]:
    """The stages `dvc status` reports as changed (empty when everything is up to date)."""
    return [name.split(":")[-1] for name in repo.status()]


def dvc_cache(root: Path) -> Path:
    """The DVC cache folder: .dvc/cache, unless .dvc/config (or config.local) sets cache.dir."""
    import configparser

    folder = Path(root) / ".dvc"
    parser = configparser.ConfigParser()
    parser.read([folder / "config", folder / "config.local"], encoding="utf-8")
    configured = parser.get("cache", "dir", fallback="").strip()
    return (folder / configured).resolve() if configured else folder / "cache"


def trained_batch_md5(root: Path, version: str) -> tuple[str | None, str]:
    """batch.csv's md5 in the data/raw of data version `version`, and where it was read."""
    import json

    root = Path(root)
    listing = dvc_cache(root) / "files" / "md5" / version[:2] / version[2:]
    if listing.is_file():
        entries = json.loads(listing.read_text(encoding="utf-8"))
        for entry in entries:
            if entry.get("relpath") == "batch.csv":
                return str(entry["md5"]), f"the DVC cache's listing {shown(listing, root)}"
        return None, f"the listing {shown(listing, root)} has no batch.csv"
    # The cache may have been cleared; the workspace holds the same data if dvc.lock says so.
    raw = root / RAW_OUT / "batch.csv"
    if version == locked_data_version(root) and raw.is_file():
        return md5(raw), f"{RAW_OUT}/batch.csv, the data version dvc.lock records"
    return None, f"no {shown(listing, root)} in the DVC cache, and dvc.lock records another data version"


def delivered_batch_md5(dataset: str, rows: int, seed: int, batch: int) -> str:
    """The md5 of batch.csv as the ingest stage writes the feed's delivery (capstone.feed.write_batch)."""
    from capstone.feed import generate_batch, write_batch

    frame, key = generate_batch(dataset, rows=rows, seed=seed, batch=batch)
    with tempfile.TemporaryDirectory(prefix="capstone-delivery-") as folder:
        data_path, _ = write_batch(frame, key, Path(folder) / "batch.csv")
        return md5(data_path)


def shown(path: Path, root: Path) -> str:
    """`path` relative to the repository when it is inside it (a shared DVC cache may not be)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
