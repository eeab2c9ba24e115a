"""The manifest of the mentor-owned files: a SHA-256 per file, written when the repository is baked.

The course's files in a team repository are its spec: capstone.yaml, .github/ and docs/stages/ (the
kit itself is installed, outside the team's tree). The integrity gate compares them with the
manifest, so a change to one shows up in every checkpoint unless the mentors approved it. Approving
means rewriting the manifest (`capstone approve`), and since the manifest lives in .github/, that
change itself needs a mentor's review (.github/CODEOWNERS).

Standard library only: the template's post-generation hook imports this module from the template's
kit/ to write the first manifest, before any package of the project is installed.
"""

import hashlib
import json
from pathlib import Path

MANIFEST = Path(".github/capstone-manifest.json")
# What the mentors own: these paths (a folder means every file below it).
OWNED = ("capstone.yaml", ".github", "docs/stages")
# Files below those that are not content: caches Python writes, and the manifest itself.
IGNORED_PARTS = ("__pycache__",)
IGNORED_SUFFIXES = (".pyc",)


def owned_files(root: Path) -> list[str]:
    """Every mentor-owned file, as sorted POSIX paths relative to `root`."""
    found = []
    for name in OWNED:
        path = root / name
        if not path.exists():
            continue
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            relative = file.relative_to(root)
            if relative == MANIFEST or file.suffix in IGNORED_SUFFIXES:
                continue
            if any(part in IGNORED_PARTS for part in relative.parts):
                continue
            found.append(relative.as_posix())
    return sorted(found)


def file_hash(path: Path) -> str:
    # Line endings are normalised, so a checkout on Windows (CRLF) does not count as a change.
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def current_hashes(root: Path) -> dict[str, str]:
    return {name: file_hash(root / name) for name in owned_files(root)}


def write_manifest(root: Path) -> Path:
    """Record the current mentor-owned files as the approved state."""
    path = root / MANIFEST
    document = {"algorithm": "sha256", "files": current_hashes(root)}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(root: Path) -> dict[str, str]:
    """The approved hashes; raises FileNotFoundError or ValueError when the manifest is missing or broken."""
    document = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        raise ValueError(f"{MANIFEST} has no 'files' table")
    return files


def differences(root: Path) -> dict[str, list[str]]:
    """{"changed": [...], "added": [...], "removed": [...]}: mentor-owned files unlike the manifest."""
    approved, now = read_manifest(root), current_hashes(root)
    return dict(
        changed=sorted(name for name in approved.keys() & now.keys() if approved[name] != now[name]),
        added=sorted(now.keys() - approved.keys()),
        removed=sorted(approved.keys() - now.keys()),
    )
