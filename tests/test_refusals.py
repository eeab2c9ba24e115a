"""Every refusal rule of hooks/pre_gen_project.py: one "ERROR:" line on stderr, nothing generated."""

import json

import pytest
from bakery import bake, last_answers, template_source
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

# (answers, words the one ERROR line must contain)
BAD_ANSWERS = [
    ({"project_slug": "Churn-Radar"}, "project_slug 'Churn-Radar' is not a valid name"),
    ({"project_slug": "2024-team"}, "starting with a letter"),
    ({"project_slug": "team--a"}, "single dashes"),
    ({"project_slug": "team.a"}, "project_slug 'team.a'"),
    ({"project_name": "2024 Cohort"}, "project_slug '2024-cohort'"),
    ({"project_slug": "test"}, "would shadow the module 'test'"),
    ({"project_slug": "json"}, "would shadow the module 'json'"),
    ({"project_slug": "pandas"}, "would shadow the module 'pandas'"),
    ({"project_slug": "mlflow"}, "would shadow the module 'mlflow'"),
    ({"project_slug": "capstone"}, "would shadow the module 'capstone'"),
    ({"project_slug": "class"}, "is not a Python identifier"),
    ({"project_name": "   "}, "project_name is empty"),
    ({"project_name": "Two\nlines"}, "project_name contains a line break"),
    ({"description": "tab\tinside"}, "description contains a line break or control character"),
    ({"description": "x" * 201}, "description is 201 characters long"),
    ({"github_org": "my_course"}, "github_org 'my_course' is not a GitHub organisation name"),
    ({"github_org": "-course"}, "github_org '-course'"),
    ({"team_members": "ada, bad handle"}, "team_members has 'bad handle'"),
    ({"team_members": "ada,grace--hopper"}, "team_members has 'grace--hopper'"),
    ({"mentors": " , "}, "mentors is empty"),
    ({"mentors": "my-course/mentors, a@b"}, "mentors has 'a@b'"),
    ({"dvc_remote": "ftp://files.example.com/dvc"}, "dvc_remote has the unknown scheme 'ftp://'"),
    ({"dvc_remote": 'remote"quoted'}, "dvc_remote 'remote\"quoted' is not usable"),
    ({"dvc_remote": "s3://AKIAKEY:s3cr3t@bucket/dvc"}, "dvc_remote contains credentials (user:password@)"),
    ({"dvc_remote": "https://team:secret@dav.example.edu/dvc"}, "dvc_remote contains credentials"),
    ({"dvc_remote": "ssh://team:secret@files.example.edu/srv/dvc"}, "dvc_remote contains credentials"),
    ({"dvc_remote": "webdavs://team:secret@dav.example.edu/dvc"}, "dvc_remote contains credentials"),
    ({"mlflow_tracking_uri": "file:./mlruns"}, "mlflow_tracking_uri uses file:"),
    ({"mlflow_tracking_uri": "gopher://old.example.com"}, "mlflow_tracking_uri has the unknown scheme 'gopher'"),
    ({"mlflow_tracking_uri": "https://team:secret@mlflow.example.edu"}, "credentials"),
    ({"kit_index_url": "pypi.my-course.edu/simple"}, "kit_index_url 'pypi.my-course.edu/simple' is not an index URL"),
    ({"kit_index_url": "https://team:secret@pypi.my-course.edu/simple/"}, "kit_index_url contains credentials"),
    ({"kit_index_url": "https://pypi.my-course.edu/simple/ x"}, "kit_index_url contains spaces"),
    ({"course_repository": "ml-capstone"}, "course_repository 'ml-capstone' is not a GitHub repository"),
    ({"course_repository": "my-course/ml capstone"}, "course_repository 'my-course/ml capstone'"),
    ({"course_repository": "https://github.com/my-course/ml-capstone"}, "give owner/name"),
]


def error_lines(capfd) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=[str(a) for a, _ in BAD_ANSWERS])
def test_bad_answer_is_refused_with_one_error_line(tmp_path, cc_config, capfd, answers, message):
    with pytest.raises(FailedHookException):
        bake(tmp_path / "out", cc_config, **answers)
    lines = error_lines(capfd)
    assert len(lines) == 1, lines
    assert message in lines[0]
    assert not any((tmp_path / "out").glob("*/*")), "a refused bake must not leave files"


@pytest.mark.parametrize(
    ("key", "value"),
    [("dataset", "iris"), ("scaffold", "solution"), ("license", "GPL-3.0"), ("python_version", "3.9")],
)
def test_choices_edited_in_a_replay_file_are_refused(tmp_path, cc_config, capfd, key, value):
    """Cookiecutter checks choices given on the command line; the hook also checks replayed answers."""
    bake(tmp_path / "good", cc_config)
    replay = last_answers(cc_config)
    replay["cookiecutter"][key] = value
    replay_file = tmp_path / "edited.json"
    replay_file.write_text(json.dumps(replay))
    capfd.readouterr()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(template_source()),
            replay=str(replay_file),
            output_dir=str(tmp_path / "out"),
            config_file=str(cc_config),
        )
    lines = error_lines(capfd)
    assert len(lines) == 1 and f"{key} is {value!r}; choose one of" in lines[0], lines


@pytest.mark.parametrize(
    "answers",
    [
        {"project_slug": "churn-radar-2"},
        {"team_members": "@ada-lovelace, grace"},
        {"mentors": "@my-course/ml-mentors,ada"},
        {"dvc_remote": "s3://cohort-bucket/dvc"},
        {"dvc_remote": "/srv/shared/dvc"},
        {"mlflow_tracking_uri": "http://127.0.0.1:5000"},
        {"project_name": "Ünïcødé Team 🚀"},
        {"kit_index_url": "https://pypi.my-course.edu/simple/"},
        {"course_repository": "my-course/ml-capstone"},
    ],
)
def test_good_answers_are_accepted(tmp_path, cc_config, answers):
    assert bake(tmp_path, cc_config, **answers).is_dir()
