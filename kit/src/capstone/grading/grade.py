"""The course's grader: grade a stage of a team's repository, running the team's code only in sandboxes.

`run()` is the grading job of the course's checkpoint workflow (job 2 of 3 for a stage scored on the
holdout). In order:

1. CI-sized data: params.yaml gets fewer feed rows in the job's checkout (capstone.checkpoints.ci).
2. As the team user (capstone.grading.sandbox), in the team's environment: `make setup`,
   `make pipeline`, then the stage's gates that call the team's code (capstone.grading.worker,
   with the course's kit lent read-only in front of the team's: capstone.grading.shadow), then the
   champion's answers on the holdout's features when job 1 made them.
3. Every process of the team user is ended. Then the grader, in its own process: reads the team
   process's results (checked against capstone.yaml), runs the gates that need no team code
   (`integrity`: the mentor-owned files and the code owners' reviews), flags a team that pins
   another kit, and writes the report into its own folder, which the team user cannot write.

`finish()` is job 3: it scores the answers against the holdout's labels and completes the report.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from capstone import __version__
from capstone.checkpoints.check import FAILED, MENTOR, GateResult, StageResult, run_gate
from capstone.checkpoints.gates.champion_beats_baseline import ADVICE, GATE_ID
from capstone.checkpoints.gates.no_leak_gap import GATE_ID as NO_LEAK_GAP
from capstone.checkpoints.report import WAITING, write_reports
from capstone.config import CapstoneSpec, Params, Stage, load_params, load_spec
from capstone.contributions import commit_counts, report_section
from capstone.grading import holdout_jobs
from capstone.grading.pin import read_pin
from capstone.grading.sandbox import TeamUser
from capstone.grading.shadow import lend_kit

# Run by the grader itself, never in the team's process.
COURSE_GATES = frozenset({"integrity"})
HOLDOUT_GATES = frozenset({GATE_ID, NO_LEAK_GAP})  # scored on the holdout: apart, in job 3
GRADED = "graded"  # the subfolder of --out with job 2's files for job 3 (answers, holdout facts)
SETUP_TIMEOUT = 30 * 60
PIPELINE_TIMEOUT = 40 * 60
CHECK_TIMEOUT = 30 * 60


@dataclass
class Grading:
    team: Path  # the team's checkout (the team user may write it)
    out: Path  # the grader's folder: reports and job 3's inputs (the team user may not write it)
    stage: str
    user: TeamUser = field(default_factory=TeamUser.grader)
    work: Path | None = None  # the grader's scratch (the lent kit); default: out/.work
    holdout: Path | None = None  # job 1's folder (features, holdout.json), when the stage is scored on it
    kit_source: str = ""  # where the course installed this kit from, for the report
    rows: int | None = None  # CI-sized data (feed rows); None keeps params.yaml
    setup: bool = True
    pipeline: bool = True
    meta: dict = field(default_factory=dict)  # commit, PR, ... for the report
    evidence: Path | None = None  # where to copy the evidence (plots, Data Docs, ...); default: out/evidence


def run(grading: Grading) -> StageResult:
    """Grade `grading.stage` (job 2); writes the report (final, or waiting for job 3) into `grading.out`."""
    started = time.perf_counter()
    team, user = grading.team.resolve(), grading.user
    params, spec = load_params(team), load_spec(team)
    stage = spec.stage(grading.stage)
    grading.out.mkdir(parents=True, exist_ok=True)
    graded = grading.out / GRADED
    # A folder used before must not lend its old answers or report to this run.
    shutil.rmtree(graded, ignore_errors=True)
    for old in grading.out.glob("checkpoint-*"):
        old.unlink()
    graded.mkdir()
    # First, while the checkout is as GitHub made it: git and the grader's own gates (no team code;
    # after the team's processes, .git/config could carry a command for git to run).
    os.environ.update(_trusting(team))
    from capstone.checkpoints.context import Context

    context = Context(team, params, spec)
    own = {
        gate.id: run_gate(context, gate, stage) for gate in [*spec.every_stage, *stage.gates] if gate.id in COURSE_GATES
    }
    meta = _meta(team, params, grading)
    evidence = report_section(team, params.project.package)
    if evidence:
        meta["contributions"] = evidence
        meta["contributors"] = commit_counts(team, params.project.package)
    if grading.rows:
        _ci_sized(team, grading.rows, stage.number)
    work = (grading.work or grading.out / ".work").resolve()
    kit = lend_kit(work / "kit")
    # What the team's processes write for the grader: in the grader's work folder, not the team's tree.
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    user.give(scratch)
    user.give(team)
    env = {"PYTHONPATH": str(kit), "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db", "UV_PROJECT_ENVIRONMENT": ".venv"}
    python = str(team / ".venv" / "bin" / "python")
    notes = [user.note]
    # The team's process runs what this checkpoint reports (graded_gates), except the course's own gates.
    left_out = {gate.id for gate, _ in spec.graded(stage)} - {gate.id for gate, _ in graded_gates(spec, stage)}
    skip = set(COURSE_GATES) | left_out
    scored_apart = grading.holdout is not None and (grading.holdout / holdout_jobs.FEATURES).is_file()
    if grading.holdout is not None and (scored_apart or _read_json(grading.holdout / holdout_jobs.INFO).get("problem")):
        skip |= HOLDOUT_GATES
    steps = []
    if grading.setup:
        steps.append(("make setup", ["make", "setup"], SETUP_TIMEOUT))
    if grading.pipeline:
        steps.append(("make pipeline", ["make", "pipeline"], PIPELINE_TIMEOUT))
    worker = [python, "-m", "capstone.grading.worker"]
    steps.append(
        (
            "the stage's gates",
            [*worker, "check", str(stage.number), "--out", str(scratch / "team.json")]
            + [arg for gate in sorted(skip) for arg in ("--skip", gate)],
            CHECK_TIMEOUT,
        )
    )
    broken = ""
    try:
        for name, args, timeout in steps:
            if name != "make setup":  # before the team's pipeline: the environment must be usable, and ours
                broken = broken or _lent_kit_problem(user, python, team, env, kit)
                if broken:
                    break
            print(f"--- {name} (as {user.name})", flush=True)
            try:
                done = user.run(args, team, env, timeout=timeout)
            except subprocess.TimeoutExpired:
                broken = f"{name} took longer than {timeout // 60} minutes"
                break
            if done.returncode != 0:
                broken = f"{name} failed (exit {done.returncode}): the job log above says why"
                break
        if not broken and scored_apart:
            _answer(grading, team, scratch, graded, user, worker, env)
    finally:
        stopped = user.end()
    if stopped:
        notes.append(f"{stopped} process(es) the team's code left running were stopped")
    collect_evidence(team, grading.evidence or grading.out / "evidence")
    results = _team_results(scratch / "team.json", stage, spec, broken)
    by_id = {result.id: result for result in results}
    by_id.update(own)
    if grading.holdout is not None and (grading.holdout / holdout_jobs.INFO).is_file():
        shutil.copy(grading.holdout / holdout_jobs.INFO, graded / holdout_jobs.INFO)
    mentors_problem = _read_json(grading.holdout / holdout_jobs.INFO).get("problem") if grading.holdout else None
    for gate in [*spec.every_stage, *stage.gates]:
        if gate.id in HOLDOUT_GATES and scored_apart and not broken:
            by_id[gate.id] = _waiting(gate, stage)
        elif gate.id in HOLDOUT_GATES and mentors_problem:
            # Job 1 found the mentors' file unusable: the mentors' to fix, not the team's gate to fail.
            by_id[gate.id] = GateResult(
                gate.id,
                stage.number,
                gate.check,
                gate.kind,
                gate.blocking,
                MENTOR,
                measured="the mentors' input cannot be used",
                brief=stage.brief,
                detail=ADVICE["mentors"].format(problem=str(mentors_problem)[:2000]),
            )
    result = StageResult(
        stage=stage.number,
        key=stage.key,
        title=stage.title,
        brief=stage.brief,
        gates=[by_id[gate.id] for gate, _ in graded_gates(spec, stage) if gate.id in by_id],
        mentor_checklist=list(stage.mentor_checklist),
        holdout_secret=_holdout_secret(grading, scratch / "team.json"),
        seconds=round(time.perf_counter() - started, 1),
    )
    meta["team_code"] = "; ".join(notes)
    if scored_apart:
        meta["waiting_for"] = "the holdout's score (the next job)"
    if broken:
        meta["broken"] = broken
    (graded / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    write_reports(result, meta, grading.out)
    shutil.rmtree(work, ignore_errors=True)
    return result


def finish(team: Path, graded_folder: Path, out: Path, stage_key: str, secrets: dict | None = None) -> StageResult:
    """Job 3: score the answers job 2 made against the holdout's labels, and write the final report."""
    from capstone.checkpoints.context import Context

    params, spec = load_params(team), load_spec(team)
    stage = spec.stage(stage_key)
    report = json.loads((graded_folder / f"checkpoint-{stage.number}.json").read_text(encoding="utf-8"))
    result = stage_from_dict(report)
    meta = dict(report.get("meta") or {})
    meta.pop("waiting_for", None)
    context = Context(team, params, spec, secrets=dict(secrets or {}))
    holdout_info = _read_json(graded_folder / GRADED / holdout_jobs.INFO)
    for index, gate in enumerate(result.gates):
        if gate.id in HOLDOUT_GATES and gate.measured == WAITING:  # scored apart: job 2 left it to this job
            thresholds = next(g.thresholds for g in stage.gates if g.id == gate.id)
            result.gates[index] = holdout_jobs.score_answers(context, graded_folder / GRADED, gate, dict(thresholds))
            result.holdout_secret = bool(holdout_info.get("secret"))
    write_reports(result, meta, out)
    return result


def stage_from_dict(data: dict) -> StageResult:
    """A StageResult read back from a report's JSON (unknown keys are ignored)."""
    known = {f.name for f in fields(GateResult)}
    gates = [GateResult(**{k: v for k, v in gate.items() if k in known}) for gate in data.get("gates", [])]
    keep = {f.name for f in fields(StageResult)} - {"gates"}
    return StageResult(gates=gates, **{k: v for k, v in data.items() if k in keep})


def _answer(grading, team, scratch, graded, user, worker, env) -> None:
    """The champion's answers on job 1's features, as the team user (the grader reads its files afterwards)."""
    source = grading.holdout
    features = scratch / holdout_jobs.FEATURES
    shutil.copy(source / holdout_jobs.FEATURES, features)
    user.give(scratch)
    answers = scratch / holdout_jobs.ANSWERS
    print(f"--- the champion answers the holdout's features (as {user.name}, no labels)", flush=True)
    user.run([*worker, "answers", "--features", str(features), "--out", str(answers)], team, env, timeout=CHECK_TIMEOUT)
    for name in (holdout_jobs.ANSWERS, holdout_jobs.PROBLEM, holdout_jobs.VERSION):
        try:
            (graded / name).write_bytes(read_team_file(scratch / name))
        except OSError:
            continue
    if not (graded / holdout_jobs.ANSWERS).is_file() and not (graded / holdout_jobs.PROBLEM).is_file():
        problem = {"problem": "the team's model gave no answers (the job log above says why)"}
        (graded / holdout_jobs.PROBLEM).write_text(json.dumps(problem), encoding="utf-8")


def _team_results(path: Path, stage: Stage, spec: CapstoneSpec, broken: str) -> list[GateResult]:
    """The team process's results, believed only for the gates capstone.yaml lists, and as text."""
    try:
        data = json.loads(read_team_file(path)) if not broken else {}
        reported = {str(gate["id"]): gate for gate in data.get("gates", []) if isinstance(gate, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        reported = {}
    results = []
    for gate, owner in graded_gates(spec, stage):
        result = GateResult(gate.id, owner.number, gate.check, gate.kind, gate.blocking, MENTOR, brief=owner.brief)
        if gate.kind == "mentor":
            result.measured = "judged by a mentor in the review"
        elif gate.id in reported:
            found = reported[gate.id]
            status = str(found.get("status"))
            result.status = status if status in ("passed", "failed", "mentor") else FAILED
            for name in ("measured", "expected", "detail"):
                setattr(result, name, str(found.get(name, ""))[:20_000])
            result.seconds = float(found.get("seconds") or 0)
        else:
            result.status, result.measured = FAILED, "not graded"
            result.detail = broken or "The team's process gave no result for this gate: the job log says why."
        results.append(result)
    return results


def graded_gates(spec: CapstoneSpec, stage: Stage) -> list:
    """The (gate, its stage) pairs this stage's official checkpoint reports: CapstoneSpec.graded, except an
    earlier stage's holdout gate (graded at its own stage, where the holdout jobs run)."""
    return [(gate, owner) for gate, owner in spec.graded(stage) if owner is stage or gate.id not in HOLDOUT_GATES]


def _lent_kit_problem(user: TeamUser, python: str, team: Path, env: dict, kit: Path) -> str:
    """ "" when the team's Python imports the course's kit from the lent folder; else what is wrong.

    A PYTHONPATH entry the team user cannot read is skipped silently by Python, which would then
    import the team's own kit: the grade would be the team's kit's. So it is checked, not assumed.
    """
    if not Path(python).exists():
        return "the team's environment (.venv) is missing: `make setup` failed or did not run"
    readable = user.run(["test", "-x", python], team, env, timeout=60, capture=True)
    if readable.returncode != 0:
        return (
            f"{user.name} cannot run the team's Python ({python}): its .venv was made from a Python that user "
            "cannot read (one under /root?); make it from one every user can run (UV_PYTHON=/usr/bin/python3.11)"
        )
    probe = "import capstone, sys; sys.stdout.write(capstone.__file__ + ' ' + capstone.__version__)"
    done = user.run([python, "-c", probe], team, env, timeout=300, capture=True)
    where, _, version = (done.stdout or "").strip().partition(" ")
    if done.returncode != 0 or not where.startswith(str(kit) + os.sep):
        return (
            f"the team's Python did not import the course's kit from {kit} (it found {where or 'none'}): "
            f"the folder must be readable by {user.name}; give the grader a --work folder that is"
        )
    if version != __version__:
        return f"the team's Python reports capstone-kit {version}, the course's is {__version__}"
    return ""


def _waiting(gate, stage: Stage) -> GateResult:
    return GateResult(
        gate.id,
        stage.number,
        gate.check,
        gate.kind,
        gate.blocking,
        FAILED,
        measured=WAITING,
        brief=stage.brief,
    )


def _holdout_secret(grading: Grading, team_json: Path) -> bool | None:
    if grading.holdout is not None and (grading.holdout / holdout_jobs.INFO).is_file():
        return bool(_read_json(grading.holdout / holdout_jobs.INFO).get("secret"))
    return _read_json(team_json).get("holdout_secret")


def read_team_file(path: Path, limit: int = 20_000_000) -> bytes:
    """A regular file the team's process wrote, refusing a symlink (to a file of the grader's) or a huge one."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{path.name} is larger than {limit} bytes")
    return data


EVIDENCE = ("plots", "gx/uncommitted/data_docs", "reports", ".bentoml/checkpoint-serve.log")
EVIDENCE_LIMIT = 200_000_000


def collect_evidence(team: Path, folder: Path) -> int:
    """Copy the mentor's evidence out of the team's checkout: regular files only, never a symlink.

    The upload step then reads the grader's copy, so a team symlink cannot smuggle a runner's file
    into the artifact. Returns the bytes copied (at most EVIDENCE_LIMIT).
    """
    copied = 0
    for name in EVIDENCE:
        start = team / name
        if start.is_symlink() or not start.exists():
            continue
        files = [start] if start.is_file() else []
        if start.is_dir():
            for where, folders, names in os.walk(start, followlinks=False):
                folders[:] = [f for f in folders if not (Path(where) / f).is_symlink()]
                files += [Path(where) / n for n in names]
        for file in files:
            try:
                data = read_team_file(file, limit=EVIDENCE_LIMIT - copied)
            except OSError:
                continue
            target = folder / file.relative_to(team)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            copied += len(data)
    return copied


def _trusting(team: Path) -> dict[str, str]:
    """git may read the checkout although another user owns it (git's safe.directory, for this process only)."""
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": str(team)}


def installed_source() -> str:
    """Where this kit was installed from (PEP 610's direct_url.json), or "a package index"."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution("capstone-kit").read_text("direct_url.json")
    except PackageNotFoundError:
        return "an uninstalled source tree"
    if not text:
        return "a package index"
    data = json.loads(text)
    url, vcs = str(data.get("url", "")), data.get("vcs_info") or {}
    if vcs:
        return f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}"
    return url


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _ci_sized(team: Path, rows: int, stage: int) -> None:
    from capstone.checkpoints.ci import ci_params

    path = team / "params.yaml"
    text, said = ci_params(path.read_text(encoding="utf-8"), rows, stage)
    path.write_text(text, encoding="utf-8")
    print(said, flush=True)


def _meta(team: Path, params: Params, grading: Grading) -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=team,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    meta = {
        "team": params.project.slug,
        "commit": commit,
        "dataset": params.data.dataset,
        "scaffold": params.project.scaffold,
        "grader": f"capstone-kit {__version__} from {grading.kit_source or installed_source()}",
        "official": True,
        **grading.meta,
    }
    mismatch = read_pin(team).mismatch(__version__, grading.kit_source)
    if mismatch:
        meta["kit_mismatch"] = mismatch
    return meta
