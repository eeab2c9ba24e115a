"""Who approved a change to the files the mentors own: a code owner's approving review on GitHub.

The course's spec in a team repository (capstone.yaml, .github/, docs/stages/) belongs to the
mentors. A pull request may change it only with an approving review from a code owner of every
changed file; the integrity gate (gates/integrity.py) asks this module. No file the team can write
counts as approval:

- the code owners come from .github/CODEOWNERS *as of the base commit*, never from the pull
  request's copy (a pull request could add its author);
- the reviews come from GitHub's API, read with the grader's read-only token;
- an approval counts only if it is the reviewer's latest word on the pull request (APPROVED,
  CHANGES_REQUESTED or DISMISSED; a COMMENTED review changes nothing), the reviewer is not the
  pull request's author, and no changed mentor-owned file changed again between the approved
  commit and HEAD. Each changed file needs at least one such approval from one of its code owners.

CI mode (the checkpoint of a pull request) is on when CAPSTONE_PR_NUMBER and CAPSTONE_BASE_SHA are
set: PullRequest.from_environment() reads them with GITHUB_REPOSITORY, GITHUB_API_URL and
GITHUB_TOKEN; a grader can also build a PullRequest itself and call check_pull_request(). Locally
there is no review to read: local_changes() compares the branch with main.

The token goes into the Authorization header and nowhere else: no message of this module names
it. Standard library only (urllib, as capstone.checkpoints.ci).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# What the mentors own: these paths (a folder means every file below it).
OWNED = ("capstone.yaml", ".github", "docs/stages")
CODEOWNERS = ".github/CODEOWNERS"
# The branch a local check compares with (origin/main first, then main).
BASE_BRANCH = "main"
DEFAULT_API_URL = "https://api.github.com"
# The environment of CI mode (the token is read, never shown).
ENVIRONMENT = ("CAPSTONE_PR_NUMBER", "CAPSTONE_BASE_SHA", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_TOKEN")
# A user's latest review in one of these states is their word on the pull request; COMMENTED is not.
DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")
PER_PAGE = 100
MAX_PAGES = 30  # 3,000 reviews or team members: far more than a course repository has
TIMEOUT = 30  # seconds per API call


class ApprovalError(Exception):
    """What stopped the approval check, in one line that says what to do (never the token)."""


class GitHubError(ApprovalError):
    """A refused or failed API call: `call` is "GET /path", `status` the HTTP status (None: no answer)."""

    def __init__(self, call: str, status: int | None, message: str):
        super().__init__(message)
        self.call, self.status = call, status


# --- CI mode: the pull request and its environment ------------------------------------------------


@dataclass(frozen=True)
class PullRequest:
    """The pull request a checkpoint grades, and how to ask GitHub about it.

    repository: "owner/name"; number: the pull request's number; base_sha: the commit its base
    branch pointed at (github.event.pull_request.base.sha); token: a read-only token that can read
    the pull request's reviews (and, for team owners, the team's members); api_url: GitHub's REST API.
    """

    repository: str
    number: int
    base_sha: str
    token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repository):
            raise ApprovalError(f"GITHUB_REPOSITORY must be owner/name, got {self.repository[:100]!r}")
        if self.number < 1:
            raise ApprovalError(f"CAPSTONE_PR_NUMBER must be a pull request number, got {self.number}")
        if not re.fullmatch(r"[0-9a-f]{7,64}", self.base_sha):
            raise ApprovalError(f"CAPSTONE_BASE_SHA must be a commit sha, got {self.base_sha[:80]!r}")
        if urllib.parse.urlsplit(self.api_url).scheme not in ("http", "https"):
            raise ApprovalError(f"GITHUB_API_URL must be an http(s) URL, got {self.api_url[:100]!r}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> PullRequest | None:
        """The pull request CI mode grades, from the environment; None outside CI mode.

        CI mode is on when CAPSTONE_PR_NUMBER and CAPSTONE_BASE_SHA are set (one without the other
        is an error: the workflow is half configured).
        """
        env = os.environ if environ is None else environ
        number = env.get("CAPSTONE_PR_NUMBER", "").strip()
        base = env.get("CAPSTONE_BASE_SHA", "").strip()
        if not number and not base:
            return None
        if not (number and base):
            missing = "CAPSTONE_BASE_SHA" if number else "CAPSTONE_PR_NUMBER"
            raise ApprovalError(f"{missing} is not set: a checkpoint of a pull request needs both it and its pair")
        if not number.isdigit():
            raise ApprovalError(f"CAPSTONE_PR_NUMBER must be a pull request number, got {number[:40]!r}")
        return cls(
            repository=env.get("GITHUB_REPOSITORY", "").strip(),
            number=int(number),
            base_sha=base.lower(),
            token=env.get("GITHUB_TOKEN", "").strip(),
            api_url=env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL,
        )


def grading_a_pull_request(root: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Whether this is a GitHub Actions job of a pull request whose checkout is `root`.

    Such a job without CI mode would compare nothing (its shallow checkout has no main branch)
    and pass: the integrity gate fails it instead, saying the workflow must set CI mode.
    """
    env = os.environ if environ is None else environ
    workspace = env.get("GITHUB_WORKSPACE", "")
    if env.get("GITHUB_ACTIONS") != "true" or not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return False
    return bool(workspace) and Path(root).resolve().is_relative_to(Path(workspace).resolve())


class GitHub:
    """The read-only REST calls the approval check makes, with the pull request's token."""

    def __init__(self, pull_request: PullRequest):
        self.pull_request = pull_request
        self.api = pull_request.api_url.rstrip("/")

    def get(self, path: str, query: str = "") -> object:
        """GET `path` (+ `query`) as JSON; a GitHubError names the call and the status, never the token."""
        call = f"GET {path}"
        request = urllib.request.Request(
            f"{self.api}{path}{'?' + query if query else ''}",
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "capstone-checkpoint",
            },
        )
        if self.pull_request.token:
            # Unredirected: a redirect to another host does not carry the token along.
            request.add_unredirected_header("Authorization", f"Bearer {self.pull_request.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise GitHubError(call, error.code, f"GitHub answered {error.code} to {call}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise GitHubError(call, None, self._redact(f"GitHub could not be reached for {call}: {reason}")) from None
        try:
            return json.loads(body or b"null")
        except ValueError:
            raise GitHubError(call, 200, f"GitHub's answer to {call} is not JSON") from None

    def pages(self, path: str) -> list[dict]:
        """Every item of a paginated list (per_page=100, page 1, 2, ... until a short page)."""
        found: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            batch = self.get(path, f"per_page={PER_PAGE}&page={page}")
            if not isinstance(batch, list):
                raise GitHubError(f"GET {path}", 200, f"GitHub's answer to GET {path} is not a list")
            found += [item for item in batch if isinstance(item, dict)]
            if len(batch) < PER_PAGE:
                break
        return found

    def _redact(self, text: str) -> str:
        token = self.pull_request.token
        return text.replace(token, "***") if token else text

    @property
    def _pull(self) -> str:
        return f"/repos/{self.pull_request.repository}/pulls/{self.pull_request.number}"

    def author(self) -> str:
        """The login of the pull request's author."""
        document = self.get(self._pull)
        login = ((document or {}).get("user") or {}).get("login") if isinstance(document, dict) else None
        if not login:
            raise GitHubError(f"GET {self._pull}", 200, f"GitHub's answer to GET {self._pull} names no author")
        return str(login)

    def reviews(self) -> list[dict]:
        """The pull request's reviews, oldest first."""
        return self.pages(f"{self._pull}/reviews")

    def team_members(self, team: str) -> set[str]:
        """The logins (lower case) of `org/team`'s members; a refusal fails closed, in one line."""
        org, _, slug = team.partition("/")
        path = f"/orgs/{urllib.parse.quote(org, safe='')}/teams/{urllib.parse.quote(slug, safe='')}/members"
        try:
            members = self.pages(path)
        except GitHubError as error:
            if error.status in (401, 403, 404):
                raise ApprovalError(
                    f"the grader's token cannot read the members of @{team} (GitHub answered {error.status} to "
                    f"GET {path}): list the mentors by user in {CODEOWNERS}, or give the token members:read"
                ) from None
            raise
        return {str(member.get("login", "")).lower() for member in members if member.get("login")}


# --- git ------------------------------------------------------------------------------------------


# Variables that would point git at another repository than `root` (set inside a git hook, say).
GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git <args>` in `root`, in English (its messages are read), whatever repository the caller is in."""
    env = {name: value for name, value in os.environ.items() if name not in GIT_LOCATION}
    env["LC_ALL"] = "C"
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )


def git(root: Path, *args: str) -> str:
    """`git <args>` in `root`; an ApprovalError with git's first line when it fails."""
    done = run_git(root, *args)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise ApprovalError(f"`git {args[0]}` failed in {root}: {said}")
    return done.stdout


def has_object(root: Path, revision: str) -> bool:
    """Whether `revision` (a commit, `<commit>:<path>`, ...) names an object of the checkout in `root`."""
    return run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", revision).returncode == 0


def has_commit(root: Path, revision: str) -> bool:
    """Whether `revision` names a commit of the checkout in `root`."""
    return has_object(root, f"{revision}^{{commit}}")


def _owned_pathspecs() -> list[str]:
    return [f":(top,literal){name}" for name in OWNED]


def _names(output: str) -> set[str]:
    return {name for name in output.split("\0") if name}


def changed_owned_files(root: Path, base: str) -> list[str]:
    """The mentor-owned files that differ between the merge-base of `base` and HEAD, sorted.

    `git diff --name-only base...HEAD` without rename detection, so a renamed file is listed by
    its old and its new name, and a deleted one too.
    """
    diff = ["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", f"{base}...HEAD"]
    return sorted(_names(git(root, *diff, "--", *_owned_pathspecs())))


def changed_between(root: Path, old: str, new: str = "HEAD") -> set[str]:
    """The mentor-owned files that differ between the commits `old` and `new`."""
    diff = ["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", old, new]
    return _names(git(root, *diff, "--", *_owned_pathspecs()))


# --- CODEOWNERS -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One line of CODEOWNERS: a pattern and its owners (none: the files it matches have no owner)."""

    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str] = field(repr=False, compare=False)

    def matches(self, path: str) -> bool:
        return self.regex.fullmatch(path) is not None


def _segment(text: str) -> str:
    """One path segment of a pattern as a regex: `*` any run of characters but `/`, `?` one."""
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS pattern as a regex over repository paths, as GitHub documents the syntax.

    A leading `/` anchors the pattern at the repository's root, and so does a `/` inside it; a
    pattern of one name (`*.md`, `apps/`) matches at any depth. A trailing `/` means a folder:
    every file below it. `*` matches within one path segment (`docs/*` is not `docs/a/b.md`),
    `**` any number of folders. A pattern ending in a name matches that file or everything below
    a folder of that name. Matching is case-sensitive.
    """
    anchored = pattern.startswith("/")
    folder = pattern.endswith("/") and len(pattern) > 1
    body = pattern[1 if anchored else 0 : -1 if folder else None]
    segments = [segment for segment in body.split("/") if segment]
    if not segments:
        return re.compile(r"(?!)")  # "/" matches nothing
    if not anchored and len(segments) == 1 and segments[0] != "**":
        segments.insert(0, "**")
    if folder:
        segments.append("**")
    last = len(segments) - 1
    regex, joined = "", False  # joined: the regex so far ends where a path segment may start
    for index, segment in enumerate(segments):
        if segment == "**":
            if index == 0 and index == last:
                regex += ".+"
            elif index == 0:
                regex, joined = regex + "(?:.+/)?", True
            elif index == last:
                regex += "/.+"
            else:
                regex, joined = regex + "(?:/.+)?", False
            continue
        regex += ("" if joined or index == 0 else "/") + ("[^/]+" if segment == "*" else _segment(segment))
        joined = False
        if index == last and segment != "*":
            regex += "(?:/.+)?"  # a name: the file, or everything in the folder of that name
    return re.compile(regex)


def parse_codeowners(text: str) -> list[Rule]:
    """The rules of a CODEOWNERS file, in order.

    `#` starts a comment; a line is a pattern and its owners (`@user`, `@org/team` or an e-mail
    address, which no review here can match). Lines GitHub reports as errors and ignores (`!`
    negation, `[ ]` ranges, `***`) are left out.
    """
    rules = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        pattern, owners = tokens[0], []
        for token in tokens[1:]:
            if token.startswith("#"):
                break
            owners.append(token)
        if pattern.startswith("!") or "[" in pattern or "***" in pattern:
            continue
        rules.append(Rule(pattern, tuple(owners), compile_pattern(pattern)))
    return rules


def owners_of(rules: list[Rule], path: str) -> tuple[str, ...]:
    """The code owners of `path`: the owners of the last rule that matches it (GitHub's rule); () for none."""
    for rule in reversed(rules):
        if rule.matches(path):
            return rule.owners
    return ()


def codeowners_at(root: Path, commit: str) -> list[Rule]:
    """The rules of .github/CODEOWNERS as of `commit` (none when that commit has no such file)."""
    if not has_object(root, f"{commit}:{CODEOWNERS}"):
        return []
    return parse_codeowners(git(root, "show", f"{commit}:{CODEOWNERS}"))


# --- the reviews ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A user's latest decisive review: who, in which state, of which commit."""

    user: str
    state: str
    commit: str


def latest_reviews(reviews: Iterable[Mapping]) -> dict[str, Review]:
    """Each user's latest review whose state is decisive (APPROVED, CHANGES_REQUESTED, DISMISSED),
    by lower-case login. GitHub lists reviews oldest first; COMMENTED and PENDING change nothing."""
    latest: dict[str, Review] = {}
    for item in reviews:
        user = (item.get("user") or {}).get("login") if isinstance(item.get("user"), dict) else None
        state = str(item.get("state", "")).upper()
        if user and state in DECISIVE:
            latest[str(user).lower()] = Review(str(user), state, str(item.get("commit_id") or ""))
    return latest


@dataclass
class Approval:
    """What check_pull_request found.

    changed:     the mentor-owned files the pull request changes;
    owners:      each changed file's code owners, from the base's CODEOWNERS;
    approved_by: each changed file's approvals that count ("@login", sorted);
    notes:       why other reviews did not count, one line each.
    """

    changed: list[str]
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    approved_by: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The changed files no approval that counts covers."""
        return [name for name in self.changed if not self.approved_by.get(name)]

    @property
    def approved(self) -> bool:
        return not self.missing


class Owners:
    """Whether a user is one of a file's code owners: by name, or as a member of a team that owns it.

    A team's members are asked for once, and only when no owner named as a user approved the file,
    so a token that cannot read teams fails only the checks that need one.
    """

    def __init__(self, github: GitHub):
        self.github = github
        self.teams: dict[str, set[str]] = {}

    @staticmethod
    def _handles(owners: tuple[str, ...]) -> list[str]:
        return [owner[1:].lower() for owner in owners if owner.startswith("@")]

    def names(self, login: str, owners: tuple[str, ...]) -> bool:
        """`login` is one of `owners` as a user (@login)."""
        return login.lower() in [handle for handle in self._handles(owners) if "/" not in handle]

    def in_team(self, login: str, owners: tuple[str, ...]) -> bool:
        """`login` is a member of one of the teams (@org/team) among `owners`."""
        for team in [handle for handle in self._handles(owners) if "/" in handle]:
            if team not in self.teams:
                self.teams[team] = self.github.team_members(team)
            if login.lower() in self.teams[team]:
                return True
        return False


def _short(commit: str) -> str:
    return commit[:7] if commit else "(no commit)"


def check_pull_request(root: Path, pull_request: PullRequest, github: GitHub | None = None) -> Approval:
    """Which mentor-owned files the pull request changes, and which code owners' approvals count.

    Raises ApprovalError (one line) when it cannot tell: the base commit is not in the checkout,
    an API call failed, or the token cannot read a team that owns a file.
    """
    base = pull_request.base_sha
    if not has_commit(root, base):
        raise ApprovalError(
            f"the base commit {_short(base)} is not in this checkout: check out the pull request with its "
            "history (actions/checkout with fetch-depth: 0)"
        )
    changed = changed_owned_files(root, base)
    if not changed:
        return Approval([])
    rules = codeowners_at(root, base)
    result = Approval(changed, owners={name: owners_of(rules, name) for name in changed})
    github = github or GitHub(pull_request)
    author = github.author().lower()
    counted: list[Review] = []
    for login, review in sorted(latest_reviews(github.reviews()).items()):
        who = f"@{review.user}"
        if review.state == "CHANGES_REQUESTED":
            result.notes.append(f"{who}'s latest review requests changes")
        elif review.state == "DISMISSED":
            result.notes.append(f"{who}'s review was dismissed")
        elif login == author:
            result.notes.append(f"{who} opened the pull request: the author's own approval does not count")
        elif not review.commit or not has_commit(root, review.commit):
            result.notes.append(
                f"{who} approved commit {_short(review.commit)}, which is not in this checkout (check out the pull "
                "request with its history: fetch-depth: 0), so the approval does not count"
            )
        else:
            since = sorted(changed_between(root, review.commit) & set(changed))
            if since:
                result.notes.append(
                    f"{who} approved commit {_short(review.commit)}, and {', '.join(since)} changed since: "
                    "the approval is stale, ask for a new review"
                )
            else:
                counted.append(review)
    owners = Owners(github)
    for name in changed:  # owners named as users first: no team is asked about when they approved
        result.approved_by[name] = [f"@{r.user}" for r in counted if owners.names(r.user, result.owners[name])]
    for name in result.missing:
        result.approved_by[name] = [f"@{r.user}" for r in counted if owners.in_team(r.user, result.owners[name])]
    missing = result.missing
    for review in counted:
        if missing and not any(f"@{review.user}" in approvers for approvers in result.approved_by.values()):
            result.notes.append(f"@{review.user} approved, but is not a code owner of {', '.join(missing)}")
    result.approved_by = {name: approvers for name, approvers in result.approved_by.items() if approvers}
    return result


# --- local mode -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalChanges:
    """What a local check compared: `base` (None: nothing to compare), what it was and the changed files."""

    base: str | None
    compared: str
    changed: list[str] = field(default_factory=list)


def local_changes(root: Path) -> LocalChanges:
    """The mentor-owned files this branch changes since it left main (origin/main, else main).

    On main itself, outside a git repository or without a main branch, there is nothing to compare.
    """
    done = run_git(root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        if "not a git repository" in done.stderr:
            return LocalChanges(None, "not a git repository: nothing to compare")
        raise ApprovalError(f"`git rev-parse` failed in {root}: {(done.stderr.strip().splitlines() or [''])[0]}")
    if Path(done.stdout.strip()).resolve() != Path(root).resolve():
        return LocalChanges(None, f"{root} is not the top of its git repository: nothing to compare")
    if not has_commit(root, "HEAD"):
        return LocalChanges(None, "no commit yet: nothing to compare")
    branch = run_git(root, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if branch == BASE_BRANCH:
        return LocalChanges(None, f"on {BASE_BRANCH} itself: nothing to compare (the checkpoint checks pull requests)")
    for reference in (f"origin/{BASE_BRANCH}", BASE_BRANCH):
        if has_commit(root, reference):
            base = git(root, "merge-base", "HEAD", reference).strip()
            return LocalChanges(base, f"since {reference} at {_short(base)}", changed_owned_files(root, base))
    return LocalChanges(None, f"no origin/{BASE_BRANCH} or {BASE_BRANCH} branch to compare with: nothing to compare")
