"""features-use-columns (stage 3): the share of the dataset's feature columns the champion uses.

A column counts as used when scrambling it (shuffling its values between SAMPLE_ROWS raw holdout
rows) changes at least one prediction (probes.scramble_effects). A pipeline that drops the
categories, dates or text throws information away; the skeleton's numeric-only features use about
half the columns. An unused numeric column that nearly copies a used one (|r| >= 0.95 on the
sample rows, like fifty yearly columns that move together) counts as used: it adds no information.
"""

from capstone.checkpoints import evidence
from capstone.checkpoints.probes import near_copies, scramble_effects
from capstone.checkpoints.registry import Outcome, gate, one_thread, threshold
from capstone.checkpoints.text import failure, names

BRIEF = "docs/stages/3-features.md"
ADVICE = dict(
    finding="the champion ignores {unused} of the {total} feature columns",
    advice=(
        "Scrambling these changes none of its predictions: {columns}. Give them features in "
        "features/pipeline.py: encode the categorical and text columns, turn the dates into numbers "
        "(durations, months)."
    ),
)


@gate("features-use-columns")
@one_thread
def features_use_columns(context, thresholds) -> Outcome:
    minimum = threshold(thresholds, "min_used_share", 0.7)
    expected = f"at least {minimum:.2f}"
    columns = list(context.schema.feature_columns)
    rows = evidence.sample_rows(context)
    effects = scramble_effects(evidence.champion_predict(context), rows, columns)
    unused = [column for column, share in effects.items() if share == 0]
    copies = near_copies(rows, unused, [column for column in columns if column not in unused])
    unused = [column for column in unused if column not in copies]
    share = 1 - len(unused) / len(columns) if columns else 0.0
    measured = f"{share:.2f} of the {len(columns)} feature columns used"
    if copies:
        measured += f" ({len(copies)} of them through a nearly identical column)"
    if share >= minimum:
        return Outcome(True, measured, expected)
    return failure(
        ADVICE["finding"].format(unused=len(unused), total=len(columns)),
        ADVICE["advice"].format(columns=names(unused)),
        BRIEF,
        expected,
        measured,
    )
