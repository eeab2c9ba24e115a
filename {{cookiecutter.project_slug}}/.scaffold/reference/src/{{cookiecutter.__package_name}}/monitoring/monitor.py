"""Stage 6 (reference): drift per column, and a retraining decision from the model's quality.

Each column of what the model sees now (current) is compared with the training data (reference):
- numbers: Kolmogorov-Smirnov. Drifted when the gap between the two distributions is at least
  monitor.min_effect (with thousands of rows every tiny gap is "significant", so the size counts,
  and p must also pass a Bonferroni-corrected alpha). A median 5 times larger or smaller is a unit change.
- categories: values never seen in training (at least monitor.min_unseen of the rows: a new
  category), else chi-square with the total variation distance as the size of the change.
- dates: the share that no longer parses as YYYY-MM-DD (a format change). Dates move with time on
  their own, so their spread is not judged.
- free text: not judged (its words change every day).

Retraining is decided on quality, not on drift: inputs may drift while the model stays right, and the
relation to the target may change while the inputs look the same (concept drift). So: retrain when
the score on newly labelled rows fell by more than monitor.max_quality_drop; without labels, say what
drifted and wait for them.
"""

from capstone.monitoring import category_test, numeric_test, unparsed_date_share, unseen_share

UNIT_RATIO = 5.0  # a median this many times larger (or smaller) is another unit, not a trend


def monitor(reference, current, schema, settings: dict, quality) -> dict:
    alpha = float(settings.get("alpha", 0.01)) / max(1, len(schema.feature_columns))
    min_effect = float(settings.get("min_effect", 0.1))
    min_unseen = float(settings.get("min_unseen", 0.01))
    columns = {}
    for name in schema.numeric:
        result = numeric_test(reference[name], current[name])
        drifted = result["statistic"] >= min_effect and result["p_value"] < alpha
        ratio = result["median_ratio"]
        unit = drifted and (ratio >= UNIT_RATIO or 0 < ratio <= 1 / UNIT_RATIO)
        columns[name] = dict(
            drifted=drifted,
            test="ks",
            statistic=result["statistic"],
            p_value=result["p_value"],
            kind=("unit_change" if unit else "distribution_shift") if drifted else None,
            note=f"median x{ratio:.2f}",
        )
    for name in schema.categorical:
        unseen = unseen_share(reference[name], current[name])
        if unseen >= min_unseen:
            columns[name] = dict(drifted=True, test="unseen share", statistic=unseen, kind="new_category")
            continue
        result = category_test(reference[name], current[name])
        drifted = result["statistic"] >= min_effect and result["p_value"] < alpha
        columns[name] = dict(
            drifted=drifted,
            test="chi-square",
            statistic=result["statistic"],
            p_value=result["p_value"],
            kind="distribution_shift" if drifted else None,
        )
    for name in schema.dates:
        unparsed = unparsed_date_share(current[name])
        columns[name] = dict(
            drifted=unparsed >= min_unseen,
            test="unparsed share",
            statistic=unparsed,
            kind="format_change" if unparsed >= min_unseen else None,
        )
    retrain, why = decide(
        quality, [name for name, verdict in columns.items() if verdict["drifted"]], settings
    )
    return dict(columns=columns, retrain=retrain, why=why)


def decide(quality, drifted: list[str], settings: dict) -> tuple[bool, str]:
    """Retrain when the score fell by more than monitor.max_quality_drop on newly labelled rows."""
    limit = float(settings.get("max_quality_drop", 0.03))
    inputs = f"{len(drifted)} column(s) drifted ({', '.join(drifted) or 'none'})"
    if quality is None:
        return False, f"{inputs}; no labels yet, so the quality is unknown: decide when they arrive"
    moved = "fell" if quality.drop > 0 else "went"
    change = f"{quality.metric} {moved} from {quality.trained:.3f} to {quality.current:.3f}"
    if quality.drop > limit:
        return True, f"{change} on {quality.rows:,} labelled rows, more than the {limit} allowed; {inputs}"
    return False, f"{change}, within the {limit} allowed; {inputs}"
