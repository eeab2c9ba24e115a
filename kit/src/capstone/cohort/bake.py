"""Bake a whole cohort: one answers file and one repository per team, and the cohort file.

    out/
      answers/<slug>.yaml   each team's answers, a cookiecutter config file (re-bake: --config-file)
      repos/<slug>/         each team's repository, a git repository on main with one commit
      cohort.yaml           the teams (their slugs) and mentors the MLflow logins read (make cohort-teams)

The roster is the one source: nothing here asks for a slug twice. A repository that exists is left as
it is (a rerun bakes only the new rows), and the cohort file is written from the whole roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from capstone.cohort.roster import Team


class BakeError(RuntimeError):
    """A team could not be baked; the message names its row."""


@dataclass(frozen=True)
class Baked:
    team: Team
    folder: Path
    new: bool  # False: the repository was there already and was left as it is


def answers_file(team: Team, folder: Path) -> Path:
    """Write the team's answers as a cookiecutter config file; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{team.slug}.yaml"
    document = {"default_context": dict(sorted(team.answers.items()))}
    path.write_text(
        f"# Row {team.row} of the roster. Re-bake: cookiecutter <template> --no-input --config-file {path.name}\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def bake_team(template: str, team: Team, out: Path, checkout: str | None = None) -> Baked:
    """Bake one team's repository into out/repos/<slug> (kept when it exists)."""
    try:
        from cookiecutter.exceptions import CookiecutterException, FailedHookException
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise BakeError("cookiecutter is not installed: install the kit with `capstone-kit[cohort]`") from None
    answers_file(team, out / "answers")
    repos = out / "repos"
    folder = repos / team.slug
    if folder.exists():
        return Baked(team, folder, new=False)
    repos.mkdir(parents=True, exist_ok=True)
    replay = out / ".cookiecutter"
    settings = out / ".cookiecutter.yaml"
    settings.write_text(
        f"cookiecutters_dir: {replay / 'templates'}\nreplay_dir: {replay / 'replay'}\n", encoding="utf-8"
    )
    try:
        made = cookiecutter(
            template,
            checkout=checkout,
            no_input=True,
            extra_context=team.answers,
            output_dir=str(repos),
            config_file=str(settings),
        )
    except FailedHookException as problem:
        raise BakeError(
            f"row {team.row} ({team.slug}): the template refused an answer: {_first_line(problem)}"
        ) from None
    except CookiecutterException as problem:
        raise BakeError(f"row {team.row} ({team.slug}): {_first_line(problem)}") from None
    return Baked(team, Path(made), new=True)


def write_cohort(teams: list[Team], path: Path, server: str = "") -> Path:
    """The cohort file the MLflow logins read (cohort/server.py add-teams): teams' slugs, mentors' user names.

    Mentors named as org/team have no MLflow user of their own: only user handles are listed.
    """
    mentors = sorted({mentor for team in teams for mentor in team.mentors if "/" not in mentor})
    servers = {team.answers.get("mlflow_tracking_uri", "") for team in teams} - {""}
    document = {
        "server": server or (servers.pop() if len(servers) == 1 else ""),
        "teams": [team.slug for team in teams],
    }
    document["mentors"] = mentors
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `capstone cohort bake` from the roster: edit the roster and rerun, not this file.\n"
        + yaml.safe_dump(document, sort_keys=False),
        encoding="utf-8",
    )
    return path


def _first_line(problem: BaseException) -> str:
    text = str(problem).strip()
    for line in text.splitlines():
        if line.strip().startswith("ERROR:"):
            return line.strip().removeprefix("ERROR:").strip()
    return text.splitlines()[0] if text else type(problem).__name__
