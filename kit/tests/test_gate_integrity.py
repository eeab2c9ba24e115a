"""integrity: a change to a mentor-owned file counts only with a code owner's approving review.

Each test builds a real git repository (a base commit on main, a stage branch on top) and, for CI
mode, answers GitHub's API from a stand-in on 127.0.0.1 that records every request.
"""

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from capstone.checkpoints import approval
from capstone.checkpoints.registry import load_all

TOKEN = "stand-in-token-never-shown"
REPOSITORY = "acme/team-repo"
NUMBER = 7
AUTHOR = "student"
PULL = f"/repos/{REPOSITORY}/pulls/{NUMBER}"
REVIEWS = f"{PULL}/reviews"
TEAM = "/orgs/acme/teams/mentors/members"
CODEOWNERS = """\
# Mentors own the course's spec.
*                @nobody-in-particular
/capstone.yaml   @mentor-a @acme/mentors
/.github/        @mentor-a
/docs/stages/    @mentor-b @acme/mentors
"""
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def integrity(context):
    """The gate's outcome; whatever it says, the token is not in it."""
    outcome = load_all()["integrity"](context, {})
    for text in (outcome.measured, outcome.expected, outcome.detail):
        assert TOKEN not in text
    return outcome


# --- a git repository: main, and a stage branch ----------------------------------------------------


class Repo:
    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
            cwd=self.root,
            env={**os.environ, **GIT_ENV},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        """Write (or, for None, delete) the files, commit everything; the new commit's sha."""
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path) -> Repo:
    """A team repository: one commit on main (the base), then the branch stage/1-data checked out."""
    made = Repo(tmp_path / "team")
    made.root.mkdir()
    made.git("init", "--quiet")
    made.git("symbolic-ref", "HEAD", "refs/heads/main")
    made.base = made.commit(
        {
            "capstone.yaml": "version: 1\nmin_margin: 0.02\n",
            ".github/CODEOWNERS": CODEOWNERS,
            ".github/workflows/checkpoint.yml": "name: checkpoint\n",
            "docs/stages/1-data.md": "# Data\n",
            "src/team/clean.py": "pass\n",
        },
        "bake",
    )
    made.git("checkout", "--quiet", "-b", "stage/1-data")
    return made


# --- a stand-in for GitHub's API ------------------------------------------------------------------


class StandInGitHub:
    """Answers GET requests from `routes` ({path: (status, JSON)}; lists are paginated) and records them."""

    def __init__(self):
        self.routes: dict[str, tuple[int, object]] = {
            PULL: (200, {"number": NUMBER, "user": {"login": AUTHOR}}),
            TEAM: (200, [{"login": "mentor-c"}]),
        }
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def handler(stand_in):  # noqa: N805 (the handler class reads the stand-in's routes)
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(parts.query).items()}
                stand_in.requests.append(
                    dict(path=parts.path, query=query, authorization=self.headers.get("Authorization"))
                )
                status, body = stand_in.routes.get(parts.path, (404, {"message": "Not Found"}))
                if isinstance(body, list):
                    size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                    body = body[(page - 1) * size : page * size]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def reviews(self, *reviews: tuple[str, str, str]) -> None:
        """The pull request's reviews, oldest first: (login, state, approved commit)."""
        self.routes[REVIEWS] = (
            200,
            [
                dict(id=index, user=dict(login=login), state=state, commit_id=commit)
                for index, (login, state, commit) in enumerate(reviews, start=1)
            ],
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def github():
    stand_in = StandInGitHub()
    yield stand_in
    stand_in.close()


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """No CI setting of the machine running the tests leaks in; loopback never goes through a proxy."""
    for name in (*approval.ENVIRONMENT, "GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def ci(repo, github, monkeypatch):
    """CI mode for pull request #7 of `repo`, against the stand-in."""
    monkeypatch.setenv("CAPSTONE_PR_NUMBER", str(NUMBER))
    monkeypatch.setenv("CAPSTONE_BASE_SHA", repo.base)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return repo


# --- CI mode --------------------------------------------------------------------------------------


def test_no_change_to_the_mentors_files_passes_without_asking_github(ci, github, make_context):
    ci.commit({"src/team/clean.py": "print('cleaner')\n"})
    outcome = integrity(make_context(root=ci.root))
    assert outcome.passed
    assert outcome.measured == "no mentor-owned file changed in pull request #7"
    assert github.requests == []


def test_a_change_without_approval_fails_naming_the_file_and_its_owners(ci, github, make_context):
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.reviews()
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.measured == "1 mentor-owned file(s) changed without a code owner's approval"
    first = outcome.detail.splitlines()[0]
    assert first == "`capstone.yaml` needs an approving review from a code owner: @mentor-a, @acme/mentors"
    assert "Reviews that do not count" not in outcome.detail
    # the token went to GitHub as a Bearer header, and the reviews were asked for 100 a page
    assert {request["authorization"] for request in github.requests} == {f"Bearer {TOKEN}"}
    assert [request["query"] for request in github.requests if request["path"] == REVIEWS] == [
        {"per_page": "100", "page": "1"}
    ]


def test_two_changed_files_are_listed_with_their_owners(ci, github, make_context):
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n", "docs/stages/1-data.md": "# Easier\n"})
    github.reviews()
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed and outcome.measured.startswith("2 mentor-owned file(s)")
    assert (
        outcome.detail.splitlines()[0] == "2 mentor-owned files need an approving review from one of their code owners:"
    )
    assert "- `capstone.yaml` needs an approving review from a code owner: @mentor-a, @acme/mentors" in outcome.detail
    assert "- `docs/stages/1-data.md` needs an approving review from a code owner: @mentor-b, @acme/mentors" in (
        outcome.detail
    )


def test_a_non_owners_approval_does_not_count(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.reviews(("classmate", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert "- @classmate approved, but is not a code owner of capstone.yaml" in outcome.detail


def test_a_code_owners_approval_passes_and_says_who_approved_what(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0.01\n"})
    github.reviews(("classmate", "COMMENTED", head), ("Mentor-A", "APPROVED", head), ("mentor-a", "COMMENTED", head))
    outcome = integrity(make_context(root=ci.root))
    assert outcome.passed, outcome.detail
    assert (
        outcome.measured
        == "1 mentor-owned file(s) changed, approved by a code owner: capstone.yaml approved by @Mentor-A"
    )
    assert all(request["authorization"] == f"Bearer {TOKEN}" for request in github.requests)


def test_each_file_needs_an_approval_from_one_of_its_own_owners(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n", "docs/stages/1-data.md": "# Easier\n"})
    github.reviews(("mentor-a", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed  # mentor-a owns capstone.yaml, not docs/stages/
    assert outcome.measured == "1 mentor-owned file(s) changed without a code owner's approval"
    assert outcome.detail.startswith("`docs/stages/1-data.md` needs an approving review from a code owner: @mentor-b")
    github.reviews(("mentor-a", "APPROVED", head), ("mentor-b", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert outcome.passed
    assert outcome.measured.endswith("capstone.yaml approved by @mentor-a; docs/stages/1-data.md approved by @mentor-b")


def test_a_dismissed_approval_does_not_count(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.reviews(("mentor-a", "APPROVED", head), ("mentor-a", "DISMISSED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert "- @mentor-a's review was dismissed" in outcome.detail


def test_changes_requested_after_an_approval_win(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.reviews(("mentor-a", "APPROVED", head), ("mentor-a", "CHANGES_REQUESTED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert "- @mentor-a's latest review requests changes" in outcome.detail


def test_an_approval_is_stale_once_an_owned_file_changes_after_it(ci, github, make_context):
    approved = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0.01\n"})
    ci.commit({"src/team/clean.py": "print('still fine')\n"})  # not the mentors' files: still approved
    github.reviews(("mentor-a", "APPROVED", approved))
    assert integrity(make_context(root=ci.root)).passed
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"}, "lower it further after the review")
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert (
        f"- @mentor-a approved commit {approved[:7]}, and capstone.yaml changed since: "
        "the approval is stale, ask for a new review"
    ) in outcome.detail


def test_an_approved_commit_missing_from_the_checkout_does_not_count(ci, github, make_context):
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.reviews(("mentor-a", "APPROVED", "f" * 40))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert "- @mentor-a approved commit fffffff, which is not in this checkout" in outcome.detail


def test_a_team_member_approves_for_the_team(ci, github, make_context):
    head = ci.commit({"docs/stages/1-data.md": "# Data, revised\n"})
    members = [dict(login=f"member-{index}") for index in range(150)] + [dict(login="mentor-c")]
    github.routes[TEAM] = (200, members)
    github.reviews(("mentor-c", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert outcome.passed, outcome.detail
    assert outcome.measured.endswith("docs/stages/1-data.md approved by @mentor-c")
    pages = [request["query"]["page"] for request in github.requests if request["path"] == TEAM]
    assert pages == ["1", "2"]


def test_a_team_the_token_cannot_read_fails_closed_in_one_line(ci, github, make_context):
    head = ci.commit({"docs/stages/1-data.md": "# Data, revised\n"})
    github.routes[TEAM] = (403, {"message": "Resource not accessible by integration"})
    github.reviews(("mentor-c", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.measured == "the approval could not be checked"
    assert outcome.detail == (
        "the grader's token cannot read the members of @acme/mentors (GitHub answered 403 to "
        "GET /orgs/acme/teams/mentors/members): list the mentors by user in .github/CODEOWNERS, "
        "or give the token members:read"
    )


def test_no_team_is_asked_about_when_an_owner_named_by_user_approved(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0.01\n"})
    github.routes[TEAM] = (403, {"message": "Resource not accessible by integration"})
    github.reviews(("classmate", "APPROVED", head), ("mentor-a", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert outcome.passed, outcome.detail
    assert TEAM not in [request["path"] for request in github.requests]


def test_the_authors_own_approval_does_not_count(ci, github, make_context):
    head = ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.routes[PULL] = (200, {"number": NUMBER, "user": {"login": "mentor-a"}})  # a code owner opened it
    github.reviews(("mentor-a", "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert "- @mentor-a opened the pull request: the author's own approval does not count" in outcome.detail


def test_codeowners_changed_in_the_pull_request_do_not_count(ci, github, make_context):
    # The pull request makes the author and a teammate owners of everything, then the teammate approves.
    head = ci.commit(
        {
            ".github/CODEOWNERS": CODEOWNERS + f"* @{AUTHOR} @buddy\n",
            "capstone.yaml": "version: 1\nmin_margin: 0\n",
        }
    )
    github.reviews(("buddy", "APPROVED", head), (AUTHOR, "APPROVED", head))
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.measured == "2 mentor-owned file(s) changed without a code owner's approval"
    assert "- `.github/CODEOWNERS` needs an approving review from a code owner: @mentor-a" in outcome.detail
    assert "- `capstone.yaml` needs an approving review from a code owner: @mentor-a, @acme/mentors" in outcome.detail
    assert "- @buddy approved, but is not a code owner of .github/CODEOWNERS, capstone.yaml" in outcome.detail
    assert f"- @{AUTHOR} opened the pull request" in outcome.detail


def test_a_github_failure_is_one_line_naming_the_call_and_status(ci, github, make_context):
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.routes[REVIEWS] = (500, {"message": f"boom {TOKEN}"})
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.measured == "a GitHub API call failed"
    assert outcome.detail == f"GitHub answered 500 to GET {REVIEWS}"


def test_an_unreachable_github_is_one_line_too(ci, github, make_context, monkeypatch):
    ci.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    github.close()
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.detail.startswith(f"GitHub could not be reached for GET {PULL}: ")
    assert "\n" not in outcome.detail


def test_a_base_commit_missing_from_the_checkout_fails(ci, make_context, monkeypatch):
    monkeypatch.setenv("CAPSTONE_BASE_SHA", "e" * 40)
    outcome = integrity(make_context(root=ci.root))
    assert not outcome.passed
    assert outcome.detail.startswith("the base commit eeeeeee is not in this checkout")


def test_half_a_ci_configuration_fails(repo, make_context, monkeypatch):
    monkeypatch.setenv("CAPSTONE_PR_NUMBER", "7")
    outcome = integrity(make_context(root=repo.root))
    assert not outcome.passed
    assert outcome.detail.startswith("CAPSTONE_BASE_SHA is not set")


def test_a_pull_request_job_without_ci_mode_fails_closed(repo, make_context, monkeypatch):
    repo.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo.root))
    outcome = integrity(make_context(root=repo.root))
    assert not outcome.passed
    assert outcome.detail.startswith("this job grades a pull request, but CAPSTONE_PR_NUMBER and CAPSTONE_BASE_SHA")


def test_the_token_stays_out_of_the_settings_repr():
    pull_request = approval.PullRequest.from_environment(
        {
            "CAPSTONE_PR_NUMBER": "7",
            "CAPSTONE_BASE_SHA": "a" * 40,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_TOKEN": TOKEN,
        }
    )
    assert pull_request.token == TOKEN and pull_request.api_url == "https://api.github.com"
    assert TOKEN not in repr(pull_request)
    assert approval.PullRequest.from_environment({}) is None


# --- local mode -----------------------------------------------------------------------------------


def test_locally_a_change_on_a_branch_needs_a_mentors_review(repo, make_context):
    repo.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n", "src/team/clean.py": "pass  # ok\n"})
    outcome = integrity(make_context(root=repo.root))
    assert not outcome.passed
    assert outcome.measured == f"1 mentor-owned file(s) changed on this branch (since main at {repo.base[:7]})"
    assert outcome.detail.startswith(
        "`capstone.yaml` changed: a change to the mentors' files needs a mentor's approving"
    )
    assert "The CI checkpoint checks the review on the pull request" in outcome.detail


def test_locally_origin_main_is_the_base_when_there_is_one(repo, make_context):
    repo.git("update-ref", "refs/remotes/origin/main", repo.base)
    repo.git("branch", "--quiet", "-f", "main", repo.commit({"docs/stages/1-data.md": "# Data, mentor's edit\n"}))
    repo.git("reset", "--quiet", "--hard", repo.base)  # main moved on locally; the branch did not change anything
    outcome = integrity(make_context(root=repo.root))
    assert outcome.passed
    assert outcome.measured == f"no mentor-owned file changed on this branch (since origin/main at {repo.base[:7]})"


def test_locally_on_main_there_is_nothing_to_compare(repo, make_context):
    repo.git("checkout", "--quiet", "main")
    repo.commit({"capstone.yaml": "version: 1\nmin_margin: 0\n"})
    outcome = integrity(make_context(root=repo.root))
    assert outcome.passed
    assert outcome.measured.startswith("on main itself: nothing to compare")


def test_outside_a_git_repository_there_is_nothing_to_compare(tmp_path, make_context):
    outcome = integrity(make_context(root=tmp_path))
    assert outcome.passed
    assert outcome.measured.endswith(": nothing to compare")  # not a git repository (or not its top)


# --- the pieces -----------------------------------------------------------------------------------


def test_changed_owned_files_lists_deleted_and_renamed_files(repo):
    repo.git("mv", "docs/stages/1-data.md", "docs/stages/1-data-v2.md")
    repo.commit({".github/workflows/checkpoint.yml": None, "src/team/clean.py": "pass  # ok\n"})
    assert approval.changed_owned_files(repo.root, "main") == [
        ".github/workflows/checkpoint.yml",
        "docs/stages/1-data-v2.md",
        "docs/stages/1-data.md",
    ]


def test_changed_owned_files_compares_with_the_merge_base(repo):
    repo.commit({"src/team/clean.py": "pass  # team\n"})
    repo.git("checkout", "--quiet", "main")
    repo.commit({"capstone.yaml": "version: 2\n"}, "the mentors' change on main")
    repo.git("checkout", "--quiet", "stage/1-data")
    assert approval.changed_owned_files(repo.root, "main") == []


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("*", "src/deep/file.py", True),
        ("*.md", "docs/stages/1-data.md", True),
        ("/docs/*", "docs/a.md", True),
        ("docs/*", "docs/stages/1-data.md", False),  # `*` stays within one folder
        ("apps/", "src/apps/main.py", True),  # one name: at any depth
        ("/apps/", "src/apps/main.py", False),  # a leading / anchors it
        ("docs/stages", "docs/stages/1-data.md", True),
        ("docs/stages", "old/docs/stages/1-data.md", False),  # a / inside anchors it too
        ("**/logs", "build/deep/logs/a.txt", True),
        ("/capstone.yaml", "capstone.yaml", True),
        ("/capstone.yaml", "src/capstone.yaml", False),
        ("/.github/", ".github/workflows/checkpoint.yml", True),
        ("a/**/b", "a/x/y/b/c.txt", True),
        ("/Capstone.yaml", "capstone.yaml", False),  # case-sensitive
    ],
)
def test_codeowners_patterns_follow_githubs_syntax(pattern, path, matches):
    assert approval.Rule(pattern, ("@x",), approval.compile_pattern(pattern)).matches(path) is matches


def test_the_last_matching_codeowners_rule_wins():
    rules = approval.parse_codeowners(
        "# comment\n*  @everyone\n/docs/  @writers  # an inline comment\n/docs/stages/  @mentors @acme/mentors\n"
        "/docs/stages/free.md\n!/docs/negated.md @nobody\n"
    )
    assert approval.owners_of(rules, "src/x.py") == ("@everyone",)
    assert approval.owners_of(rules, "docs/guide.md") == ("@writers",)
    assert approval.owners_of(rules, "docs/stages/1-data.md") == ("@mentors", "@acme/mentors")
    assert approval.owners_of(rules, "docs/stages/free.md") == ()  # matched, owned by no one
    assert [rule.pattern for rule in rules] == ["*", "/docs/", "/docs/stages/", "/docs/stages/free.md"]


def test_latest_reviews_ignore_comments():
    reviews = [
        dict(user=dict(login="m"), state="APPROVED", commit_id="a"),
        dict(user=dict(login="m"), state="COMMENTED", commit_id="b"),
        dict(user=dict(login="n"), state="CHANGES_REQUESTED", commit_id="a"),
        dict(user=dict(login="n"), state="APPROVED", commit_id="c"),
        dict(user=None, state="APPROVED", commit_id="c"),
    ]
    assert approval.latest_reviews(reviews) == {
        "m": approval.Review("m", "APPROVED", "a"),
        "n": approval.Review("n", "APPROVED", "c"),
    }
