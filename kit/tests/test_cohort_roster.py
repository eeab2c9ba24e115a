"""The roster of `capstone cohort bake`: what it accepts, and refusals that name the row and the column."""

import json
from pathlib import Path

import pytest
from capstone.cohort.roster import RosterError, parse_roster, read_roster

TEMPLATE_JSON = json.loads((Path(__file__).resolve().parents[2] / "cookiecutter.json").read_text(encoding="utf-8"))
HEADER = "name,members,mentors,dataset,scaffold"


def parse(text: str):
    return parse_roster(text, TEMPLATE_JSON)


def test_a_roster_gives_each_team_its_answers_and_slug():
    teams = parse(
        "Name, Members ,MENTORS,dataset,scaffold,dvc_remote\n"
        "Churn Radar,ada grace,ada-mentor;my-course/mentors,churn,reference,s3://bucket/churn\n"
        '\nCredit Watch,"@alan, barbara",ada-mentor,credit_default,skeleton,\n'
    )
    assert [(team.row, team.slug) for team in teams] == [(2, "churn-radar"), (4, "credit-watch")]
    first, second = teams
    assert first.answers == {
        "project_name": "Churn Radar",
        "team_members": "ada,grace",
        "mentors": "ada-mentor,my-course/mentors",
        "dataset": "churn",
        "scaffold": "reference",
        "dvc_remote": "s3://bucket/churn",
        "project_slug": "churn-radar",
    }
    assert second.members == ("alan", "barbara") and "dvc_remote" not in second.answers  # empty: the default
    assert first.mentors == ("ada-mentor", "my-course/mentors")


def test_semicolons_a_bom_and_a_given_slug_are_read(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        "\ufeffname;members;mentors;dataset;scaffold;project_slug\nÜnïcødé Team;ada;grace;churn;skeleton;team-u\n"
    )
    [team] = read_roster(path, TEMPLATE_JSON)
    assert team.slug == "team-u" and team.answers["project_name"] == "Ünïcødé Team"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "is empty; its first row names the columns"),
        (f"{HEADER},colour\nA,ada,grace,churn,skeleton,red\n", "row 1, column F ('colour') is not a roster column"),
        ("name,members,dataset,scaffold\nA,ada,churn,skeleton\n", "row 1 has no column mentors"),
        (f"{HEADER},name\nA,ada,grace,churn,skeleton,B\n", "row 1 names the column name twice"),
        (f"{HEADER}\n", "lists no team"),
        (f"{HEADER}\n,ada,grace,churn,skeleton\n", "row 2, column name: empty"),
        (
            f"{HEADER}\nA,ada bad_handle!,grace,churn,skeleton\n",
            "row 2, column members: 'bad_handle!' is not a GitHub user",
        ),
        (f"{HEADER}\nA,ada,,churn,skeleton\n", "row 2, column mentors: empty"),
        (f"{HEADER}\nA,ada,grace/x/y,churn,skeleton\n", "row 2, column mentors: 'grace/x/y'"),
        (f"{HEADER}\nA,ada,grace,weather,skeleton\n", "row 2, column dataset: 'weather' is not one of churn"),
        (f"{HEADER}\nA,ada,grace,churn,\n", "row 2, column scaffold: empty"),
        (f"{HEADER}\nA,ada,grace,churn,skeleton,extra\n", "row 2 has 6 cells for 5 columns"),
        (
            f"{HEADER}\n2024 Team,ada,grace,churn,skeleton\n",
            "row 2, column name: the repository name would be '2024-team'",
        ),
        (
            f"{HEADER}\nChurn Radar,ada,grace,churn,skeleton\nchurn radar,bo,grace,churn,skeleton\n",
            "rows 2 and 3 are both the repository 'churn-radar'",
        ),
    ],
)
def test_a_bad_roster_is_refused_naming_the_row_and_the_column(text, said):
    with pytest.raises(RosterError) as problem:
        parse(text)
    assert said in str(problem.value)
    assert "\n" not in str(problem.value)


def test_an_unreadable_roster_is_one_line(tmp_path):
    with pytest.raises(RosterError, match="cannot read the roster"):
        read_roster(tmp_path / "missing.csv", TEMPLATE_JSON)
