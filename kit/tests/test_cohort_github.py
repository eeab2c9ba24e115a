"""capstone.cohort.github: the plan, the printed script and `apply`, against a stand-in `gh` (no network).

The stand-in is a small Python script put first on PATH as `gh`. It appends each call (argv and stdin) as a
JSON line to a log, and answers from a JSON state file (the repositories, their collaborators, environments,
secrets and rulesets; user and team ids), which it updates on create, PUT, POST and `secret set`, so a second
run sees what the first did. `gh repo create --source --push` is only recorded: no real git push.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from capstone.cohort.github import RULESET, TeamRepo, apply, as_script, plan

ORG = "my-course"

STAND_IN = textwrap.dedent(
    """\
    import json, os, sys

    STATE, LOG = os.environ["STAND_IN_GH_STATE"], os.environ["STAND_IN_GH_LOG"]
    argv = sys.argv[1:]
    stdin = None if sys.stdin.isatty() else sys.stdin.read()
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": argv, "stdin": stdin}) + "\\n")
    with open(STATE, encoding="utf-8") as file:
        state = json.load(file)
    repos = state.setdefault("repos", {})


    def save():
        with open(STATE, "w", encoding="utf-8") as file:
            json.dump(state, file)


    def fail(message, code=1):
        sys.stderr.write(message + "\\n")
        sys.exit(code)


    def repo(name):
        if name not in repos:
            fail(f"HTTP 404: Not Found (https://api.github.com/repos/{name})")
        return repos[name]


    def option(args, name):
        return args[args.index(name) + 1] if name in args else None


    if argv[:2] == ["repo", "view"]:
        print(json.dumps({"name": repo(argv[2])["name"]}))
    elif argv[:2] == ["repo", "create"]:
        name = argv[2]
        if name in state.get("fail", {}):
            fail(state["fail"][name])
        if name in repos:
            fail(f"GraphQL: Name already exists on this account (createRepository)")
        if not os.path.isdir(os.path.join(option(argv, "--source"), ".git")):
            fail("--source is not a git repository")
        repos[name] = {"name": name.split("/")[1], "private": "--private" in argv, "pushed": "--push" in argv,
                       "collaborators": {}, "teams": {}, "environments": {}, "secrets": {}, "rulesets": [],
                       "workflow": {}}
        save()
    elif argv[:2] == ["secret", "list"]:
        for name in repo(option(argv, "--repo"))["secrets"]:
            print(f"{name}\\t2026-01-01T00:00:00Z")
    elif argv[:2] == ["secret", "set"]:
        target = repo(option(argv, "--repo"))
        if option(argv, "--env") not in target["environments"]:
            fail("HTTP 404: environment not found")
        if "--env-file" in argv:
            with open(option(argv, "--env-file"), encoding="utf-8") as file:
                lines = [line.strip() for line in file if "=" in line and not line.startswith("#")]
            target["secrets"].update(line.split("=", 1) for line in lines)
        else:
            target["secrets"][argv[2]] = stdin
        save()
    elif argv[:2] == ["variable", "list"]:
        for name in repo(option(argv, "--repo")).get("variables", {}):
            print(f"{name}\t2026-01-01T00:00:00Z")
    elif argv[:2] == ["variable", "set"]:
        repo(option(argv, "--repo")).setdefault("variables", {})[argv[2]] = option(argv, "--body")
        save()
    elif argv[0] == "api":
        args, method, fields, path = argv[1:], "GET", {}, None
        while args:
            head, *args = args
            if head in ("-X", "--jq", "--input"):
                value, *args = args
                method = value if head == "-X" else method
            elif head in ("-f", "-F"):
                value, *args = args
                key, _, field = value.partition("=")
                fields[key] = field
            else:
                path = head
        parts = path.split("/")
        if parts[0] == "users" and len(parts) == 2:
            if parts[1] not in state.get("users", {}):
                fail("HTTP 404: Not Found (https://api.github.com/users/" + parts[1] + ")")
            print(state["users"][parts[1]])
        elif parts[0] == "orgs" and len(parts) == 4 and method == "GET":
            print(state["teams"]["/".join(parts[1:4:2])])
        elif parts[0] == "orgs" and parts[4] == "repos" and method == "PUT":
            repo("/".join(parts[5:7]))["teams"]["/".join(parts[1:4:2])] = fields["permission"]
            save()
        elif parts[3] == "collaborators" and method == "PUT":
            repo("/".join(parts[1:3]))["collaborators"][parts[4]] = fields["permission"]
            save()
        elif parts[3] == "environments" and method == "PUT":
            body = json.loads(stdin)  # fails the call when an id was not filled in
            target = repo("/".join(parts[1:3]))
            rules = ["required_reviewers"] if body["reviewers"] and state.get("enterprise", True) else []
            target["environments"][parts[4]] = {"body": body, "protection_rules": rules}
            save()
        elif parts[3] == "environments":
            print(json.dumps(repo("/".join(parts[1:3]))["environments"][parts[4]]["protection_rules"]))
        elif parts[3] == "rulesets" and method == "POST":
            repo("/".join(parts[1:3]))["rulesets"].append(json.loads(stdin))
            save()
        elif parts[3] == "rulesets":
            for ruleset in repo("/".join(parts[1:3]))["rulesets"]:
                print(ruleset["name"])
        elif parts[3] == "actions" and method == "PUT":
            repo("/".join(parts[1:3]))["workflow"] = fields
            save()
        else:
            fail("stand-in gh: unknown api call " + " ".join(argv), 2)
    else:
        fail("stand-in gh: unknown command " + " ".join(argv), 2)
    """
)


class Gh:
    """The stand-in's state and log."""

    def __init__(self, root: Path) -> None:
        self.state_file, self.log_file = root / "gh-state.json", root / "gh-log.jsonl"

    @property
    def state(self) -> dict:
        return json.loads(self.state_file.read_text(encoding="utf-8"))

    def set(self, **changes) -> None:
        self.state_file.write_text(json.dumps({**self.state, **changes}), encoding="utf-8")

    def calls(self) -> list[dict]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text(encoding="utf-8").splitlines()]

    def argvs(self, *prefix: str) -> list[list[str]]:
        return [call["argv"] for call in self.calls() if call["argv"][: len(prefix)] == list(prefix)]


@pytest.fixture
def gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gh:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "gh"
    script.write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    stand_in = Gh(tmp_path)
    monkeypatch.setenv("STAND_IN_GH_STATE", str(stand_in.state_file))
    monkeypatch.setenv("STAND_IN_GH_LOG", str(stand_in.log_file))
    stand_in.state_file.write_text(
        json.dumps({"users": {"grace": 101, "alan": 102}, "teams": {f"{ORG}/mentors": 7}}), encoding="utf-8"
    )
    return stand_in


@pytest.fixture
def teams(tmp_path: Path) -> list[TeamRepo]:
    found = []
    for slug, members, mentors, dataset in [
        ("churn-radar", ("ada", "linus"), ("grace", f"{ORG}/mentors"), "churn"),
        ("own-data", ("barbara",), ("alan",), "custom_csv"),
    ]:
        folder = tmp_path / "repos" / slug
        (folder / ".git").mkdir(parents=True)
        found.append(TeamRepo(slug=slug, folder=folder, members=members, mentors=mentors, dataset=dataset))
    return found


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    return tmp_path / "secrets"


def seeds(secrets_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(secrets_dir.glob("*.holdout-seed"))}


def result_of(results: list, team: str, what: str) -> str:
    return next(result for step, result in results if step.team == team and step.what.startswith(what))


def positions(text: str, pieces: list[str]) -> list[int]:
    found = [text.find(piece) for piece in pieces]
    assert -1 not in found, [piece for piece, at in zip(pieces, found, strict=True) if at == -1]
    return found


def test_the_printed_script_has_every_command_in_order_guarded_and_no_secret(teams, secrets_dir):
    script = as_script(plan(ORG, teams, secrets_dir=secrets_dir))
    repo = f"{ORG}/churn-radar"
    expected = [
        f"if ! gh repo view {repo} --json name >/dev/null 2>&1; then",
        f"  gh repo create {repo} --private --source {teams[0].folder} --push",
        f"gh api -X PUT repos/{repo}/collaborators/ada -f permission=push",
        f"gh api -X PUT repos/{repo}/collaborators/linus -f permission=push",
        f"gh api -X PUT repos/{repo}/collaborators/grace -f permission=push",
        f"gh api -X PUT orgs/{ORG}/teams/mentors/repos/{repo} -f permission=push",
        f"if ! gh api repos/{repo}/rulesets --jq '.[].name' 2>/dev/null | grep -F -e '{RULESET['name']}' >/dev/null",
        f"  gh api -X POST repos/{repo}/rulesets --input - <<'JSON'",
        f"gh api -X PUT repos/{repo}/actions/permissions/workflow -f default_workflow_permissions=read",
        'REVIEWER_1_ID="$(gh api users/grace --jq .id)"',
        f'REVIEWER_2_ID="$(gh api orgs/{ORG}/teams/mentors --jq .id)"',
        f"gh api -X PUT repos/{repo}/environments/holdout --input - <<JSON",
        '"reviewers": [{"type": "User", "id": ${REVIEWER_1_ID}}, {"type": "Team", "id": ${REVIEWER_2_ID}}]',
        '"prevent_self_review": true',
        f"if ! gh api repos/{repo}/environments/holdout --jq '[.protection_rules[].type]' 2>/dev/null",
        f"if ! gh secret list --env holdout --repo {repo} 2>/dev/null | grep -F -e CAPSTONE_HOLDOUT_SEED >/dev/null",
        f"  gh secret set CAPSTONE_HOLDOUT_SEED --env holdout --repo {repo} < {secrets_dir.resolve()}/churn-radar",
        f"gh repo create {ORG}/own-data --private",
        f"gh api -X PUT repos/{ORG}/own-data/collaborators/barbara -f permission=push",
        f"gh api -X PUT repos/{ORG}/own-data/environments/holdout --input - <<JSON",
        f"if ! gh secret list --env holdout --repo {ORG}/own-data 2>/dev/null | grep -F -e CAPSTONE_HOLDOUT_PATH",
        "  echo 'needs the mentors: set CAPSTONE_HOLDOUT_PATH",
        'if [ "$pending" -ne 0 ]; then',
    ]
    found = positions(script, expected)
    assert found == sorted(found)
    assert script.startswith("#!/usr/bin/env bash\nset -euo pipefail\n")
    assert "gh secret set CAPSTONE_HOLDOUT_SEED --env holdout --repo my-course/own-data" not in script
    assert list(seeds(secrets_dir)) == ["churn-radar.holdout-seed"]  # custom_csv needs no seed
    for value in seeds(secrets_dir).values():
        assert len(value) == 32 and value not in script
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to check the script's syntax")
    checked = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_printed_script_runs_and_a_rerun_skips_what_is_done(gh, teams, secrets_dir):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = as_script(plan(ORG, teams, secrets_dir=secrets_dir))

    first = subprocess.run([bash], input=script, capture_output=True, text=True, check=False)
    assert first.returncode == 1  # own-data: the mentors must set their file's location
    assert "needs the mentors: set CAPSTONE_HOLDOUT_PATH" in first.stderr
    churn = gh.state["repos"][f"{ORG}/churn-radar"]
    assert churn["environments"]["holdout"]["body"]["reviewers"] == [
        {"type": "User", "id": 101},
        {"type": "Team", "id": 7},
    ]
    assert churn["rulesets"] == [RULESET]
    assert churn["secrets"] == {"CAPSTONE_HOLDOUT_SEED": seeds(secrets_dir)["churn-radar.holdout-seed"]}
    assert seeds(secrets_dir)["churn-radar.holdout-seed"] not in first.stdout + first.stderr
    calls = len(gh.calls())

    subprocess.run([bash], input=script, capture_output=True, text=True, check=False)
    again = [call["argv"] for call in gh.calls()[calls:]]
    assert not [argv for argv in again if argv[:2] in (["repo", "create"], ["secret", "set"])]
    assert not [argv for argv in again if argv[:3] == ["api", "-X", "POST"]]

    gh.set(enterprise=False, repos={})  # private repositories without GitHub Enterprise: no reviewers
    third = subprocess.run([bash], input=script, capture_output=True, text=True, check=False)
    assert third.returncode == 1 and "the holdout environment has no required reviewers" in third.stderr
    assert not gh.state["repos"][f"{ORG}/churn-radar"]["secrets"]  # the script stopped before the secret
    assert f"{ORG}/own-data" not in gh.state["repos"]


def test_the_ruleset_is_the_one_in_the_instructors_guide():
    guide = Path(__file__).resolve().parents[2] / "docs" / "instructors.md"
    if not guide.exists():
        pytest.skip("no docs/instructors.md next to the kit")
    text = guide.read_text(encoding="utf-8").split("## 5. Require mentor review", 1)[1]
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == RULESET


def test_apply_creates_gives_access_guards_and_stores_the_seed(gh, teams, secrets_dir):
    results = apply(plan(ORG, teams, secrets_dir=secrets_dir))

    assert [result for step, result in results if result != "done"] == [
        "done already",  # churn-radar: its holdout environment requires the mentors' approval
        "done already",  # own-data: the same
        "needs the mentors: set CAPSTONE_HOLDOUT_PATH (gh secret set CAPSTONE_HOLDOUT_PATH --env holdout "
        "--repo my-course/own-data < holdout-url.txt)",
    ]
    state = gh.state["repos"]
    assert sorted(state) == [f"{ORG}/churn-radar", f"{ORG}/own-data"]
    churn, own = state[f"{ORG}/churn-radar"], state[f"{ORG}/own-data"]
    assert churn["private"] and churn["pushed"]
    assert churn["collaborators"] == {"ada": "push", "linus": "push", "grace": "push"}
    assert churn["teams"] == {f"{ORG}/mentors": "push"}
    assert own["collaborators"] == {"barbara": "push", "alan": "push"}
    assert churn["environments"]["holdout"]["body"] == {
        "reviewers": [{"type": "User", "id": 101}, {"type": "Team", "id": 7}],
        "prevent_self_review": True,
        "deployment_branch_policy": None,
    }
    assert own["environments"]["holdout"]["body"]["reviewers"] == [{"type": "User", "id": 102}]
    assert [ruleset["name"] for ruleset in churn["rulesets"]] == [RULESET["name"]]
    assert churn["rulesets"][0] == RULESET and own["rulesets"] == [RULESET]
    assert churn["workflow"] == {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": "false"}
    assert len(gh.argvs("repo", "create")) == 2
    assert len(gh.argvs("api", "-X", "POST")) == 2

    seed_file = secrets_dir.resolve() / "churn-radar.holdout-seed"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    seed = seed_file.read_text(encoding="utf-8")
    assert churn["secrets"] == {"CAPSTONE_HOLDOUT_SEED": seed}
    assert own["secrets"] == {}  # the mentors set their file's location themselves
    assert [call["argv"] for call in gh.calls() if call["stdin"] == seed] == [
        ["secret", "set", "CAPSTONE_HOLDOUT_SEED", "--env", "holdout", "--repo", f"{ORG}/churn-radar"]
    ]
    assert all(seed not in " ".join(call["argv"]) for call in gh.calls())
    assert all(seed not in step.what + " ".join(step.command) for step, _ in results)


def test_a_second_run_does_nothing_twice_and_keeps_the_seed(gh, teams, secrets_dir):
    apply(plan(ORG, teams, secrets_dir=secrets_dir))
    before, calls = seeds(secrets_dir), len(gh.calls())

    results = apply(plan(ORG, teams, secrets_dir=secrets_dir))

    for team in ("churn-radar", "own-data"):
        assert result_of(results, team, f"create {ORG}/{team}") == "done already"
        assert result_of(results, team, "require mentor review") == "done already"
        assert result_of(results, team, "give member") == "done"  # a PUT: idempotent by nature
        assert result_of(results, team, "create the holdout environment") == "done"  # the same
    assert result_of(results, "churn-radar", "store CAPSTONE_HOLDOUT_SEED") == "done already"
    assert result_of(results, "own-data", "check that the mentors").startswith("needs the mentors")
    assert seeds(secrets_dir) == before
    again = gh.calls()[calls:]
    assert not [call for call in again if call["argv"][:2] in (["repo", "create"], ["secret", "set"])]
    assert not [call for call in again if call["argv"][:3] == ["api", "-X", "POST"]]
    assert len(gh.state["repos"][f"{ORG}/churn-radar"]["rulesets"]) == 1

    # Once the mentors have set their file's location, the custom_csv team is done too.
    state = gh.state
    state["repos"][f"{ORG}/own-data"]["secrets"]["CAPSTONE_HOLDOUT_PATH"] = "https://example.org/signed"
    gh.set(repos=state["repos"])
    results = apply(plan(ORG, teams, secrets_dir=secrets_dir))
    assert {result for _, result in results} <= {"done", "done already"}


def test_a_failing_call_is_reported_and_the_other_team_goes_on(gh, teams, secrets_dir):
    gh.set(fail={f"{ORG}/churn-radar": "HTTP 403: Resource not accessible by integration"})

    results = apply(plan(ORG, teams, secrets_dir=secrets_dir))

    churn = [result for step, result in results if step.team == "churn-radar"]
    assert churn[0] == "failed: HTTP 403: Resource not accessible by integration"
    assert set(churn[1:]) == {"skipped: an earlier step of this team failed"}
    assert list(gh.state["repos"]) == [f"{ORG}/own-data"]
    own = [result for step, result in results if step.team == "own-data"]
    assert set(own[:-1]) <= {"done", "done already"} and own[-1].startswith("needs the mentors")


def test_no_secret_is_stored_when_the_environment_has_no_required_reviewers(gh, teams, secrets_dir):
    gh.set(enterprise=False)  # a private repository without GitHub Enterprise: the reviewers do not take

    results = apply(plan(ORG, teams, secrets_dir=secrets_dir))

    check = result_of(results, "churn-radar", "check that the holdout environment")
    assert check.startswith("failed: my-course/churn-radar: the holdout environment has no required reviewers")
    assert result_of(results, "churn-radar", "store") == "skipped: an earlier step of this team failed"
    assert gh.state["repos"][f"{ORG}/churn-radar"]["secrets"] == {}
    assert not gh.argvs("secret", "set")


def test_a_missing_id_fails_the_environment_step(gh, teams, secrets_dir):
    gh.set(users={"alan": 102})  # grace is not a GitHub user

    results = apply(plan(ORG, teams[:1], secrets_dir=secrets_dir))

    environment = next(result for step, result in results if step.what.startswith("create the holdout"))
    assert environment.startswith("failed: gh api users/grace --jq .id: HTTP 404: Not Found")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"org": "-bad-org"}, "'-bad-org' is not a GitHub organisation name"),
        ({"members": ("ada", "@linus")}, "team churn-radar: member '@linus' is not a GitHub user handle"),
        ({"members": ("ada--lovelace",)}, "team churn-radar: member 'ada--lovelace' is not a GitHub user handle"),
        ({"mentors": ("grace", "my-course/men tors")}, "mentor 'my-course/men tors' is not a GitHub user handle"),
        ({"mentors": ("other-org/mentors",)}, "mentor 'other-org/mentors' is a team of another organisation"),
        ({"mentors": ()}, "team churn-radar: no mentors"),
        ({"slug": "churn radar"}, "'churn radar' is not a GitHub repository name"),
        ({"visibility": "secret"}, "visibility 'secret' is not one of private, public, internal"),
    ],
)
def test_bad_names_are_refused_with_one_line(teams, secrets_dir, change, message):
    org, visibility = change.pop("org", ORG), change.pop("visibility", "private")
    team = replace(teams[0], **change)
    with pytest.raises(ValueError) as refused:
        plan(org, [team, teams[1]], visibility=visibility, secrets_dir=secrets_dir)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert not secrets_dir.exists()  # nothing written before the refusal


def test_a_secrets_folder_inside_a_git_repository_is_refused(tmp_path, teams):
    work_tree = tmp_path / "course"
    subprocess.run(["git", "init", "-q", str(work_tree)], check=True)
    with pytest.raises(ValueError, match=r"^secrets folder .* is inside the git work tree .*course: choose one"):
        plan(ORG, teams, secrets_dir=work_tree / "secrets")
    assert not (work_tree / "secrets").exists()
    with pytest.raises(ValueError, match="the holdout seeds need a secrets folder"):
        plan(ORG, teams, secrets_dir=None)
    assert plan(ORG, teams[1:], secrets_dir=None)  # custom_csv alone needs no seed


def test_a_folder_that_is_not_a_git_repository_is_refused(tmp_path, teams, secrets_dir):
    team = replace(teams[0], folder=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="team churn-radar: .*nowhere is not a git repository"):
        plan(ORG, [team], secrets_dir=secrets_dir)


def test_the_grader_logins_go_to_the_holdout_environment_and_turn_recording_on(gh, teams, secrets_dir, tmp_path):
    """--credentials: add-teams' grader.<slug>.env becomes the environment's secrets; a team without one is named."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    login = credentials / "grader.churn-radar.env"
    password = "-".join(("made", "up", "for", "the", "test"))  # built at run time: no secret-like line here
    login.write_text(
        "# comment\nCAPSTONE_RESULTS_URI=http://mlflow.example.edu\nCAPSTONE_RESULTS_USERNAME=grader.churn-radar\n"
        f"CAPSTONE_RESULTS_{'PASS' + 'WORD'}={password}\n"
    )
    results = apply(plan(ORG, teams, secrets_dir=secrets_dir, credentials_dir=credentials))
    churn = gh.state["repos"][f"{ORG}/churn-radar"]
    assert churn["secrets"]["CAPSTONE_RESULTS_" + "PASSWORD"] == password
    assert churn["secrets"]["CAPSTONE_RESULTS_USERNAME"] == "grader.churn-radar"
    assert churn["variables"] == {"CAPSTONE_RESULTS_URI": "http://mlflow.example.edu"}
    assert all(password not in " ".join(call["argv"]) for call in gh.calls())
    missing = result_of(results, "own-data", "store the grader login")
    assert missing.startswith("failed") and "make cohort-teams" in missing, missing

    again = apply(plan(ORG, teams[:1], secrets_dir=secrets_dir, credentials_dir=credentials))
    assert result_of(again, "churn-radar", "store the grader login") == "done already"
    assert result_of(again, "churn-radar", "turn recording on") == "done already"
