"""Contribution evidence per team member, from the team repository's git history.

For a mentor asking "who did what" in group work: one `git log --numstat` read into a table of
commits and changed lines per author (keyed by e-mail), split by the pipeline's stage folders, plus
the commits each person co-authored through `Co-authored-by:` trailers. It is evidence for a
mentor's judgement, never a grade: the footnote of `Table.to_markdown` says what git cannot see.

Counting rules:

- An author is their e-mail, lower-cased (after the repository's .mailmap); the name shown is the
  most recent one they committed under (a trailer's name only for someone with no commit of their own).
- `commits` counts non-merge commits; `merges` counts merge commits apart. A merge adds no lines:
  its changes were already counted in the commits it merges.
- `lines` is lines added plus lines removed. A binary file counts 0 lines but counts in `files`
  (file changes, summed over commits). A renamed file counts under its new path.
- Each co-author named in a commit's trailers gets one `co-authored` commit, never lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

STAGE_FOLDERS = ("data", "validation", "features", "models", "serving")
AREAS = (*STAGE_FOLDERS, "tests", "other")
HEADER = "Contribution evidence from the repository's git history: evidence for a mentor's judgement, not a grade."
CANNOT_SEE = (
    "What this cannot see: pair programming without `Co-authored-by:` trailers; squash merges "
    "(whoever merges gets all the lines); rebases that rewrite authors; work outside git (notebooks "
    "not committed, meetings, reviews when `gh` is not used). Merge commits add no lines."
)
# Each commit starts with a record separator; its fields are split by unit separators.
FORMAT = "%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%B%x1f"
CO_AUTHOR = re.compile(r"^[ \t]*co-authored-by:[ \t]*(.*?)[ \t]*<([^<>\s]+)>[ \t]*$", re.IGNORECASE | re.MULTILINE)


class ContributionsError(RuntimeError):
    """git could not read the history (not a repository, an unknown ref, no git)."""


@dataclass
class Person:
    """One author's counts; the areas are lines changed per stage folder."""

    name: str
    email: str
    commits: int = 0
    merges: int = 0
    co_authored: int = 0
    files: int = 0
    lines: int = 0
    data: int = 0
    validation: int = 0
    features: int = 0
    models: int = 0
    serving: int = 0
    tests: int = 0
    other: int = 0


COLUMNS = {f.name: f.name.replace("_", "-") for f in fields(Person)}


@dataclass
class Table:
    """The per-author counts, most lines first; `shallow` when the clone holds only part of the history."""

    people: list[Person] = field(default_factory=list)
    shallow: bool = False
    revisions: str = "HEAD"

    def person(self, email: str) -> Person:
        """The row of this e-mail address (any case); KeyError when nobody used it."""
        for person in self.people:
            if person.email == email.lower():
                return person
        raise KeyError(email)

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame([asdict(person) for person in self.people], columns=list(COLUMNS))
        return frame.rename(columns=COLUMNS)

    def to_csv(self) -> str:
        """The same numbers as the Markdown, one row per author, for a spreadsheet."""
        return self.to_frame().to_csv(index=False, lineterminator="\n")

    def to_markdown(self) -> str:
        """A one-line header, the table and the footnote of what git cannot see."""
        lines = [f"_{HEADER}_ (`{self.revisions}`)", ""]
        if self.people:
            lines.append(self.to_frame().to_markdown(index=False))
        else:
            lines.append("No commits in this range.")
        note = CANNOT_SEE
        if self.shallow:
            note += " **This clone is shallow:** the history before its first commit is not counted."
        lines += ["", f"<sub>{note}</sub>"]
        return "\n".join(lines) + "\n"


def contributions(root: Path, package: str, since: str | None = None, until: str = "HEAD") -> Table:
    """Read the history of `since..until` (all of `until` without `since`) into a Table.

    `package` is the team's package (params.yaml `project.package`): `src/<package>/<stage>/`
    are the stage folders. Raises ContributionsError when git fails.
    """
    revisions = f"{since}..{until}" if since else until
    output = _git(root, "log", "-z", "--numstat", f"--format={FORMAT}", revisions, "--")
    people: dict[str, Person] = {}
    committed: set[str] = set()  # named by their own commit, not only by someone's trailer

    def who(email: str, name: str, author: bool = True) -> Person:
        key = email.strip().lower()
        if key not in people:  # newest commits come first: the first name seen is the most recent
            people[key] = Person(name=name.strip(), email=key)
        if author and key not in committed:  # a name a person committed under wins over a trailer's
            committed.add(key)
            people[key].name = name.strip()
        return people[key]

    for record in output.split("\x1e")[1:]:
        _, parents, name, email, rest = record.split("\x1f", 4)
        body, stats = rest.rsplit("\x1f", 1)
        author = who(email, name)
        if len(parents.split()) > 1:
            author.merges += 1
        else:
            author.commits += 1
            for added, removed, path in _numstat(stats):
                area = _area(path, package)
                changed = (0 if added == "-" else int(added)) + (0 if removed == "-" else int(removed))
                author.files += 1
                author.lines += changed
                setattr(author, area, getattr(author, area) + changed)
        co_authors = {mail.lower(): name for name, mail in CO_AUTHOR.findall(body)}
        for mail, co_name in co_authors.items():
            if mail != author.email:
                who(mail, co_name or mail, author=False).co_authored += 1
    ordered = sorted(people.values(), key=lambda p: (-p.lines, -p.commits, -p.co_authored, p.email))
    return Table(people=ordered, shallow=_is_shallow(root), revisions=revisions)


def _numstat(stats: str) -> list[tuple[str, str, str]]:
    """The (added, removed, path) of `--numstat -z`; a rename's path is its new one."""
    tokens = stats.split("\0")
    found = []
    position = 0
    while position < len(tokens):
        token = tokens[position].lstrip("\n")
        position += 1
        if not token:
            continue
        added, removed, path = token.split("\t", 2)
        if not path:  # a rename or copy: the old path, then the new one, in the next two tokens
            path = tokens[position + 1] if position + 1 < len(tokens) else ""
            position += 2
        found.append((added, removed, path))
    return found


def _area(path: str, package: str) -> str:
    """The stage folder a path belongs to: data ... serving, tests, or other."""
    for stage in STAGE_FOLDERS:
        if path.startswith(f"src/{package}/{stage}/"):
            return stage
    return "tests" if path.startswith("tests/") else "other"


def _is_shallow(root: Path) -> bool:
    # No second git call (`capstone check` reads one git log): a shallow clone keeps .git/shallow.
    return (Path(root) / ".git" / "shallow").is_file()


def _git(root: Path, *args: str) -> str:
    """Run git in English, paths unquoted, never through a shell; its output, or ContributionsError."""
    environment = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_PAGER": "cat"}
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            capture_output=True,
            env=environment,
            check=False,
        )
    except OSError as problem:
        raise ContributionsError(f"git did not run: {problem}") from problem
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ContributionsError(f"git {args[0]} failed: {message[0] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def review_facts(repo: str, gh: str = "gh") -> dict[str, dict[str, int]] | None:
    """Per GitHub login: merged pull requests `authored`, `merged` and `reviews` given (200 newest).

    Reads `gh pr list --state merged` for `repo` ("owner/name"). None, not an error, when gh is
    not on PATH, not authenticated or fails in any way: the evidence is optional.
    """
    if shutil.which(gh) is None:
        return None
    command = [gh, "pr", "list", "--repo", repo, "--state", "merged"]
    command += ["--json", "number,author,mergedBy,reviews", "--limit", "200"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            return None
        pulls = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    counts: dict[str, dict[str, int]] = {}

    def add(person: dict | None, what: str) -> None:
        login = (person or {}).get("login")
        if login:
            counts.setdefault(login, {"authored": 0, "merged": 0, "reviews": 0})[what] += 1

    for pull in pulls if isinstance(pulls, list) else []:
        add(pull.get("author"), "authored")
        add(pull.get("mergedBy"), "merged")
        for review in pull.get("reviews") or []:
            add(review.get("author"), "reviews")
    return counts


def report_section(root: Path, package: str) -> str:
    """Who did what, for a report's Contributions section; empty when git fails (never breaks a report)."""
    try:
        return contributions(root, package).to_markdown()
    except Exception:  # noqa: BLE001 (git missing or failing, an odd history: the report goes on without it)
        return ""


def commit_counts(root: Path, package: str) -> dict[str, int]:
    """Commits (own plus co-authored) per person, most first, for the gradebook; empty when git fails."""
    try:
        people = contributions(root, package).people
    except Exception:  # noqa: BLE001 (as report_section: the evidence never breaks grading)
        return {}
    counts = {person.name: person.commits + person.co_authored for person in people}
    return dict(sorted(counts.items(), key=lambda item: -item[1]))
