"""robust-inference (stage 3): what production sends does not break the champion.

Unseen categories, a missing value in each feature, rows with nothing, unreadable dates: the
champion returns one finite prediction per row for each (probes.robustness_cases, the same cases
the team's tests run through capstone.testing).
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import prediction_problem, robustness_cases
from capstone.checkpoints.registry import Outcome, gate, one_thread
from capstone.checkpoints.text import failure

BRIEF = "docs/stages/3-features.md"
EXPECTED = "no crash, no NaN"
ADVICE = dict(
    finding="{count} of {total} awkward inputs break the champion: {cases}",
    advice=(
        "Production sends what training never saw. In features/pipeline.py impute missing values "
        "(SimpleImputer), let encoders take unknown categories (OneHotEncoder(handle_unknown=...)) and "
        'parse dates with errors="coerce". tests/model/test_features.py runs the same cases.\n{lines}'
    ),
    item="- {case}: {problem}",
)


@gate("robust-inference")
@one_thread
def robust_inference(context, thresholds) -> Outcome:
    cases = robustness_cases(evidence.sample_rows(context, 50), context.schema)
    predict = evidence.champion_predict(context)
    problems = {name: prediction_problem(predict, rows) for name, rows in cases.items()}
    problems = {name: problem for name, problem in problems.items() if problem}
    if not problems:
        return Outcome(True, f"finite predictions in all {len(cases)} cases: {', '.join(cases)}", EXPECTED)
    lines = "\n".join(ADVICE["item"].format(case=name, problem=problem) for name, problem in problems.items())
    return failure(
        ADVICE["finding"].format(count=len(problems), total=len(cases), cases=", ".join(problems)),
        ADVICE["advice"].format(lines=lines),
        BRIEF,
        EXPECTED,
    )
