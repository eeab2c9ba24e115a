"""The pull-request loop: what the checkpoint workflows run, as commands anyone can run locally too.

    python -m capstone.checkpoints.ci stage      # the PR's stage: branch stage/N-... or label stage:N
    python -m capstone.checkpoints.ci prepare    # CI-sized data: fewer feed rows in the job's params.yaml
    python -m capstone.checkpoints.ci summary    # the checkpoint report into the job summary
    python -m capstone.checkpoints.ci pr-info    # the PR number and head commit, for the comment workflow
    python -m capstone.checkpoints.ci comment    # post or update the one sticky comment on the PR

.github/workflows/checkpoint.yml runs the first four on every stage pull request, with a read-only
token (so pull requests from forks work too). .github/workflows/checkpoint-comment.yml runs
`comment` afterwards (workflow_run), from the default branch's code, with the right to comment:
it reads the report from the first run's artifact, never runs the pull request's code.

Untrusted input (branch names, labels, the artifact's files) is passed through environment
variables and treated as data: the stage is a number from 1 to 5 or nothing, and the PR number an
artifact claims is checked against GitHub before anything is posted.

Standard library only, and nothing but this file is imported: the comment workflow runs it with a
bare Python, before (and without) `make setup`.
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

STAGES = range(1, 7)
# The hidden first line of the sticky comment (and of the report): how the workflow finds its comment.
MARKER = "<!-- capstone-checkpoint -->"
BOT_LOGIN = "github-actions[bot]"
REPORTS = Path("reports")
PR_INFO = REPORTS / "checkpoint-pr.json"  # gitignored with the other checkpoint-* reports
COMMENT_LIMIT = 65_000  # GitHub refuses comments over 65 536 characters
CI_ROWS = 5000  # enough rows for the reference scaffold to show its worth (the template's e2e tests use this)

# stage/3-features, stage/3, stage-3-features, Stage_3/anything: "stage", a separator, one digit 1-6,
# then nothing or a separator. [1-6] and not \d: \d would match other scripts' digits too.
BRANCH = re.compile(r"stage[/_-]?([1-6])(?:[/_-].*)?", re.IGNORECASE | re.DOTALL)
LABEL = re.compile(r"stage\s*[:/ ]\s*([1-6])", re.IGNORECASE)


class CIError(Exception):
    """Something the workflow cannot go on without; the message says what and what to do."""


# --- which stage ------------------------------------------------------------------------------


def stage_from_branch(branch: str) -> int | None:
    """The stage a branch name announces (stage/N-...), or None."""
    name = branch.removeprefix("refs/heads/")
    match = BRANCH.fullmatch(name)
    return int(match.group(1)) if match else None


def stage_from_labels(labels: list[str]) -> int | None:
    """The stage a `stage:N` label announces, or None; two different stage labels are an error."""
    found = set()
    for label in labels:
        match = LABEL.fullmatch(str(label).strip())
        if match:
            found.add(int(match.group(1)))
    if len(found) > 1:
        raise CIError(f"the pull request has labels for stages {sorted(found)}; keep one stage:N label")
    return found.pop() if found else None


def find_stage(branch: str, labels: list[str]) -> int | None:
    """The stage of a pull request: its stage:N label if it has one (a mentor can set it), else its branch."""
    return stage_from_labels(labels) or stage_from_branch(branch)


def parse_labels(text: str) -> list[str]:
    """The labels as the workflow passes them: toJSON(github.event.pull_request.labels.*.name)."""
    if not text.strip():
        return []
    try:
        labels = json.loads(text)
    except json.JSONDecodeError:
        raise CIError("PR_LABELS is not a JSON list of label names") from None
    if not isinstance(labels, list):
        raise CIError("PR_LABELS is not a JSON list of label names")
    return [str(label) for label in labels]


# --- CI-sized data ----------------------------------------------------------------------------

FEED_ROWS = re.compile(r"(?m)^(?P<head>[ \t]+feed:[ \t]*(?:#.*)?\n(?:[ \t]+.*\n)*?[ \t]+rows:[ \t]*)(?P<rows>\d+)")


def ci_params(text: str, rows: int, stage: int | None = None) -> tuple[str, str]:
    """params.yaml with data.feed.rows (a custom CSV: data.custom_csv.max_rows) at most `rows`, and a line
    saying what changed.

    The edit is made in the CI job's checkout only: the team's committed params.yaml is unchanged,
    and DVC records the CI value in the job's dvc.lock, so every stage sees the same, honest numbers.
    Stage 1 is the exception: its data-tracked gate grades the data version committed in dvc.lock,
    which only the team's own settings reproduce (the feed is deterministic).
    """
    if stage == 1:
        return text, "stage 1 grades the committed data version: data.feed.rows is left as it is"
    match = FEED_ROWS.search(text)
    if match is None:
        return _ci_sized_custom(text, rows)
    current = int(match.group("rows"))
    if current <= rows:
        return text, f"data.feed.rows is {current}: already CI-sized"
    changed = text[: match.start("rows")] + str(rows) + text[match.end("rows") :]
    return changed, f"data.feed.rows: {current} -> {rows} for this CI run (params.yaml in git is unchanged)"


CUSTOM_CSV = re.compile(r"(?m)^(?P<indent>[ \t]+)custom_csv:[ \t]*(?:#.*)?\n(?P<inner>[ \t]+)")
MAX_ROWS = re.compile(r"(?m)^(?P<head>[ \t]+max_rows:[ \t]*)(?P<rows>\d*)[ \t]*(?:#.*)?$")


def _ci_sized_custom(text: str, rows: int) -> tuple[str, str]:
    """A custom CSV: data.custom_csv.max_rows at most `rows` (ingest then takes a fixed sample)."""
    section = CUSTOM_CSV.search(text)
    if section is None:
        return text, "no data.feed.rows and no data.custom_csv in params.yaml: the data is used as it is"
    body = section.start("inner")  # the first line inside data.custom_csv
    current = MAX_ROWS.search(text, body)
    if current is not None and current.group("rows") and int(current.group("rows")) <= rows:
        return text, f"data.custom_csv.max_rows is {current.group('rows')}: already CI-sized"
    if current is not None:
        changed = text[: current.start("rows")] + str(rows) + text[current.end("rows") :]
    else:
        changed = text[:body] + f"{section.group('inner')}max_rows: {rows}\n" + text[body:]
    said = f"data.custom_csv.max_rows: {rows} for this CI run, a fixed sample (params.yaml in git is unchanged)"
    return changed, said


# --- the job summary and the PR's identity ----------------------------------------------------


def report_path(folder: Path, stage: int) -> Path:
    return folder / f"checkpoint-{stage}.md"


def summary_markdown(stage: int | None, folder: Path = REPORTS) -> str:
    """What the job summary shows: the checkpoint report, or why there is none."""
    if stage is None:
        return (
            "### Checkpoint: not a stage pull request\n\n"
            "Nothing was graded. A stage's pull request comes from a branch named `stage/N-...` "
            "(for example `stage/1-data`) or carries the label `stage:N`.\n"
        )
    path = report_path(folder, stage)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return (
        f"### Checkpoint {stage}: no report\n\n"
        f"`capstone check {stage}` did not write {path}: a step before it failed (setup or the pipeline). "
        "The job log above says which; `make setup`, `make pipeline` and "
        f"`make check STAGE={stage}` reproduce it locally.\n"
    )


def pr_info(number: str, head_sha: str, stage: int | None) -> dict:
    """What the comment workflow needs to know about the pull request (it cannot see the event)."""
    if not number.isdigit():
        raise CIError(f"PR_NUMBER must be a number, got {number!r}")
    if not re.fullmatch(r"[0-9a-f]{40}", head_sha):
        raise CIError("HEAD_SHA must be a full commit SHA")
    return {"number": int(number), "head_sha": head_sha, "stage": stage}


# --- the sticky comment -----------------------------------------------------------------------


def comment_body(report: str | None, stage: int | None, run: dict) -> str:
    """The comment: the hidden marker, the report (or why there is none), and a link to the run.

    `run` is the workflow_run object of the checkpoint run (html_url, conclusion, head_sha, ...).
    """
    link = f"[the checkpoint run]({run.get('html_url', '')})"
    commit = str(run.get("head_sha", ""))[:7]
    if report is None:
        text = (
            f"## ⚠️ Checkpoint{f' {stage}' if stage else ''}: no report\n\n"
            f"The checkpoint of commit `{commit}` ended ({run.get('conclusion') or 'unknown'}) before "
            f"it wrote its report: setup or the pipeline failed. See {link} for the log."
        )
    else:
        # The report starts with the same marker; keep exactly one, at the top.
        text = report.replace(MARKER, "").strip()
    footer = (
        f"\n\n---\n<sub>Commit `{commit}`: {link} has the plots, the Data Docs and the service log "
        "as artifacts. This comment is updated on every push.</sub>"
    )
    room = COMMENT_LIMIT - len(MARKER) - len(footer) - 200
    if len(text) > room:
        text = text[:room] + "\n\n… (cut: the whole report is in the run's job summary)"
    return f"{MARKER}\n{text}{footer}\n"


def find_pr_number(run: dict, claimed: dict | None, github) -> int | None:
    """The pull request a checkpoint run belongs to, or None.

    GitHub lists it in workflow_run.pull_requests for branches of this repository, not for forks:
    then the number comes from the run's artifact. The artifact was written next to the PR's code,
    so it is only believed when GitHub confirms that this PR's head is the commit the run checked.
    """
    head = run.get("head_sha")
    for pull in run.get("pull_requests") or []:
        if pull.get("head", {}).get("sha") == head:
            return int(pull["number"])
    if not claimed or not str(claimed.get("number", "")).isdigit():
        return None
    number = int(claimed["number"])
    pull = github.pull_request(number)
    if pull.get("head", {}).get("sha") != head:
        return None  # a push since (a newer run will comment), or a claim that is not true
    return number


def upsert_comment(github, number: int, body: str) -> str:
    """Update the workflow's own marked comment on PR `number`, or create it; returns what it did."""
    for comment in github.comments(number):
        user = comment.get("user") or {}
        if user.get("login") == BOT_LOGIN and str(comment.get("body", "")).startswith(MARKER):
            github.update_comment(comment["id"], body)
            return f"updated comment {comment['id']}"
    github.create_comment(number, body)
    return "created a comment"


class GitHub:
    """The few REST calls the comment needs, with the workflow's token."""

    def __init__(self, repository: str, token: str, api_url: str = "https://api.github.com"):
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise CIError(f"GITHUB_REPOSITORY must be owner/name, got {repository!r}")
        self.base = f"{api_url.rstrip('/')}/repos/{repository}"
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "capstone-checkpoint",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise CIError(f"GitHub answered {error.code} to {method} {path}: {error.read()[:300]!r}") from None

    def pull_request(self, number: int) -> dict:
        return self.call("GET", f"/pulls/{number}")

    def comments(self, number: int) -> list[dict]:
        found = []
        for page in range(1, 11):  # 1000 comments is more than a PR of this course will have
            batch = self.call("GET", f"/issues/{number}/comments?per_page=100&page={page}")
            found += batch
            if len(batch) < 100:
                break
        return found

    def create_comment(self, number: int, body: str) -> None:
        self.call("POST", f"/issues/{number}/comments", {"body": body})

    def update_comment(self, comment_id: int, body: str) -> None:
        self.call("PATCH", f"/issues/comments/{int(comment_id)}", {"body": body})


def read_artifact(folder: Path) -> tuple[dict | None, str | None]:
    """(pr info, report Markdown) from the downloaded artifact; None for what is not there."""
    info_path = folder / PR_INFO.name
    try:
        claimed = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(claimed, dict):
        return None, None
    stage = claimed.get("stage")
    if stage not in STAGES:
        return claimed, None
    path = report_path(folder, stage)
    report = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    return claimed, report


# --- the commands -----------------------------------------------------------------------------


def _write_github_file(variable: str, text: str) -> bool:
    """Append to the file GitHub names in `variable` (GITHUB_OUTPUT, ...); False outside Actions."""
    target = os.environ.get(variable)
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(text)
    return True


def command_stage(args) -> int:
    branch = args.branch if args.branch is not None else os.environ.get("HEAD_REF", "")
    labels = parse_labels(args.labels if args.labels is not None else os.environ.get("PR_LABELS", ""))
    stage = find_stage(branch, labels)
    _write_github_file("GITHUB_OUTPUT", f"stage={stage or ''}\n")
    # Only the number is printed: a branch name or label is never echoed into the log.
    print(f"stage: {stage}" if stage else "not a stage pull request: nothing to grade")
    return 0


def command_prepare(args) -> int:
    path = Path(args.params)
    stage = int(args.stage) if str(args.stage).isdigit() else None
    text, said = ci_params(path.read_text(encoding="utf-8"), args.rows, stage)
    path.write_text(text, encoding="utf-8")
    print(said)
    return 0


def command_summary(args) -> int:
    stage = int(args.stage) if args.stage else None
    markdown = summary_markdown(stage, Path(args.reports))
    if not _write_github_file("GITHUB_STEP_SUMMARY", markdown + "\n"):
        print(markdown)
    return 0


def command_pr_info(args) -> int:
    stage = os.environ.get("STAGE", "")
    info = pr_info(
        os.environ.get("PR_NUMBER", ""),
        os.environ.get("HEAD_SHA", ""),
        int(stage) if stage.isdigit() and int(stage) in STAGES else None,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def command_comment(args) -> int:
    event = json.loads(Path(args.event or os.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    run = event.get("workflow_run") or {}
    if run.get("event") != "pull_request":
        print("the checkpoint run was not for a pull request: no comment")
        return 0
    claimed, report = read_artifact(Path(args.artifact))
    if claimed is not None and claimed.get("stage") is None:
        print("not a stage pull request: no comment")
        return 0
    github = args.github or GitHub(
        os.environ["GITHUB_REPOSITORY"],
        os.environ.get("GITHUB_TOKEN", ""),
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
    )
    number = find_pr_number(run, claimed, github)
    if number is None:
        print("no open pull request has this run's head commit (a newer push has its own run): no comment")
        return 0
    body = comment_body(report, (claimed or {}).get("stage"), run)
    if args.dry_run:
        print(body)
        return 0
    print(f"pull request #{number}: {upsert_comment(github, number, body)}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m capstone.checkpoints.ci", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

    stage = commands.add_parser("stage", help="which stage the PR delivers (env HEAD_REF, PR_LABELS)")
    stage.add_argument("--branch", help="the branch name (default: $HEAD_REF)")
    stage.add_argument("--labels", help="the labels as a JSON list (default: $PR_LABELS), e.g. '[\"stage:2\"]'")
    stage.set_defaults(run=command_stage)

    prepare = commands.add_parser("prepare", help="CI-sized data: at most --rows feed rows in params.yaml")
    prepare.add_argument("--rows", type=int, default=int(os.environ.get("CAPSTONE_CI_ROWS") or CI_ROWS))
    prepare.add_argument("--params", default="params.yaml")
    prepare.add_argument("--stage", default=os.environ.get("STAGE", ""), help="the stage graded (1 keeps the rows)")
    prepare.set_defaults(run=command_prepare)

    summary = commands.add_parser("summary", help="the report into $GITHUB_STEP_SUMMARY (or stdout)")
    summary.add_argument("--stage", default=os.environ.get("STAGE", ""))
    summary.add_argument("--reports", default=str(REPORTS))
    summary.set_defaults(run=command_summary)

    info = commands.add_parser("pr-info", help="write the PR number and head (env PR_NUMBER, HEAD_SHA, STAGE)")
    info.add_argument("--out", default=str(PR_INFO))
    info.set_defaults(run=command_pr_info)

    comment = commands.add_parser("comment", help="post or update the sticky comment (workflow_run)")
    comment.add_argument("--artifact", required=True, help="the folder the report artifact was downloaded to")
    comment.add_argument("--event", help="the workflow_run event JSON (default: $GITHUB_EVENT_PATH)")
    comment.add_argument("--dry-run", action="store_true", help="print the comment instead of posting it")
    comment.set_defaults(run=command_comment, github=None)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CIError as problem:
        print(f"ERROR: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
