"""leaky-column-unused (stage 3): neither the leaky column, the id nor the target reaches the champion.

Two checks. Static: the columns the champion takes (its feature_names_in_, and the input signature
logged with it, which is what the service asks clients for) include none of them. Behavioural:
scrambling each of them in raw holdout rows, before model_input builds the model's input, changes
no prediction, whatever path the column might take into the model (probes.scramble_effects).
"""

from capstone.checkpoints import evidence, runs
from capstone.checkpoints.probes import forbidden_columns, model_columns, scramble_effects
from capstone.checkpoints.registry import Outcome, gate, one_thread
from capstone.checkpoints.text import failure, names

BRIEF = "docs/stages/3-features.md"
EXPECTED = "not an input; no influence"
ADVICE = dict(
    finding="the champion uses {columns}",
    worst=" (up to {worst:.0f}% of its predictions move)",
    advice=(
        "The leaky column is only known after the outcome, the id and the target are no features: a model "
        "that uses them looks great in training and fails in production. Keep them out of the model's "
        "input and of features/pipeline.py.\n{lines}"
    ),
    input="- `{column}` is an input of the champion",
    moves="- scrambling `{column}` changes {share:.0f}% of its predictions",
)


@gate("leaky-column-unused")
@one_thread
def leaky_column_unused(context, thresholds) -> Outcome:
    forbidden = forbidden_columns(context.schema)
    inputs = set(model_columns(context.champion_model) or []) | set(runs.signature_columns(context))
    taken = [column for column in forbidden if column in inputs]
    sample = evidence.sample_rows(context)
    present = [column for column in forbidden if column in sample.columns]
    try:
        moved = scramble_effects(evidence.champion_predict(context), sample, present)
    except Exception:
        if not taken:
            raise
        moved = {}  # a model that takes a forbidden column cannot predict the model input without it
    influential = {column: share for column, share in moved.items() if share > 0}
    if not taken and not influential:
        return Outcome(True, f"{names(forbidden)}: not inputs, no influence on {len(sample)} rows", EXPECTED)
    lines = [ADVICE["input"].format(column=column) for column in taken]
    lines += [ADVICE["moves"].format(column=column, share=share * 100) for column, share in influential.items()]
    used = sorted(set(taken) | set(influential))
    worst = max(influential.values(), default=0.0)
    finding = ADVICE["finding"].format(columns=names(used)) + (
        ADVICE["worst"].format(worst=worst * 100) if worst else ""
    )
    return failure(finding, ADVICE["advice"].format(lines="\n".join(lines)), BRIEF, EXPECTED)
