"""Stage 6 (skeleton): a naive monitor that runs end to end. Make it right (docs/stages/6-operations.md).

It looks at one numeric column only, compares the means, and never asks for retraining. What a
real monitor needs, column by column: a test per kind of column (numbers, categories, dates), a
size of change that matters (with thousands of rows every tiny gap is "significant"), values never
seen in training, dates in another format, and a retraining decision based on the model's quality
on newly labelled rows (`quality`), because the relation to the target can change while the inputs
look the same. capstone.monitoring has the statistics.
"""


def monitor(reference, current, schema, settings: dict, quality) -> dict:
    columns = {}
    if schema.numeric:
        name = schema.numeric[0]
        before, after = reference[name].mean(), current[name].mean()
        spread = reference[name].std() or 1.0
        shift = abs(after - before) / spread
        columns[name] = dict(
            drifted=bool(shift > 1.0), test="mean shift in standard deviations", statistic=shift
        )
    # TODO (stage 6): judge every column, and decide on retraining from `quality`.
    return dict(columns=columns, retrain=False, why="the skeleton never retrains (TODO: decide from quality)")
