"""The measurements that need the team's code, run inside the team's environment as the team user.

The grader (capstone.grading.grade) starts this module with the team's Python and the course's kit
first on PYTHONPATH (capstone.grading.shadow), as an unprivileged user with no secret:

    python -m capstone.grading.worker check STAGE --out FILE [--skip GATE ...]
    python -m capstone.grading.worker answers --features FILE --out FILE

`check` runs the stage's gates that call the team's functions and writes their results as JSON;
`answers` makes the champion and its baseline answer the holdout's rows (features only: this
process never sees a label) and saves the answers (capstone.grading.outputs). Both write into the
team's scratch folder; the grader reads the files after this process has ended, checks them, and
writes the report itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _context():
    from capstone.checkpoints.context import Context
    from capstone.config import load_params, load_spec

    root = Path.cwd()
    return Context(root, load_params(root), load_spec(root))


def check(stage: str, out: Path, skip: list[str]) -> int:
    from capstone.checkpoints.check import run_stage

    context = _context()
    chosen = context.spec.stage(stage)
    try:
        result = run_stage(context, chosen, skip=set(skip))
    finally:
        context.close()
    for gate in result.gates:
        print(f"  {gate.status:>7}  {gate.id}: {gate.measured}", flush=True)
    out.write_text(json.dumps(result.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def answers(features: Path, out: Path) -> int:
    import pandas as pd
    from capstone.checkpoints.gates.champion_beats_baseline import answers as model_answers
    from capstone.checkpoints.holdout import HoldoutProblem
    from capstone.checkpoints.registry import NotReady
    from capstone.grading import outputs

    context = _context()
    frame = pd.read_parquet(features)
    problem = out.with_suffix(".problem.json")
    try:
        found = model_answers(context, frame)
        if found is None:
            raise NotReady("no baseline run (tag baseline=true): keep the dummy model in models/candidates.py")
    except (HoldoutProblem, NotReady) as error:
        said = {"problem": str(error), "holdout": isinstance(error, HoldoutProblem)}
        problem.write_text(json.dumps(said), encoding="utf-8")
        return 0
    outputs.save(out, found)
    facts = {"champion_version": str(context.champion.version)}
    try:  # for no-leak-gap: the champion's score on the team's validation split
        from capstone.checkpoints import evidence
        from capstone.checkpoints.gates.no_leak_gap import validation_score

        facts["valid_score"], facts["valid_rows"] = validation_score(context, evidence.metric(context))
    except Exception as error:  # noqa: BLE001 (the gap is then not ready; the other gate still is graded)
        facts["valid_problem"] = str(error)[:2000]
    out.with_suffix(".json").write_text(json.dumps(facts), encoding="utf-8")
    print(f"  the champion (version {context.champion.version}) and its baseline answered {len(frame)} rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    parser = argparse.ArgumentParser(prog="python -m capstone.grading.worker")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("check")
    one.add_argument("stage")
    one.add_argument("--out", type=Path, required=True)
    one.add_argument("--skip", action="append", default=[])
    two = commands.add_parser("answers")
    two.add_argument("--features", type=Path, required=True)
    two.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.stage, args.out, args.skip)
    return answers(args.features, args.out)


if __name__ == "__main__":
    sys.exit(main())
