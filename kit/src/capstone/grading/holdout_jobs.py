"""The two grading steps that hold the holdout secret, and run no team code.

    make_features  (job 1): the holdout's rows without their labels, for the team's model to answer
    score_answers  (job 3): the model's answers (made in job 2, without the secret) against the labels,
                   for champion-beats-baseline and no-leak-gap (with the validation score job 2 reported)

Both rebuild the same holdout from the secret (the feed is deterministic; the mentors' file is read
again), and job 3 checks that the rows are the ones job 1 handed out (a digest of the features).
Nothing here imports the team's package, loads its model or runs its Makefile: the team's
repository is read as data (params.yaml, capstone.yaml) only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from capstone.checkpoints.check import FAILED, MENTOR, PASSED, GateResult
from capstone.checkpoints.gates import no_leak_gap
from capstone.checkpoints.gates.champion_beats_baseline import ADVICE, judge
from capstone.checkpoints.holdout import PATH_VARIABLE, Holdout, HoldoutProblem, load_holdout, secret_value
from capstone.grading import outputs

FEATURES = "holdout-features.parquet"
INFO = "holdout.json"
ANSWERS = "holdout-answers.npz"
VERSION = "holdout-answers.json"  # the champion's version, for the report's advice
# The team's process could not answer: its problem, or (holdout: true) a claim that the mentors'
# file lacks the team's columns, which a mentor then checks (it is the team's process that says so).
PROBLEM = "holdout-answers.problem.json"


class _NoFile(Exception):
    pass


def digest(frame: pd.DataFrame) -> str:
    """A fingerprint of the rows handed out, so job 3 scores the rows job 1 made."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()


def features_of(holdout: Holdout) -> pd.DataFrame:
    return holdout.labelled().drop(columns=[holdout.target])


def make_features(context, out: Path) -> dict:
    """Write the holdout's features (no label) and what the report may say about them; returns that."""
    out.mkdir(parents=True, exist_ok=True)
    custom = context.params.data.dataset == "custom_csv"
    try:
        if custom and not secret_value(context, PATH_VARIABLE):
            # No mentors' file: the team's own test split stands in, scored in the grading job (not secret).
            raise _NoFile()
        holdout = load_holdout(context)
    except _NoFile:
        info = {"secret": False, "note": "no mentors' holdout file is set: the team's test split stands in"}
    except HoldoutProblem as problem:
        info = {"problem": str(problem)}
    else:
        frame = features_of(holdout)
        frame.to_parquet(out / FEATURES, index=False)
        info = {"rows": len(frame), "secret": holdout.secret, "source": holdout.source, "digest": digest(frame)}
    (out / INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return info


def score_answers(context, graded: Path, gate: GateResult, thresholds: dict) -> GateResult:
    """The gate's result from the answers in `graded` (job 2's folder), judged against the holdout's labels."""
    from capstone.pipeline.scoring import metric_name

    problem = _read(graded / PROBLEM) if (graded / PROBLEM).is_file() else None
    if problem is not None:
        text = str(problem.get("problem") or "the team's process could not answer")[:2000]
        if problem.get("holdout") is True:
            claim = f"The team's process reports: {text}. A mentor checks this claim against the team's data"
            return _with(gate, MENTOR, "the mentors' input cannot be used", ADVICE["mentors"].format(problem=claim))
        return _with(gate, FAILED, "not ready", text)
    try:
        holdout = load_holdout(context)
    except HoldoutProblem as error:
        return _with(gate, MENTOR, "the mentors' input cannot be used", ADVICE["mentors"].format(problem=error))
    info = _read(graded / INFO)
    labelled = holdout.labelled()
    if info.get("digest") != digest(features_of(holdout)):
        return _with(
            gate,
            FAILED,
            "the holdout rows do not match",
            "The rows scored are not the rows the features job handed out (did the secret change between "
            "the jobs?). Re-run the checkpoint.",
        )
    try:
        answered = outputs.load(graded / ANSWERS)
        train = context.params.model_extra.get("train") or {}
        metric = metric_name(train.get("metric"), holdout.task)
        y = labelled[holdout.target]
        scores = {model: outputs.score(metric, answered[model], y) for model in outputs.MODELS}
    except (outputs.OutputsError, ValueError) as error:
        return _with(gate, FAILED, "the model's answers cannot be scored", str(error))
    facts = _read(graded / VERSION)
    version = str(facts.get("champion_version", "?"))[:40]
    if gate.id == no_leak_gap.GATE_ID:
        valid = facts.get("valid_score")
        if not isinstance(valid, int | float):
            said = str(facts.get("valid_problem") or "the team's process reported no validation score")[:2000]
            return _with(gate, FAILED, "not ready", said)
        valid_rows = facts.get("valid_rows")
        rows = (int(valid_rows) if isinstance(valid_rows, int) and valid_rows > 0 else len(y), len(y))
        outcome = no_leak_gap.judge_gap(float(valid), scores["champion"], metric, rows, holdout, version, thresholds)
    else:
        outcome = judge(scores, metric, len(y), holdout, version, thresholds)
    result = _with(gate, PASSED if outcome.passed else FAILED, outcome.measured, outcome.detail)
    result.expected, result.values = outcome.expected, dict(outcome.values)
    return result


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _with(gate: GateResult, status: str, measured: str, detail: str) -> GateResult:
    return GateResult(**{**gate.__dict__, "status": status, "measured": measured, "detail": str(detail)})
