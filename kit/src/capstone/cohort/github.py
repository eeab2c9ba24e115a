"""Put a cohort's baked repositories on GitHub through `gh`, as docs/instructors.md steps 3 to 5 do by hand.

`plan` turns the teams into steps, per team and in order:

    create ORG/SLUG and push main        gh repo create ... --source FOLDER --push
    give each member Write               gh api -X PUT repos/ORG/SLUG/collaborators/USER -f permission=push
    give each mentor (user or team) Write
    require mentor review on main        gh api -X POST repos/ORG/SLUG/rulesets --input -   (step 5's ruleset)
    read-only workflow token             gh api -X PUT repos/ORG/SLUG/actions/permissions/workflow ...
    create the `holdout` environment     the mentors as required reviewers, prevent_self_review
    check that the reviewers took        on a private repository they need GitHub Enterprise
    the holdout secret                   a seed from secrets_dir/<slug>.holdout-seed, or (custom_csv) a check that
                                         the mentors have set CAPSTONE_HOLDOUT_PATH

    the grader login                     (--credentials) grader.<slug>.env from add-teams into the environment,
                                         and the variable CAPSTONE_RESULTS_URI that turns recording on

The secrets come last: they are stored only once the environment is known to hold them back until a mentor approves.

Each step carries a read-only `done` check, so a rerun skips what is done (an existing repository is not pushed
again, an existing secret is kept). `as_script` prints the steps as a bash script (each guarded by its check);
`apply` runs them. A secret's value is never in a command line, a script or a report: gh reads it from its file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from capstone.checkpoints.holdout import PATH_VARIABLE as PATH_SECRET
from capstone.checkpoints.holdout import SECRET_VARIABLE as SEED_SECRET
from capstone.cohort.results import GRADER_PREFIX
from capstone.grading.record import PASSWORD as RESULTS_PASSWORD
from capstone.grading.record import URI as RESULTS_URI

ENVIRONMENT = "holdout"
CUSTOM_DATASET = "custom_csv"
MAX_REVIEWERS = 6  # GitHub's limit of required reviewers on an environment

# docs/instructors.md, "5. Require mentor review" (a test checks that the two agree).
RULESET = {
    "name": "main: pull requests with mentor review",
    "target": "branch",
    "enforcement": "active",
    "bypass_actors": [],
    "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
    "rules": [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        {
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": 1,
                "require_code_owner_review": True,
                "dismiss_stale_reviews_on_push": True,
                "require_last_push_approval": False,
                "required_review_thread_resolution": False,
            },
        },
        {
            "type": "required_status_checks",
            "parameters": {
                "strict_required_status_checks_policy": False,
                "required_status_checks": [
                    {"context": "lint and test"},
                    {"context": "checkpoint / stage"},
                    {"context": "checkpoint / holdout features (mentor approval)"},
                    {"context": "checkpoint / grade"},
                    {"context": "checkpoint / holdout score (mentor approval)"},
                ],
            },
        },
    ],
}

# GitHub's rules: a user or organisation name is letters, digits and single inner hyphens, at most 39 characters;
# a team's slug letters, digits, "-" and "_"; a repository's name letters, digits, ".", "-" and "_".
OWNER = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
TEAM_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
REPO_NAME = re.compile(r"^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$")
VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
VISIBILITIES = ("private", "public", "internal")
STOP = 'printf "%s\\n" "$1" >&2; exit 1'  # see _stop


@dataclass(frozen=True)
class TeamRepo:
    slug: str  # the repository name (the baked folder's name)
    folder: Path  # the baked repository (a git repo on main)
    members: tuple[str, ...]  # students' GitHub user handles (no @)
    mentors: tuple[str, ...]  # user handles or "org/team" (no @)
    dataset: str  # "custom_csv" needs CAPSTONE_HOLDOUT_PATH instead of a seed


@dataclass(frozen=True)
class Step:
    team: str
    what: str  # one line for a human
    done: list[str] | None  # read-only command: success (exit 0, stdout containing `expect`) means done already
    expect: str | None
    command: list[str]  # the command that does it
    stdin: str | None = None  # a JSON body for `gh api --input -`; ${NAME} is filled in from `resolve`
    stdin_file: Path | None = None  # a file to feed the command (a secret: its value stays out of argv and scripts)
    resolve: dict[str, list[str]] | None = None  # ${NAME} in stdin -> the gh command printing its value (an id)
    needs: str | None = None  # set when someone else must act: "the mentors: ..." (reported as "needs ...")


def plan(
    org: str,
    teams: list[TeamRepo],
    visibility: str = "private",
    secrets_dir: Path | None = None,
    credentials_dir: Path | None = None,
) -> list[Step]:
    """The steps that put `teams` on GitHub under `org`; raises ValueError (one line) on a bad name or folder.

    Writes a random seed to secrets_dir/<slug>.holdout-seed (mode 0600) for each built-in-dataset team that has
    none yet, so the printed script and `apply` read the same file, and a rerun keeps it. With credentials_dir
    (where the cohort server's add-teams wrote the logins), each team's grader login grader.<slug>.env goes
    into its holdout environment and the server's URL into the variable that turns recording on.
    """
    if not OWNER.match(org):
        raise ValueError(f"{org!r} is not a GitHub organisation name")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}")
    slugs = [team.slug for team in teams]
    for team in teams:
        _check(org, team)
        if slugs.count(team.slug) > 1:
            raise ValueError(f"team {team.slug}: two teams have this repository name")
    if any(team.dataset != CUSTOM_DATASET for team in teams):
        _check_secrets_dir(secrets_dir)
    steps: list[Step] = []
    for team in teams:
        steps += _team_steps(org, team, visibility, secrets_dir)
        if credentials_dir is not None:
            steps += _results_steps(f"{org}/{team.slug}", team.slug, credentials_dir)
    return steps


def _results_steps(repo: str, slug: str, credentials_dir: Path) -> list[Step]:
    """The course's grader login for this team (results recorded on the cohort server), if add-teams made it."""
    login = credentials_dir / f"{GRADER_PREFIX}{slug}.env"
    if not login.is_file():
        return [
            Step(
                slug,
                f"store the grader login from {login}",
                None,
                None,
                _stop(f"{login} does not exist: run `make cohort-teams` with this team in the cohort file first"),
            )
        ]
    server = _dotenv(login).get(RESULTS_URI, "")
    if not server.startswith(("http://", "https://")):
        raise ValueError(f"{login} has no {RESULTS_URI}: it is not a grader login file from add-teams")
    return [
        Step(
            slug,
            f"store the grader login in the {ENVIRONMENT} environment (from {login})",
            ["gh", "secret", "list", "--env", ENVIRONMENT, "--repo", repo],
            RESULTS_PASSWORD,
            ["gh", "secret", "set", "--env", ENVIRONMENT, "--repo", repo, "--env-file", str(login)],
        ),
        Step(
            slug,
            f"turn recording on: variable {RESULTS_URI}={server}",
            ["gh", "variable", "list", "--repo", repo],
            RESULTS_URI,
            ["gh", "variable", "set", RESULTS_URI, "--repo", repo, "--body", server],
        ),
    ]


def offline_settings(teams: list[TeamRepo], credentials_dir: Path | None) -> list[str]:
    """What in the baked repositories or the logins no GitHub runner can use (a machine path, a loopback server)."""
    found = []
    for team in teams:
        project = team.folder / "pyproject.toml"
        text = project.read_text(encoding="utf-8") if project.is_file() else ""
        if "file://" in text or 'path = "/' in text:
            found.append(
                f"{team.slug}: its pyproject.toml installs the kit from this machine (a local template clone); "
                "GitHub's runners cannot: bake from the course repository on GitHub (gh:ORG/NAME) for real teams"
            )
        login = credentials_dir / f"{GRADER_PREFIX}{team.slug}.env" if credentials_dir else None
        server = _dotenv(login).get(RESULTS_URI, "") if login and login.is_file() else ""
        if re.match(r"^https?://(127\.|localhost|\[::1\])", server):
            found.append(f"{team.slug}: the cohort server {server} is this machine; GitHub's runners cannot reach it")
    return found


def _dotenv(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _check(org: str, team: TeamRepo) -> None:
    def refuse(what: str) -> ValueError:
        return ValueError(f"team {team.slug}: {what}")

    if not REPO_NAME.match(team.slug):
        raise refuse(f"{team.slug!r} is not a GitHub repository name")
    if not (team.folder / ".git").exists():
        raise refuse(f"{team.folder} is not a git repository (bake it first)")
    for handle in team.members:
        if not OWNER.match(handle):
            raise refuse(f"member {handle!r} is not a GitHub user handle")
    if not team.mentors:
        raise refuse("no mentors: the holdout environment needs them as its reviewers")
    if len(team.mentors) > MAX_REVIEWERS:
        raise refuse(f"{len(team.mentors)} mentors: GitHub takes at most {MAX_REVIEWERS} reviewers (use a team)")
    for handle in team.mentors:
        owner, _, slug = handle.partition("/")
        if not OWNER.match(owner) or ("/" in handle and not TEAM_SLUG.match(slug)):
            raise refuse(f"mentor {handle!r} is not a GitHub user handle or org/team")
        if slug and owner.lower() != org.lower():
            raise refuse(f"mentor {handle!r} is a team of another organisation than {org}")


def _check_secrets_dir(secrets_dir: Path | None) -> None:
    if secrets_dir is None:
        raise ValueError("the holdout seeds need a secrets folder (outside any git repository)")
    folder = secrets_dir.expanduser().resolve()
    for place in (folder, *folder.parents):
        if (place / ".git").exists():
            raise ValueError(f"secrets folder {secrets_dir} is inside the git work tree {place}: choose one outside")


def _seed_file(secrets_dir: Path, slug: str) -> Path:
    """secrets_dir/<slug>.holdout-seed, written (mode 0600) with a fresh random seed when missing."""
    folder = secrets_dir.expanduser().resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{slug}.holdout-seed"
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(secrets.token_hex(16))
    return path


def _team_steps(org: str, team: TeamRepo, visibility: str, secrets_dir: Path | None) -> list[Step]:
    repo = f"{org}/{team.slug}"

    def step(what: str, command: list[str], done: list[str] | None = None, expect: str | None = None, **more) -> Step:
        return Step(team=team.slug, what=what, done=done, expect=expect, command=command, **more)

    steps = [
        step(
            f"create {repo} ({visibility}) and push main",
            ["gh", "repo", "create", repo, f"--{visibility}", "--source", str(team.folder), "--push"],
            done=["gh", "repo", "view", repo, "--json", "name"],
        )
    ]
    for user in team.members:
        steps.append(step(f"give member {user} Write", _collaborator(repo, user)))
    for mentor in team.mentors:
        if "/" in mentor:
            team_org, _, team_slug = mentor.partition("/")
            command = ["gh", "api", "-X", "PUT", f"orgs/{team_org}/teams/{team_slug}/repos/{repo}"]
            steps.append(step(f"give mentor team {mentor} Write", [*command, "-f", "permission=push"]))
        else:
            steps.append(step(f"give mentor {mentor} Write", _collaborator(repo, mentor)))
    steps.append(
        step(
            f"require mentor review on main (ruleset {RULESET['name']!r})",
            ["gh", "api", "-X", "POST", f"repos/{repo}/rulesets", "--input", "-"],
            done=["gh", "api", f"repos/{repo}/rulesets", "--jq", ".[].name"],
            expect=str(RULESET["name"]),
            stdin=json.dumps(RULESET, indent=2),
        )
    )
    steps.append(
        step(
            "give workflows a read-only token that cannot approve pull requests",
            ["gh", "api", "-X", "PUT", f"repos/{repo}/actions/permissions/workflow"]
            + ["-f", "default_workflow_permissions=read", "-F", "can_approve_pull_request_reviews=false"],
        )
    )
    reviewers, resolve = [], {}
    for number, mentor in enumerate(team.mentors, start=1):
        name = f"REVIEWER_{number}_ID"
        if "/" in mentor:
            team_org, _, team_slug = mentor.partition("/")
            reviewers.append(f'{{"type": "Team", "id": ${{{name}}}}}')
            resolve[name] = ["gh", "api", f"orgs/{team_org}/teams/{team_slug}", "--jq", ".id"]
        else:
            reviewers.append(f'{{"type": "User", "id": ${{{name}}}}}')
            resolve[name] = ["gh", "api", f"users/{mentor}", "--jq", ".id"]
    body = (
        f'{{\n  "reviewers": [{", ".join(reviewers)}],\n'
        '  "prevent_self_review": true,\n  "deployment_branch_policy": null\n}'
    )
    steps.append(
        step(
            f"create the {ENVIRONMENT} environment with {', '.join(team.mentors)} as required reviewers",
            ["gh", "api", "-X", "PUT", f"repos/{repo}/environments/{ENVIRONMENT}", "--input", "-"],
            stdin=body,
            resolve=resolve,
        )
    )
    steps.append(
        step(
            f"check that the {ENVIRONMENT} environment requires the mentors' approval",
            _stop(
                f"{repo}: the {ENVIRONMENT} environment has no required reviewers (a private repository needs "
                "GitHub Enterprise for them): make it public or use an Enterprise organisation; no secret is set"
            ),
            done=["gh", "api", f"repos/{repo}/environments/{ENVIRONMENT}", "--jq", "[.protection_rules[].type]"],
            expect="required_reviewers",
        )
    )
    secret_list = ["gh", "secret", "list", "--env", ENVIRONMENT, "--repo", repo]
    if team.dataset == CUSTOM_DATASET:
        needs = (
            f"the mentors: set {PATH_SECRET} (gh secret set {PATH_SECRET} --env {ENVIRONMENT} --repo {repo} "
            "< holdout-url.txt)"
        )
        steps.append(
            step(
                f"check that the mentors have set {PATH_SECRET} (custom_csv: their own holdout file)",
                _stop(f"needs {needs}"),
                done=secret_list,
                expect=PATH_SECRET,
                needs=needs,
            )
        )
    else:
        assert secrets_dir is not None  # plan checked it
        seed = _seed_file(secrets_dir, team.slug)
        steps.append(
            step(
                f"store {SEED_SECRET} in the {ENVIRONMENT} environment (from {seed})",
                ["gh", "secret", "set", SEED_SECRET, "--env", ENVIRONMENT, "--repo", repo],
                done=secret_list,
                expect=SEED_SECRET,
                stdin_file=seed,
            )
        )
    return steps


def _collaborator(repo: str, user: str) -> list[str]:
    return ["gh", "api", "-X", "PUT", f"repos/{repo}/collaborators/{user}", "-f", "permission=push"]


def _stop(message: str) -> list[str]:
    """A command that prints `message` on stderr and fails: a step no command of ours can do."""
    return ["sh", "-c", STOP, "sh", message]


Runner = Callable[..., subprocess.CompletedProcess]


def apply(steps: list[Step], run: Runner = subprocess.run) -> list[tuple[Step, str]]:
    """Run each step not done already; one result per step.

    "done already" | "done" | "failed: <first line of stderr>" | "needs <who>: <what>" | "skipped: ...".
    After a failure, the rest of that team's steps are skipped (the other teams go on); a rerun picks them up.
    """
    results: list[tuple[Step, str]] = []
    failed: set[str] = set()
    for step in steps:
        if step.team in failed:
            results.append((step, "skipped: an earlier step of this team failed"))
            continue
        result = _apply_one(step, run)
        if result.startswith("failed"):
            failed.add(step.team)
        results.append((step, result))
    return results


def _apply_one(step: Step, run: Runner) -> str:
    if step.done is not None:
        check = _run(run, step.done)
        if check.returncode == 0 and (step.expect is None or step.expect in check.stdout):
            return "done already"
    stdin = step.stdin
    for name, command in (step.resolve or {}).items():
        found = _run(run, command)
        value = found.stdout.strip()
        if found.returncode != 0 or not value.isdigit():
            return f"failed: {shlex.join(command)}: {_first_line(found.stderr) or 'no id'}"
        stdin = (stdin or "").replace(f"${{{name}}}", value)
    if step.stdin_file is not None:
        try:
            stdin = step.stdin_file.read_text(encoding="utf-8")
        except OSError as problem:
            return f"failed: cannot read {step.stdin_file}: {problem.strerror}"
    outcome = _run(run, step.command, stdin)
    if outcome.returncode == 0:
        return "done"
    if step.needs is not None:
        return f"needs {step.needs}"
    return f"failed: {_first_line(outcome.stderr) or f'exit status {outcome.returncode}'}"


def _run(run: Runner, command: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    try:
        return run(command, input=stdin, capture_output=True, text=True, check=False)
    except OSError as problem:
        return subprocess.CompletedProcess(command, 127, "", f"{command[0]}: {problem.strerror}")


def _first_line(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def as_script(steps: list[Step]) -> str:
    """A bash script doing `steps`, each guarded by its check; a step that needs someone else is reported at the end.

    Ids are resolved by `$(gh api ... --jq .id)` when the step runs; a secret is fed from its file.
    """
    # In braces: bash reads the whole script before it runs a command, so it also works piped into `bash`
    # (a command reading stdin cannot eat the rest of the script).
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", "{", "pending=0"]
    team = None
    for step in steps:
        if step.team != team:
            team = step.team
            lines += ["", f"# ---- {team} ----"]
        lines.append(f"# {step.what}")
        body = []
        for name, command in (step.resolve or {}).items():
            body.append(f'{name}="$({shlex.join(command)})"')
        if step.needs is not None:
            body.append(f"echo {shlex.quote('needs ' + step.needs)} >&2")
            body.append("pending=1")
        elif step.stdin is not None:
            # Unquoted heredoc only to fill in ${NAME}: the body is our own JSON, with no other $, ` or \.
            marker = "JSON" if step.resolve else "'JSON'"
            body.append(f"{shlex.join(step.command)} <<{marker}\n{step.stdin}\nJSON")
        elif step.stdin_file is not None:
            body.append(f"{shlex.join(step.command)} < {shlex.quote(str(step.stdin_file))}")
        elif step.command[:3] == ["sh", "-c", STOP]:
            body.append(f"echo {shlex.quote(step.command[4])} >&2")
            body.append("exit 1")
        else:
            body.append(shlex.join(step.command))
        if step.done is None:
            lines += body
            continue
        check = shlex.join(step.done)
        if step.expect is None:
            check += " >/dev/null 2>&1"
        else:  # grep without -q reads all of gh's output (no SIGPIPE for pipefail to see)
            check += f" 2>/dev/null | grep -F -e {shlex.quote(step.expect)} >/dev/null"
        # A heredoc's body and end marker stay at the line's start: only its first line is indented.
        lines += [f"if ! {check}; then", *("  " + line for line in body), "fi"]
    lines += [
        "",
        'if [ "$pending" -ne 0 ]; then',
        "  echo 'Some steps need the mentors (above); rerun this script once they are done.' >&2",
        "  exit 1",
        "fi",
        "}",
    ]
    return "\n".join(lines) + "\n"
