"""Finish the team repository: prune optional files, then make it a git repository with one commit.

Rules this hook keeps (cruft re-runs it on every update, so it must be safe to run twice):
- it only touches the generated project directory (the current working directory);
- it needs nothing but the Python running cookiecutter and, optionally, git: no network, no dvc;
- running it again on a finished repository changes nothing.

This file is a Jinja template: the answers arrive once, as JSON, on the line below.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")  # fmt: skip (tojson escapes ' so ''' is safe)
PROJECT = Path.cwd()

# Used only when git has no user identity configured (a fresh CI runner or container).
FALLBACK_IDENTITY = ["-c", "user.name=ml-capstone template", "-c", "user.email=ml-capstone@users.noreply.github.com"]


def paths_to_prune():
    """Files and folders that the chosen options do not need."""
    prune = []
    if ANSWERS["license"] == "none":
        prune.append("LICENSE")
    if ANSWERS["dataset"] != "custom_csv":
        prune.append("data/external")
    return prune


def prune():
    for relative in paths_to_prune():
        path = PROJECT / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def apply_scaffold():
    """Lay the chosen scaffold's files (skeleton or reference) over the project, then drop the others.

    The template keeps the files that differ between scaffolds in .scaffold/<name>/, mirroring the
    project's layout; everything else is shared.
    """
    scaffolds = PROJECT / ".scaffold"
    if not scaffolds.is_dir():
        return  # already applied (cruft re-runs this hook)
    chosen = scaffolds / ANSWERS["scaffold"]
    if chosen.is_dir():
        shutil.copytree(chosen, PROJECT, dirs_exist_ok=True)
    shutil.rmtree(scaffolds)


def git(*args, check=True):
    return subprocess.run(["git", *args], cwd=PROJECT, check=check, capture_output=True, text=True)


def has_identity():
    return bool(git("config", "user.email", check=False).stdout.strip())


def has_commit():
    return git("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0


def first_commit():
    """git init on main and commit everything, unless that has been done already."""
    if shutil.which("git") is None:
        print(
            "NOTE: git was not found, so the repository was not initialised; install git, then run: "
            "git init -b main && git add -A && git commit -m 'Bake the team repository'"
        )
        return
    if not (PROJECT / ".git").exists():
        git("init", "--quiet")
        # Same as `git init -b main`, but also works on git older than 2.28.
        git("symbolic-ref", "HEAD", "refs/heads/main")
    if has_commit():
        return
    git("add", "--all")
    identity = [] if has_identity() else FALLBACK_IDENTITY
    # No signing and no hooks: the bake must work on any machine, offline, before `make setup`.
    git(
        *identity,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Bake {ANSWERS['project_slug']} from the ml-capstone template",
    )


def note_course_repository():
    """Say so when the checkpoint's caller names a guessed course repository (a bake not from GitHub)."""
    template = str(ANSWERS.get("_template", ""))
    on_github = template.startswith("gh:") or "github.com" in template
    if ANSWERS.get("course_repository") or on_github:
        return
    print(
        f"NOTE: .github/workflows/checkpoint.yml calls {ANSWERS['github_org']}/ml-capstone's checkpoint workflow "
        "(a guess: this was not baked from GitHub); set course_repository to your course repository "
        "(owner/name) when you bake the repositories you put online."
    )


def main():
    apply_scaffold()
    prune()
    note_course_repository()
    try:
        first_commit()
    except subprocess.CalledProcessError as failure:
        print(
            f"ERROR: git {' '.join(failure.cmd[1:3])} failed in {PROJECT}; the files are generated but not committed. "
            f"Detail: {failure.stderr.strip()}",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
