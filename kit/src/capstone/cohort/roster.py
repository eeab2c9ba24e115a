"""The roster: one row per team, as an instructor keeps it in a spreadsheet and exports it as CSV.

Columns (header names, in any order; case and spaces do not matter):

    name       the team's project name ("Churn Radar"); its repository is slugify(name) unless project_slug is given
    members    the students' GitHub handles, separated by commas, semicolons or spaces
    mentors    the mentors' GitHub handles or org/team names, same separators
    dataset    one of the template's datasets
    scaffold   skeleton or reference

Any other column must be one of the template's other answers (project_slug, description, github_org,
mlflow_tracking_uri, dvc_remote, python_version, license, kit_index_url, course_repository); an empty
cell takes the template's default. Every refusal names the row (as the spreadsheet numbers it: the header
is row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("name", "members", "mentors", "dataset", "scaffold")
ANSWER_OF = {"name": "project_name", "members": "team_members", "mentors": "mentors"}
HANDLE = re.compile(r"^@?[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
TEAM = re.compile(r"^@?[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SEPARATORS = re.compile(r"[,;\s]+")


class RosterError(ValueError):
    """The roster cannot be used; the message names the row and the column."""


@dataclass(frozen=True)
class Team:
    row: int  # the spreadsheet's row number (the header is row 1)
    slug: str
    answers: dict[str, str] = field(default_factory=dict)  # cookiecutter answers for this team

    @property
    def members(self) -> tuple[str, ...]:
        return _handles(self.answers.get("team_members", ""))

    @property
    def mentors(self) -> tuple[str, ...]:
        return _handles(self.answers.get("mentors", ""))


def template_answers(template: Path) -> dict:
    """The template's cookiecutter.json (its answers, their defaults and choices)."""
    try:
        return json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise RosterError(
            f"{template} is not the ml-capstone template (no readable cookiecutter.json): {problem}"
        ) from None


def read_roster(path: Path, template_json: dict) -> list[Team]:
    """The teams of the roster at `path`, checked against the template's answers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as problem:
        raise RosterError(f"cannot read the roster {path}: {problem}") from None
    return parse_roster(text, template_json, str(path))


def parse_roster(text: str, template_json: dict, where: str = "the roster") -> list[Team]:
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RosterError(f"{where} is empty; its first row names the columns: {', '.join(REQUIRED)}")
    header = [_column(cell) for cell in rows[0]]
    known = {key for key in template_json if not key.startswith("_")} - {"project_name", "team_members"}
    for index, column in enumerate(header):
        if column in REQUIRED or column in known:
            continue
        letter = _letter(index)
        raise RosterError(
            f"{where}: row 1, column {letter} ({rows[0][index]!r}) is not a roster column; "
            f"use {', '.join(REQUIRED)} and, optionally, {', '.join(sorted(known - set(REQUIRED)))}"
        )
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise RosterError(f"{where}: row 1 has no column {', '.join(missing)}; the roster needs {', '.join(REQUIRED)}")
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        raise RosterError(f"{where}: row 1 names the column {', '.join(duplicated)} twice")
    teams, seen = [], {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line between teams
        if len(cells) > len(header):
            raise RosterError(
                f"{where}: row {number} has {len(cells)} cells for {len(header)} columns (a stray separator?)"
            )
        values = {column: (cells[index].strip() if index < len(cells) else "") for index, column in enumerate(header)}
        team = _team(number, values, template_json, where)
        if team.slug in seen:
            raise RosterError(
                f"{where}: rows {seen[team.slug]} and {number} are both the repository {team.slug!r}; "
                "give one of them another name (or project_slug)"
            )
        seen[team.slug] = number
        teams.append(team)
    if not teams:
        raise RosterError(f"{where} lists no team: add one row per team under the header")
    return teams


def _team(number: int, values: dict[str, str], template_json: dict, where: str) -> Team:
    def refuse(column: str, problem: str) -> RosterError:
        return RosterError(f"{where}: row {number}, column {column}: {problem}")

    if not values["name"]:
        raise refuse("name", "empty; give the team's project name")
    for column, pattern, what in (("members", HANDLE, "a GitHub user"), ("mentors", None, "a GitHub user or org/team")):
        handles = _handles(values[column])
        if column == "mentors" and not handles:
            raise refuse(column, "empty; give at least one mentor's GitHub handle or org/team")
        for handle in handles:
            ok = HANDLE.match(handle) or (pattern is None and TEAM.match(handle))
            if not ok:
                raise refuse(column, f"{handle!r} is not {what} handle")
    for column in ("dataset", "scaffold", "python_version", "license"):
        choices = template_json.get(column)
        if column in values and values[column] and isinstance(choices, list) and values[column] not in choices:
            raise refuse(column, f"{values[column]!r} is not one of {', '.join(choices)}")
    for column in ("dataset", "scaffold"):
        if not values[column]:
            raise refuse(column, f"empty; choose one of {', '.join(template_json[column])}")
    slug = values.get("project_slug") or _slugify(values["name"])
    if not SLUG.match(slug):
        raise refuse(
            "project_slug" if values.get("project_slug") else "name",
            f"the repository name would be {slug!r}; it needs lowercase letters, digits and single dashes",
        )
    answers = {ANSWER_OF.get(column, column): value for column, value in values.items() if value}
    answers["team_members"] = ",".join(_handles(values["members"]))
    answers["mentors"] = ",".join(_handles(values["mentors"]))
    answers["project_slug"] = slug
    return Team(row=number, slug=slug, answers=answers)


def _handles(cell: str) -> tuple[str, ...]:
    return tuple(handle.lstrip("@") for handle in SEPARATORS.split(cell or "") if handle)


def _column(header: str) -> str:
    return "_".join(header.strip().lower().split())


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _slugify(name: str) -> str:
    """The template's default project_slug: cookiecutter's `slugify` filter (python-slugify)."""
    from slugify import slugify

    return slugify(name) or "-"
