"""Record an official checkpoint result on the cohort's MLflow server (the course's grader only).

The checkpoint workflow's last job calls `capstone grade record N --report DIR` with the login
`grader.<team>` from the team repository's `holdout` environment. It runs no team code: it reads
the report the grader wrote (checkpoint-N.json and .md) and logs one run to `checkpoints/<team>`,
which only that login may write (capstone.cohort.results says how the names and rights fit).

Without a cohort server (CAPSTONE_RESULTS_URI empty) nothing is recorded and nothing fails.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from capstone.cohort import results as R

URI, USERNAME, PASSWORD = R.LOGIN_VARIABLES


class RecordError(RuntimeError):
    """The result could not be recorded; the message says what to fix."""


@dataclass(frozen=True)
class Login:
    server: str
    username: str
    password: str

    @classmethod
    def from_environment(cls) -> Login | None:
        """The grader login from CAPSTONE_RESULTS_*; None when no cohort server is configured."""
        server = os.environ.get(URI, "").strip().rstrip("/")
        if not server:
            return None
        username, password = os.environ.get(USERNAME, "").strip(), os.environ.get(PASSWORD, "")
        if not server.startswith(("http://", "https://")):
            raise RecordError(f"{URI} must be the cohort server's http(s) URL, not {server[:40]!r}")
        if not username or not password:
            raise RecordError(f"{URI} is set but {USERNAME} or {PASSWORD} is empty; set both (holdout environment)")
        return cls(server, username, password)


@dataclass(frozen=True)
class Recorded:
    team: str
    run_id: str
    url: str
    result: str


def run_tags(report: dict, team: str, commit: str, pr: str) -> dict[str, str]:
    """The run's tags, from the grader's report (checkpoint-N.json)."""
    meta = report.get("meta") or {}
    gates = report.get("gates") or []
    result = R.NOT_GRADED if meta.get("broken") else R.PASSED if report.get("passed") else R.FAILED
    tags = {
        R.TEAM: team,
        R.STAGE: str(report.get("stage", "")),
        R.RESULT: result,
        R.COMMIT: commit or str(meta.get("commit", "")),
        R.PR: pr or str(meta.get("pr", "")),
        R.GRADER: str(report.get("kit_version", "")),
        R.OFFICIAL: "true" if meta.get("official") else "false",
    }
    contributors = meta.get("contributors") or {}
    if isinstance(contributors, dict) and contributors:
        tags[R.CONTRIBUTIONS] = ", ".join(f"{name} {count}" for name, count in contributors.items())[:4000]
    for gate in gates:
        tags[R.GATE_TAG + str(gate.get("id", "?"))] = str(gate.get("status", ""))
        values = gate.get("values") or {}
        if "metric" in values:
            tags[R.HOLDOUT_METRIC] = str(values["metric"])
    return tags


def run_metrics(report: dict) -> dict[str, float]:
    """The numbers the gradebook charts: failed blocking gates, the holdout scores."""
    gates = report.get("gates") or []
    metrics = {R.GATES_FAILED: float(sum(1 for g in gates if g.get("blocking") and g.get("status") == "failed"))}
    for gate in gates:
        values = gate.get("values") or {}
        for key, name in (("champion", R.HOLDOUT_SCORE), ("baseline", R.HOLDOUT_BASELINE)):
            if isinstance(values.get(key), int | float):
                metrics[name] = float(values[key])
    return metrics


def read_report(folder: Path, stage: int) -> tuple[dict, list[Path]]:
    data = folder / f"checkpoint-{stage}.json"
    try:
        report = json.loads(data.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise RecordError(f"no readable report {data}: the grading job did not finish ({problem})") from None
    if not isinstance(report, dict) or report.get("stage") != stage:
        raise RecordError(f"{data} is not the report of stage {stage}")
    if not (report.get("meta") or {}).get("official"):
        raise RecordError(
            f"{data} is a local `make check` report, not the course's checkpoint: only the grader's reports count"
        )
    files = [path for path in (data, folder / f"checkpoint-{stage}.md") if path.is_file() and not path.is_symlink()]
    return report, files


def record(login: Login, folder: Path, stage: int, commit: str = "", pr: str = "") -> Recorded:
    """Log the report in `folder` as one run of checkpoints/<team>; returns where it went."""
    team = R.team_of_grader(login.username)
    if team is None:
        raise RecordError(
            f"{USERNAME} is {login.username!r}, not a grader login (grader.<team>); "
            "use the one `make cohort-teams` wrote for this team"
        )
    if commit and not re.fullmatch(r"[0-9a-f]{7,40}", commit):
        raise RecordError(f"the commit {commit[:50]!r} is not a git SHA")
    if pr and not pr.isdigit():
        raise RecordError(f"the pull request number {pr[:20]!r} is not a number")
    report, files = read_report(folder, stage)
    graded = str((report.get("meta") or {}).get("team") or "")
    if graded != team:
        raise RecordError(
            f"the report in {folder} is {graded or 'an unnamed team'}'s, not {team}'s: record each team's report "
            f"with its own grader login (grader.{graded or '<team>'})"
        )
    os.environ.update(MLFLOW_TRACKING_USERNAME=login.username, MLFLOW_TRACKING_PASSWORD=login.password)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=login.server)
    tags = run_tags(report, team, commit, pr)
    try:
        experiment = client.get_experiment_by_name(R.experiment_name(team))
        if experiment is None:
            raise RecordError(
                f"the cohort server has no experiment {R.experiment_name(team)}; the instructor runs "
                "`make cohort-teams` with this team in the cohort file"
            )
        run = client.create_run(experiment.experiment_id, run_name=f"stage {stage} · {tags[R.COMMIT][:7]}", tags=tags)
        run_id = run.info.run_id
        stamp = run.info.start_time
        client.log_batch(run_id, metrics=[Metric(key, value, stamp, 0) for key, value in run_metrics(report).items()])
        for path in files:
            client.log_artifact(run_id, str(path))
        client.set_terminated(run_id, "FINISHED")
    except MlflowException as problem:
        code = problem.get_http_status_code()
        if code in (401, 403):
            raise RecordError(
                f"the cohort server refused {login.username} (HTTP {code}); check CAPSTONE_RESULTS_PASSWORD in the "
                "holdout environment, or rerun `make cohort-teams` for this team"
            ) from None
        raise RecordError(f"the cohort server at {login.server} refused the result: {problem.message}") from None
    except OSError as problem:
        raise RecordError(f"cannot reach the cohort server at {login.server} ({problem})") from None
    url = f"{login.server}/#/experiments/{experiment.experiment_id}/runs/{run_id}"
    return Recorded(team, run_id, url, tags[R.RESULT])
