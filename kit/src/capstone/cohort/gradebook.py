"""The cohort's gradebook: every team's official checkpoint results, read from the cohort server.

    capstone cohort status cohort.yaml                     # a table in the terminal
    capstone cohort status cohort.yaml --format csv -o grades.csv
    capstone cohort status cohort.yaml --format html -o gradebook.html

Run it with a mentor's or the admin's login (MLFLOW_TRACKING_USERNAME / _PASSWORD). It reads the
runs the course's grader recorded in `checkpoints/<team>` (capstone.cohort.results) and the team's own
experiment (how many runs, the last activity). A local `make check` is never recorded: only the
course's checkpoint counts.

A stage is "passed" once an official checkpoint passed it (the date, PR and run of the first
pass); otherwise it shows the latest attempt ("failed" or "not graded"), or "not attempted".
fetch() reads the server; assemble() is pure, so the rules are tested without one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from capstone.cohort import results as R

NOT_ATTEMPTED = "not attempted"
STAGES = (1, 2, 3, 4, 5, 6)
# For sorting a status column: best first.
RANK = {R.PASSED: 3, R.FAILED: 2, R.NOT_GRADED: 1, NOT_ATTEMPTED: 0}


class GradebookError(RuntimeError):
    """The gradebook cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Checkpoint:
    """One official checkpoint run, as the grader recorded it."""

    team: str
    stage: int
    result: str
    when: datetime
    pr: str = ""
    commit: str = ""
    url: str = ""
    holdout_metric: str = ""
    holdout_score: float | None = None
    contributors: str = ""


@dataclass(frozen=True)
class Activity:
    """A team's own experiment: how many runs, and when the last one started."""

    runs: int = 0
    last: datetime | None = None


@dataclass(frozen=True)
class Cell:
    status: str = NOT_ATTEMPTED
    when: datetime | None = None
    pr: str = ""
    url: str = ""
    attempts: int = 0


@dataclass
class Row:
    team: str
    cells: dict[int, Cell]
    runs: int = 0
    last_activity: datetime | None = None
    holdout_metric: str = ""
    holdout_score: float | None = None
    contributors: str = ""

    @property
    def passed(self) -> int:
        return sum(cell.status == R.PASSED for cell in self.cells.values())


@dataclass
class Gradebook:
    server: str
    stages: tuple[int, ...]
    rows: list[Row]
    made: datetime = field(default_factory=lambda: datetime.now(UTC))

    def passes_over_time(self) -> list[tuple[datetime, int]]:
        """(date of a first pass, stages passed by then across the cohort), in time order."""
        firsts = sorted(cell.when for row in self.rows for cell in row.cells.values() if cell.status == R.PASSED)
        return [(when, count) for count, when in enumerate(firsts, start=1) if when is not None]


def assemble(
    server: str, teams: list[str], checkpoints: Iterable[Checkpoint], activity: dict[str, Activity]
) -> Gradebook:
    """The gradebook from the recorded runs (pure: no server)."""
    by_team: dict[str, list[Checkpoint]] = {team: [] for team in teams}
    for checkpoint in checkpoints:
        if checkpoint.team in by_team:
            by_team[checkpoint.team].append(checkpoint)
    stages = tuple(sorted(set(STAGES) | {c.stage for runs in by_team.values() for c in runs}))
    rows = []
    for team in teams:
        runs = sorted(by_team[team], key=lambda c: c.when)
        cells = {stage: _cell([c for c in runs if c.stage == stage]) for stage in stages}
        scored = [c for c in runs if c.holdout_score is not None]
        mine = activity.get(team, Activity())
        lasts = [when for when in (mine.last, runs[-1].when if runs else None) if when is not None]
        rows.append(
            Row(
                team=team,
                cells=cells,
                runs=mine.runs,
                last_activity=max(lasts) if lasts else None,
                holdout_metric=scored[-1].holdout_metric if scored else "",
                holdout_score=scored[-1].holdout_score if scored else None,
                contributors=runs[-1].contributors if runs else "",
            )
        )
    return Gradebook(server, stages, rows)


def _cell(attempts: list[Checkpoint]) -> Cell:
    if not attempts:
        return Cell()
    passes = [c for c in attempts if c.result == R.PASSED]
    shown = passes[0] if passes else attempts[-1]
    return Cell(shown.result, shown.when, shown.pr, shown.url, len(attempts))


# ---------------------------------------------------------------------------------------- the server


def read_cohort(path) -> tuple[list[str], str]:
    """The teams (repository slugs) and the server URL of a cohort file (capstone cohort bake writes it)."""
    import re
    from pathlib import Path

    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as problem:
        raise GradebookError(f"cannot read the cohort file {path} ({problem}); cohort bake writes it") from None
    teams = [str(team) for team in (data.get("teams") or [])] if isinstance(data, dict) else []
    bad = [team for team in teams if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", team)]
    if bad or not teams:
        what = f"team {bad[0]!r} is not a repository slug" if bad else "it lists no teams"
        raise GradebookError(f"{path}: {what}; see cohort/cohort.example.yaml")
    return teams, str(data.get("server") or "")


def fetch(server: str, teams: list[str]) -> Gradebook:
    """Read the recorded checkpoints and the teams' activity from the cohort server."""
    import warnings

    warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    _reachable(server)
    client = MlflowClient(tracking_uri=server)
    try:
        experiments = _experiments(client)
        unseen = [t for t in teams if t not in experiments or R.experiment_name(t) not in experiments]
        if unseen and len(teams) > 1:
            raise GradebookError(
                f"this login sees the experiments of {len(teams) - len(unseen)} of {len(teams)} teams (not: "
                f"{', '.join(unseen[:5])}{', ...' if len(unseen) > 5 else ''}); read the gradebook with a mentor's or "
                "the admin's login, or run make cohort-teams for the teams it lacks"
            )
        results_ids = {experiments[R.experiment_name(t)]: t for t in teams if R.experiment_name(t) in experiments}
        team_ids = {experiments[t]: t for t in teams if t in experiments}
        checkpoints = [_checkpoint(run, server) for run in _runs(client, list(results_ids))]
        activity = _activity(client, team_ids)
    except MlflowException as problem:
        code = problem.get_http_status_code()
        if code in (401, 403):
            raise GradebookError(
                f"the cohort server at {server} refused the login (HTTP {code}); export a mentor's or the admin's "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
            ) from None
        raise GradebookError(f"the cohort server at {server} refused a request: {problem.message}") from None
    except OSError as problem:
        raise GradebookError(f"cannot reach the cohort server at {server} ({problem}); is it running?") from None
    return assemble(server, teams, [c for c in checkpoints if c is not None], activity)


def _reachable(server: str) -> None:
    """One quick look before MLflow's client, which retries a dead server for seconds and then says it at length."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{server}/health", timeout=10) as response:
            response.read()
    except urllib.error.HTTPError:
        return  # it answers; the API calls will say more
    except (urllib.error.URLError, OSError) as problem:
        reason = getattr(problem, "reason", None) or problem
        raise GradebookError(f"cannot reach the cohort server at {server} ({reason}); is it running?") from None


def _experiments(client) -> dict[str, str]:
    from mlflow.entities import ViewType

    found, token = {}, None
    while True:
        page = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token)
        found.update({e.name: e.experiment_id for e in page})
        token = page.token
        if not token:
            return found


def _runs(client, experiment_ids: list[str], chunk: int = 50):
    """Every run of these experiments, a few experiments per request."""
    for start in range(0, len(experiment_ids), chunk):
        token = None
        while True:
            page = client.search_runs(experiment_ids[start : start + chunk], max_results=5000, page_token=token)
            yield from page
            token = page.token
            if not token:
                break


def _checkpoint(run, server: str) -> Checkpoint | None:
    tags, metrics = run.data.tags, run.data.metrics
    if tags.get(R.OFFICIAL) != "true" or not str(tags.get(R.STAGE, "")).isdigit():
        return None
    return Checkpoint(
        team=tags.get(R.TEAM, ""),
        stage=int(tags[R.STAGE]),
        result=tags.get(R.RESULT, R.FAILED),
        when=_time(run.info.start_time),
        pr=tags.get(R.PR, ""),
        commit=tags.get(R.COMMIT, ""),
        url=f"{server}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}",
        holdout_metric=tags.get(R.HOLDOUT_METRIC, ""),
        holdout_score=metrics.get(R.HOLDOUT_SCORE),
        contributors=tags.get(R.CONTRIBUTIONS, ""),
    )


def _activity(client, team_ids: dict[str, str]) -> dict[str, Activity]:
    counts: dict[str, int] = {}
    lasts: dict[str, datetime] = {}
    for run in _runs(client, list(team_ids)):
        team = team_ids[run.info.experiment_id]
        counts[team] = counts.get(team, 0) + 1
        when = _time(run.info.start_time)
        lasts[team] = max(lasts.get(team, when), when)
    return {team: Activity(counts.get(team, 0), lasts.get(team)) for team in team_ids.values()}


def _time(milliseconds: int | None) -> datetime:
    return datetime.fromtimestamp((milliseconds or 0) / 1000, tz=UTC)
