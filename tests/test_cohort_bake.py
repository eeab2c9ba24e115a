"""`capstone cohort bake ROSTER.csv`: a cohort baked from a roster, as an instructor runs it.

Real bakes from the template (a git snapshot of the working tree); the cohort file is read back by
the cohort server's own reader (cohort/server.py add-teams), so the roster is the one source of the slugs.
"""

import subprocess
import sys
from pathlib import Path

import yaml
from bakery import TEMPLATE, template_source

sys.path.insert(0, str(TEMPLATE / "cohort"))
from server import read_cohort  # noqa: E402

CAPSTONE = Path(sys.executable).parent / "capstone"
ROSTER = """name,members,mentors,dataset,scaffold,github_org
Churn Radar,ada grace,ada-mentor;my-course/mentors,churn,reference,my-course
Credit Watch,"alan, barbara",ada-mentor,credit_default,skeleton,my-course
House Hunters,@edsger,grace-mentor,house_prices,skeleton,my-course
"""


def cohort_bake(roster: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CAPSTONE), "cohort", "bake", str(roster), "--template", str(template_source()), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent), "COLUMNS": "200"},
    )


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
    assert again.stdout.count("kept (it exists)") == 3 and "loan-lab" in again.stdout
    assert (out / "repos" / "churn-radar" / "work.txt").read_text() == "the team's work"
    assert read_cohort(out / "cohort.yaml")[0] == [*slugs, "loan-lab"]


def test_a_row_the_roster_or_the_template_refuses_is_named(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("house_prices", "weather"))
    done = cohort_bake(roster, tmp_path / "cohort")
    assert done.returncode == 1
    assert "row 4, column dataset: 'weather' is not one of" in done.stdout
    assert not (tmp_path / "cohort" / "repos").exists()  # nothing baked from a roster that is wrong

    # A credential in a URI: the template's own refusal, named with the row it came from.
    header_with_uri = ROSTER.splitlines()[0] + ",mlflow_tracking_uri\n"
    rows = [line + "," for line in ROSTER.splitlines()[1:]]
    roster.write_text(
        header_with_uri + "\n".join(rows) + "\nLeaky,ada,grace-mentor,churn,skeleton,my-course,"
        "https://user:pw@mlflow.example.edu\n"
    )
    done = cohort_bake(roster, tmp_path / "cohort")
    assert done.returncode == 1, done.stdout
    assert "row 5 (leaky): the template refused an answer" in " ".join(done.stdout.split())
    assert (tmp_path / "cohort" / "repos" / "house-hunters").is_dir()  # the rows before it are baked and kept
