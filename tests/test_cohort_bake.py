"""`capstone cohort bake ROSTER.csv`: a cohort baked from a roster, as an instructor runs it.

Real bakes from the template (a git snapshot of the working tree); the cohort file is read back by
the cohort server's own reader (cohort/server.py add-teams), so the roster is the one source of the slugs.
"""

import json
import subprocess
import sys

import pytest
import yaml
from bakery import TEMPLATE, cohort_bake

sys.path.insert(0, str(TEMPLATE / "cohort"))
from server import read_cohort  # noqa: E402

pytestmark = pytest.mark.full  # real bakes

ROSTER = """name,members,mentors,dataset,scaffold,github_org
Churn Radar,ada grace,ada-mentor;my-course/mentors,churn,reference,my-course
Credit Watch,"alan, barbara",ada-mentor,credit_default,skeleton,my-course
House Hunters,@edsger,grace-mentor,house_prices,skeleton,my-course
"""


def test_a_roster_bakes_every_team_and_the_cohort_file(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    done = cohort_bake(roster, tmp_path / "cohort")
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "cohort"
    slugs = ["churn-radar", "credit-watch", "house-hunters"]
    for slug in slugs:
        repo = out / "repos" / slug
        recorded = yaml.safe_load((repo / ".cookiecutter-answers.yaml").read_text())["default_context"]
        given = yaml.safe_load((out / "answers" / f"{slug}.yaml").read_text())["default_context"]
        assert recorded["project_slug"] == given["project_slug"] == slug
        assert recorded["team_members"] == given["team_members"]
        assert (repo / ".git").is_dir()
    assert yaml.safe_load((out / "repos" / "credit-watch" / "params.yaml").read_text())["data"]["dataset"] == (
        "credit_default"
    )
    teams, mentors, _ = read_cohort(out / "cohort.yaml")
    assert teams == slugs
    assert mentors == ["ada-mentor", "grace-mentor"]  # an org/team has no MLflow user of its own

    # A new row later: the three repositories are kept as they are, the new one is baked.
    (out / "repos" / "churn-radar" / "work.txt").write_text("the team's work")
    roster.write_text(ROSTER + "Loan Lab,ada,grace-mentor,credit_default,reference,my-course\n")
    again = cohort_bake(roster, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr.count("kept (it exists)") == 3 and "loan-lab" in again.stderr
    assert (out / "repos" / "churn-radar" / "work.txt").read_text() == "the team's work"
    assert read_cohort(out / "cohort.yaml")[0] == [*slugs, "loan-lab"]


def test_a_row_the_roster_or_the_template_refuses_is_named(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("house_prices", "weather"))
    done = cohort_bake(roster, tmp_path / "cohort")
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]  # one line, not cut: what, where and the allowed values
    assert first.startswith("ERROR: ") and "row 4, column dataset: 'weather' is not one of churn," in first
    assert not (tmp_path / "cohort" / "repos").exists()  # nothing baked from a roster that is wrong

    # A credential in a URI: the template's own refusal, named with the row it came from.
    header_with_uri = ROSTER.splitlines()[0] + ",mlflow_tracking_uri\n"
    rows = [line + "," for line in ROSTER.splitlines()[1:]]
    roster.write_text(
        header_with_uri + "\n".join(rows) + "\nLeaky,ada,grace-mentor,churn,skeleton,my-course,"
        "https://user:pw@mlflow.example.edu\n"
    )
    done = cohort_bake(roster, tmp_path / "cohort")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "row 5 (leaky): the template refused an answer" in " ".join(done.stderr.split())
    assert (tmp_path / "cohort" / "repos" / "house-hunters").is_dir()  # the rows before it are baked and kept


def test_the_cohort_goes_online_through_gh_printed_then_applied_twice(tmp_path):
    """--github prints the gh steps; --apply runs them through a stand-in gh that records its calls; rerun: skipped."""
    sys.path.insert(0, str(TEMPLATE / "kit" / "tests"))
    from test_cohort_github import STAND_IN

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out, secrets = tmp_path / "cohort", tmp_path / "secrets"
    printed = cohort_bake(roster, out, "--github", "my-course", "--secrets", str(secrets))
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert "gh repo create my-course/churn-radar --private --source" in printed.stdout
    # stdout is the script alone, with absolute paths: bash reads it as it is, from any folder.
    script = tmp_path / "steps.sh"
    script.write_text(printed.stdout)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, printed.stdout[:2000]
    assert f"--source {out.resolve() / 'repos' / 'churn-radar'}" in printed.stdout
    assert "installs the kit from this machine" in printed.stderr  # a local template clone: flagged
    assert "environments/holdout" in printed.stdout and "CAPSTONE_HOLDOUT_SEED" in printed.stdout
    seeds = sorted(path.name for path in secrets.iterdir())
    assert seeds == [f"{slug}.holdout-seed" for slug in ("churn-radar", "credit-watch", "house-hunters")]
    for path in secrets.iterdir():
        assert path.read_text().strip() not in printed.stdout  # the script reads the seed from its file

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(f"#!{sys.executable}\n{STAND_IN}")
    (bin_dir / "gh").chmod(0o755)
    state, log = tmp_path / "gh-state.json", tmp_path / "gh-log.jsonl"
    state.write_text(json.dumps({"users": {"ada-mentor": 11, "grace-mentor": 12}, "teams": {"my-course/mentors": 7}}))
    env = {"STAND_IN_GH_STATE": str(state), "STAND_IN_GH_LOG": str(log), "PATH": f"{bin_dir}:/usr/bin:/bin"}
    first = cohort_bake(roster, out, "--github", "my-course", "--secrets", str(secrets), "--apply", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    calls = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    created = [argv[2] for argv in calls if argv[:2] == ["repo", "create"]]
    assert created == ["my-course/churn-radar", "my-course/credit-watch", "my-course/house-hunters"]
    assert sum(argv[:2] == ["secret", "set"] for argv in calls) == 3
    log.write_text("")
    second = cohort_bake(roster, out, "--github", "my-course", "--secrets", str(secrets), "--apply", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    again = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    assert not [argv for argv in again if argv[:2] in (["repo", "create"], ["secret", "set"])]
    assert "done already" in second.stderr
