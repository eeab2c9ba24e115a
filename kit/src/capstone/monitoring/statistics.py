"""Two-sample statistics for one column: training data (reference) against what came later (current).

Each returns plain floats, so a monitor can decide with its own thresholds. With thousands of rows
every difference is "significant": judge the size of the change (the statistic), not only p.
"""

import numpy as np
import pandas as pd


def numeric_test(reference: pd.Series, current: pd.Series) -> dict[str, float]:
    """Kolmogorov-Smirnov: {"statistic": the largest gap between the two distributions (0..1), "p_value",
    "median_ratio": current's median over reference's (about 100 or 0.01 after a unit change)}."""
    from scipy.stats import ks_2samp

    before = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype="float64")
    after = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype="float64")
    if len(before) == 0 or len(after) == 0:
        return dict(statistic=0.0, p_value=1.0, median_ratio=1.0)
    result = ks_2samp(before, after)
    base = float(np.median(before))
    ratio = float(np.median(after)) / base if base else 1.0
    return dict(statistic=float(result.statistic), p_value=float(result.pvalue), median_ratio=ratio)


def category_test(reference: pd.Series, current: pd.Series) -> dict[str, float]:
    """Chi-square on the two frequency tables: {"statistic": total variation distance between the two
    distributions (0..1: the share of rows that would have to change category), "p_value"}."""
    from scipy.stats import chi2_contingency

    before = reference.dropna().astype("str").value_counts()
    after = current.dropna().astype("str").value_counts()
    table = pd.concat([before, after], axis=1).fillna(0)
    if len(table) < 2 or before.sum() == 0 or after.sum() == 0:
        return dict(statistic=0.0, p_value=1.0)
    shares = table / table.sum()
    distance = float(0.5 * (shares.iloc[:, 0] - shares.iloc[:, 1]).abs().sum())
    p_value = float(chi2_contingency(table.to_numpy()).pvalue)
    return dict(statistic=distance, p_value=p_value)


def unseen_share(reference: pd.Series, current: pd.Series) -> float:
    """The share of current's values (missing ones left out) that the reference never had."""
    known = set(reference.dropna().astype("str"))
    values = current.dropna().astype("str")
    return float((~values.isin(known)).mean()) if len(values) else 0.0


def unparsed_date_share(current: pd.Series, date_format: str = "%Y-%m-%d") -> float:
    """The share of current's dates (missing ones left out) that do not parse in the training format."""
    values = current.dropna().astype("str")
    values = values[values.str.strip() != ""]
    if values.empty:
        return 0.0
    parsed = pd.to_datetime(values, format=date_format, errors="coerce")
    return float(parsed.isna().mean())
