"""Run the gates of a stage, in the order capstone.yaml lists them, and collect the results.

A gate that fails, raises or finds its inputs missing is reported as failed with its reason,
and the next gate still runs: the team sees every problem of the stage at once.

A missing input is "not ready", with one line that says what is missing and what to run, whether
the gate raised NotReady itself or met the absence on the way: a file the pipeline writes
(FileNotFoundError inside the repository), an MLflow experiment, run, model or alias that does not
exist yet, the team's data that cannot be read (FeedError), no DVC repository. Any other error is
a failure the gate "could not run": its first line first, the traceback after it.
"""

import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from capstone import __version__
from capstone.checkpoints.context import Context
from capstone.checkpoints.registry import MentorsProblem, NotReady, load_all
from capstone.config import CapstoneSpec, ConfigError, Gate, Stage
from capstone.hooks import HookError

PASSED, FAILED, MENTOR = "passed", "failed", "mentor"
# The stages whose gates grade only a champion of the checked-out commit (Context.champion).
STRICT_STAGES = frozenset({"features", "experiments", "deployment"})


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
    def own(self) -> list[GateResult]:
        """The gates of this stage (and of every stage)."""
        return [result for result in self.gates if result.stage == self.stage]

    @property
    def earlier(self) -> list[GateResult]:
        """The blocking gates of the stages before this one, run again (grading adds up)."""
        return [result for result in self.gates if result.stage != self.stage]

    @property
    def regressions(self) -> list[GateResult]:
        """Gates of earlier stages that fail now."""
        return [result for result in self.earlier if result.status == FAILED]

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


def run_stage(
    context: Context,
    stage: Stage,
    skip: set[str] = frozenset(),
    done: dict[str, GateResult] | None = None,
    earlier: bool = True,
) -> StageResult:
    """Every gate `stage` grades (CapstoneSpec.graded: its own, and the blocking ones of the stages before it),
    except those in `skip` (the course's grader runs them). `done`: results of this run so far, by gate id;
    an earlier stage's gate found there is not run again (`capstone check all`), and new results are added.
    earlier=False: this stage's gates only (quicker while a team works; the checkpoint that counts runs all)."""
    started = time.perf_counter()
    done = {} if done is None else done
    results = []
    for gate, owner in context.spec.graded(stage):
        if gate.id in skip or (owner is not stage and not earlier):
            continue
        if owner is not stage and gate.id in done:
            results.append(done[gate.id])
            continue
        results.append(run_gate(context, gate, owner))
        done[gate.id] = results[-1]
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
    context.strict_champion = stage.key in STRICT_STAGES
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
        missing = missing_input(problem, context)
        if missing:
            result.status, result.measured, result.detail = FAILED, "not ready", missing
        else:
            result.status, result.measured = FAILED, "the gate could not run"
            result.detail = _error_detail(problem)
    finally:
        context.strict_champion = False
    result.seconds = round(time.perf_counter() - started, 1)
    return result


RUN_PIPELINE = "run `make pipeline`"


def missing_input(problem: Exception, context: Context) -> str | None:
    """One line saying what is missing and what to run, when `problem` is a missing input; else None.

    Only absences are translated: a file outside the repository, an unreachable MLflow server or a
    broken file stays an error, so a real bug is not hidden behind "not ready".
    """
    kinds = {f"{kind.__module__}.{kind.__qualname__}" for kind in type(problem).__mro__}
    if isinstance(problem, FileNotFoundError) and problem.filename:
        where = _inside(Path(str(problem.filename)), context.root)
        if where is not None:
            return f"{where} is missing; {RUN_PIPELINE} (one of its stages writes it)"
    if "mlflow.exceptions.MlflowException" in kinds and _absent_in_mlflow(problem):
        return (
            f"not in MLflow yet ({context.tracking_uri}): {_first_line(problem)}; "
            f"{RUN_PIPELINE} (its train and register stages log the runs and set the champion)"
        )
    if "capstone.feed.errors.FeedError" in kinds:
        return _first_line(problem)  # the team's data: its message says what to fix
    if "dvc.exceptions.NotDvcRepoError" in kinds:
        return (
            f"{context.root} is not a DVC repository (no .dvc/ folder); "
            "restore the one the template made (`git checkout -- .dvc`), or run `dvc init`"
        )
    return None


def _inside(path: Path, root: Path) -> str | None:
    """`path` relative to the repository `root`, or None when it lies outside it."""
    try:
        return (root / path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None


def _absent_in_mlflow(problem: Exception) -> bool:
    code, text = getattr(problem, "error_code", ""), str(problem).lower()
    # RESOURCE_DOES_NOT_EXIST: no such experiment, run, registered model or artifact; a missing alias
    # comes as INVALID_PARAMETER_VALUE ("Registered model alias champion not found.").
    return code == "RESOURCE_DOES_NOT_EXIST" or ("alias" in text and "not found" in text)


def _first_line(problem: Exception) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]


def _error_detail(problem: Exception) -> str:
    """The error's first line first; the rest of its message and the traceback folded under it."""
    rest = "\n".join(str(problem).strip().splitlines()[1:])
    folded = "\n\n".join(part for part in (rest, f"```\n{_short_traceback()}\n```") if part)
    return (
        f"{type(problem).__name__}: {_first_line(problem)}\n\n"
        f"<details><summary>The error in full</summary>\n\n{folded}\n\n</details>"
    )


def _short_traceback(lines: int = 12) -> str:
    return "\n".join(traceback.format_exc().rstrip().splitlines()[-lines:])
