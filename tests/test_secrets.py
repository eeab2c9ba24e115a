"""Full tier, secrets: no baked repo holds a secret-like string, and the holdout secret goes nowhere.

- detect-secrets (every plugin, default settings) scans every file of every combination the bake
  matrix bakes (test_bake_matrix.COMBINATIONS), and the course kit's files (kit/), which every team
  repo installs. Each distinct file content is scanned once. What it flags must be on the reviewed
  list below, or be the template commit pyproject.toml installs the kit from (capstone-kit's `rev`). A planted
  fake key is caught first, so a silent scanner cannot pass the test.
- With CAPSTONE_HOLDOUT_SEED set to a known value, the pipeline, `make push` and `capstone check all`
  run in a reference repo; neither the value nor the seed derived from it may appear in any file
  written (MLflow's database and artifacts, the BentoML store, the DVC cache and remote, reports, gx/)
  or in anything printed.
"""

import hashlib
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from bakery import TEMPLATE, bake
from teamrepo import run, team_env
from test_bake_matrix import COMBINATIONS

pytestmark = pytest.mark.full

# Reviewed: flagged by detect-secrets, and not secrets. (file name, the flagged line's text, stripped)
REVIEWED = {
    # the name of the environment variable that holds the secret, not the secret (the kit's checkpoints)
    ("holdout.py", 'SECRET_VARIABLE = "CAPSTONE_HOLDOUT_SEED"'),
    # an example of the form a URI with credentials takes, in a comment (the kit's mentor report)
    ("review.py", "# Credentials in the URI (https://user:token@host) are never shown."),
    # a made-up git sha the kit's unit tests tag their MLflow runs with
    ("kitdata.py", 'SHA = "abcdef1234567890abcdef1234567890abcdef12"'),
}
KIT = TEMPLATE / "kit"
SECRET = "holdout-secret-7f3a9c2e51d84b06"  # the known value the mentors' CI secret would hold
ROWS = 3000


def scan(paths: list[Path], root: Path) -> list[tuple[Path, int, str]]:
    """detect-secrets over `paths`: (path, line number, flagged value) for each finding."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        secrets = SecretsCollection(root=str(root))
        secrets.scan_files(*(str(path) for path in paths), num_processors=1)
    return [(root / name, secret.line_number, secret.secret_value or "") for name, secret in secrets]


@pytest.fixture(scope="module")
def combinations(tmp_path_factory, cc_config) -> list[Path]:
    out = tmp_path_factory.mktemp("secrets-matrix")
    return [bake(out / str(index), cc_config, **answers) for index, answers in enumerate(COMBINATIONS)]


def test_the_scanner_finds_a_planted_key(tmp_path):
    planted = tmp_path / "settings.py"
    # Built at run time, so this test file itself holds no key-shaped string.
    planted.write_text(f'AWS_ACCESS_KEY_ID = "{"AKIA" + "Q3EGHT7KLMN2PX4W"}"\n')
    assert [line for _, line, _ in scan([planted], tmp_path)] == [1]


def test_no_baked_combination_holds_a_secret_like_string(combinations):
    assert len(combinations) == len(COMBINATIONS) >= 24
    representatives: dict[str, tuple[Path, Path]] = {}  # content hash -> (root, file) first seen
    # The kit every team installs (its own root: file names are then kit/...), then each baked repo.
    for root, folder in [(TEMPLATE, KIT), *((repo, repo) for repo in combinations)]:
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and not {".git", "__pycache__", ".pytest_cache", ".ruff_cache"} & set(parts):
                representatives.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), (root, path))
    assert any(root == TEMPLATE for root, _ in representatives.values()), "the kit was not scanned"
    unexplained = []
    for root, path in representatives.values():
        for found, line_number, value in scan([path], root):
            name = found.relative_to(root).as_posix()
            line = found.read_text(errors="replace").splitlines()[line_number - 1].strip()
            if (found.name, line) in REVIEWED or is_kit_commit(root, name, value):
                continue
            unexplained.append(f"{name}:{line_number}: {line[:120]}")
    assert len(representatives) > 100  # every file was looked at (each distinct content once)
    assert not unexplained, "\n".join(unexplained)


def is_kit_commit(repo: Path, name: str, value: str) -> bool:
    """The commit of the template the kit is installed from: `rev` of capstone-kit's source in pyproject.toml,
    which the checkpoint's caller (.github/workflows/checkpoint.yml) also pins the course's workflow to."""
    if name not in ("pyproject.toml", ".github/workflows/checkpoint.yml") or not re.fullmatch(r"[0-9a-f]{40}", value):
        return False
    sources = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    return sources.get("capstone-kit", {}).get("rev") == value


def test_the_holdout_secret_reaches_no_file_and_no_log(tmp_path_factory, cc_config, pre_commit_home):
    out = tmp_path_factory.mktemp("secrets-holdout")
    repo = bake(out, cc_config, scaffold="reference")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    run(repo, "make", "setup")
    # The seed the checkpoint derives from the secret regenerates the holdout rows: as secret as the secret.
    derive = f"from capstone.checkpoints.holdout import seed_from_secret; print(seed_from_secret({SECRET!r}))"
    from_seed = int(run(repo, ".venv/bin/python", "-c", derive).stdout)
    env = {**team_env(repo), "CAPSTONE_HOLDOUT_SEED": SECRET}
    (out / f"{repo.name}-dvc-remote").mkdir()  # the default remote folder: make push asks for it to exist
    logs = []
    for command in (["make", "pipeline"], ["make", "push"], [".venv/bin/capstone", "check", "all"]):
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=1800)
        logs.append(done.stdout + done.stderr)
        assert done.returncode == 0 or command[-1] == "all", done.stdout[-3000:] + done.stderr[-3000:]
    # The check really used the secret (else this test would prove nothing).
    report = json.loads((repo / "reports" / "checkpoint-4.json").read_text())
    assert report["holdout_secret"] is True, report

    needles = {SECRET.encode(): "the secret", str(from_seed).encode(): "the seed derived from it"}
    leaks = [
        f"{what} in output {index}"
        for index, log in enumerate(logs)
        for n, what in needles.items()
        if n in log.encode()
    ]
    # Every file the commands wrote, the DVC remote beside the repo included (not the installed packages).
    remote = out / f"{repo.name}-dvc-remote"
    for path in [*repo.rglob("*"), *remote.rglob("*")]:
        if path.is_file() and ".venv" not in path.relative_to(out).parts:
            content = path.read_bytes()
            leaks += [f"{what} in {path.relative_to(out)}" for needle, what in needles.items() if needle in content]
    assert not leaks, leaks
