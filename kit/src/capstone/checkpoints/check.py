"""Run the gates of a stage, in the order capstone.yaml lists them, and collect the results.

A gate that fails, raises or finds its inputs missing is reported as failed with its reason,
and the next gate still runs: the team sees every problem of the stage at once.
"""

import time
import traceback
from dataclasses import asdict, dataclass, field

from capstone import __version__
from capstone.checkpoints.context import Context
from capstone.checkpoints.registry import MentorsProblem, NotReady, load_all
from capstone.config import CapstoneSpec, ConfigError, Gate, Stage
from capstone.hooks import HookError

PASSED, FAILED, MENTOR = "passed", "failed", "mentor"


@dataclass
class GateResult:
    id: str
    stage: int
    check: str
    kind: str
    blocking: bool
    status: str  # passed, failed, or mentor (judged by a person in the review)
    measured: str = ""
    expected: str = ""
    detail: str = ""
    brief: str = ""
    seconds: float = 0.0
    values: dict[str, float | str] = field(default_factory=dict)  # the measurement as numbers (Outcome.values)


@dataclass
class StageResult:
    stage: int
    key: str
    title: str
    brief: str
    gates: list[GateResult]
    mentor_checklist: list[str] = field(default_factory=list)
    holdout_secret: bool | None = None  # None: this stage did not use the holdout
    seconds: float = 0.0
    kit_version: str = __version__  # the capstone-kit that graded it

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> list[GateResult]:
        return [result for result in self.gates if result.blocking and result.status == FAILED]

    def as_dict(self) -> dict:
        return {"passed": self.passed, **asdict(self)}


def check_spec(spec: CapstoneSpec) -> None:
    """Every automatic gate in capstone.yaml must have an implementation (a typo in an id is caught here)."""
    registry = load_all()
    for where, gate in [("every_stage", g) for g in spec.every_stage] + [
        (f"stage {stage.number}", g) for stage in spec.stages for g in stage.gates
    ]:
        if gate.kind == "auto" and gate.id not in registry:
            known = ", ".join(sorted(registry))
            raise ConfigError(
                f"capstone.yaml: {where}: no automatic gate is called {gate.id!r}; the known ones are: {known}"
            )


def run_stage(context: Context, stage: Stage, skip: set[str] = frozenset()) -> StageResult:
    """Every gate of `stage` (and of every stage), except those in `skip` (the course's grader runs them)."""
    started = time.perf_counter()
    gates = [gate for gate in [*context.spec.every_stage, *stage.gates] if gate.id not in skip]
    results = [run_gate(context, gate, stage) for gate in gates]
    # Only a stage that scored on the holdout says whether it was secret.
    holdout = context.used_holdout
    return StageResult(
        stage=stage.number,
        key=stage.key,
        title=stage.title,
        brief=stage.brief,
        gates=results,
        mentor_checklist=list(stage.mentor_checklist),
        holdout_secret=None if holdout is None else holdout.secret,
        seconds=round(time.perf_counter() - started, 1),
    )


def run_gate(context: Context, gate: Gate, stage: Stage) -> GateResult:
    result = GateResult(
        id=gate.id,
        stage=stage.number,
        check=gate.check,
        kind=gate.kind,
        blocking=gate.blocking,
        status=MENTOR,
    )
    result.brief = stage.brief
    if gate.kind == "mentor":
        result.measured = "judged by a mentor in the review"
        return result
    started = time.perf_counter()
    try:
        outcome = load_all()[gate.id](context, dict(gate.thresholds))
        result.status = PASSED if outcome.passed else FAILED
        result.measured, result.expected, result.detail = outcome.measured, outcome.expected, outcome.detail
        result.values = dict(outcome.values)
    except MentorsProblem as problem:
        # Not the team's fault: shown as the mentors' to fix, and it does not fail the stage.
        result.status, result.measured, result.detail = MENTOR, "the mentors' input cannot be used", str(problem)
    except NotReady as problem:
        result.status, result.measured, result.detail = FAILED, "not ready", str(problem)
    except HookError as problem:
        # The team's declared function is missing or does not fit: one line, no traceback.
        result.status, result.measured, result.detail = FAILED, "a hook cannot be called", str(problem)
    except Exception as problem:  # noqa: BLE001 (one broken gate must not hide the others)
        result.status, result.measured = FAILED, "the gate could not run"
        result.detail = f"{type(problem).__name__}: {problem}\n\n```\n{_short_traceback()}\n```"
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _short_traceback(lines: int = 12) -> str:
    return "\n".join(traceback.format_exc().rstrip().splitlines()[-lines:])
