"""Where the course records official checkpoint results on the cohort's MLflow server, and how.

One place for the names both sides use: the grader writes (capstone grade record), the gradebook
reads (capstone cohort status), and the server's add-teams grants the rights.

- Each team has an experiment `checkpoints/<team>`. A slug cannot hold "/", so no team's own
  experiment can take that name.
- Only the login `grader.<team>` may write there (EDIT). A slug cannot hold ".", so no team can be
  called that. Its password lives in the team repository's `holdout` environment, used only by the
  checkpoint's `record` job, which runs no team code.
- The team reads its own results (READ), mentors read everything, other teams see nothing.

One MLflow run per graded checkpoint, with the tags below, a metric per number worth charting and
the report (checkpoint-N.md and .json) as artifacts.
"""

from __future__ import annotations

import re

# The grader login's environment variables (the record job's secrets and the repository variable).
LOGIN_VARIABLES = ("CAPSTONE_RESULTS_URI", "CAPSTONE_RESULTS_USERNAME", "CAPSTONE_RESULTS_PASSWORD")

EXPERIMENT_PREFIX = "checkpoints/"
GRADER_PREFIX = "grader."

# Tags of a checkpoint run.
TEAM = "capstone.team"
STAGE = "capstone.stage"
RESULT = "capstone.result"  # passed, failed, or not graded
COMMIT = "capstone.commit"
PR = "capstone.pr"
GRADER = "capstone.grader"  # the capstone-kit version that graded it
OFFICIAL = "capstone.official"
HOLDOUT_METRIC = "capstone.holdout_metric"
CONTRIBUTIONS = "capstone.contributions"  # "name commits, name commits" from the report
GATE_TAG = "capstone.gate."  # + gate id: passed, failed, or mentor

# Metrics of a checkpoint run.
HOLDOUT_SCORE = "holdout_champion"
HOLDOUT_BASELINE = "holdout_baseline"
GATES_FAILED = "gates_failed"

PASSED, FAILED, NOT_GRADED = "passed", "failed", "not graded"
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def experiment_name(team: str) -> str:
    """The experiment that holds the official checkpoint results of `team`."""
    return f"{EXPERIMENT_PREFIX}{team}"


def grader_login(team: str) -> str:
    """The only login that may write `team`'s results."""
    return f"{GRADER_PREFIX}{team}"


def team_of_grader(login: str) -> str | None:
    """The team a grader login writes for (`grader.alpha` -> `alpha`), or None if it is not one."""
    if not login.startswith(GRADER_PREFIX):
        return None
    team = login[len(GRADER_PREFIX) :]
    return team if _SLUG.match(team) else None
