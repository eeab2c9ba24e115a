"""Stage 1's exploration helpers: a profile of the raw data, column by column, and a plot per column.

The team's src/<package>/data/explore.py calls write_report (and adds its own looks); the pipeline's
explore stage runs it into reports/eda/: profile.md (what each column holds) and plots/<column>.png.
The data is read as delivered, every value as text, so that a placeholder ("?", "N/A", 999) or a
number in another format shows as it is, instead of being turned into a missing value or a float.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

TOP = 4  # the most common values shown per column
PLOTTED_CATEGORIES = 15


def as_numbers(values: pd.Series) -> pd.Series:
    """The values that read as numbers (the others missing)."""
    return pd.to_numeric(values.str.strip(), errors="coerce")


def column_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: empty cells, distinct values, the share read as numbers, their range, the top values."""
    rows = []
    for name in frame.columns:
        values = frame[name].astype("string").fillna("")
        filled = values[values.str.strip() != ""]
        numbers = as_numbers(filled)
        numeric = numbers.notna().mean() if len(filled) else 0.0
        top = filled.value_counts().head(TOP)
        rows.append(
            {
                "column": name,
                "empty": int(len(values) - len(filled)),
                "distinct": int(filled.nunique()),
                "numbers": f"{numeric:.0%}",
                "min": _number(numbers.min()) if numeric else "",
                "median": _number(numbers.median()) if numeric else "",
                "max": _number(numbers.max()) if numeric else "",
                "most common": ", ".join(f"{_short(value)} ({count})" for value, count in top.items()),
            }
        )
    return pd.DataFrame(rows)


def _number(value) -> str:
    return "" if pd.isna(value) else f"{value:,.4g}"


def _short(value: str, width: int = 24) -> str:
    text = repr(value) if value != value.strip() else value  # stray spaces are shown
    return text if len(text) <= width else text[: width - 3] + "..."


def plot_column(values: pd.Series, path: Path) -> None:
    """A histogram of a column of numbers, else a bar chart of its most common values."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    filled = values.astype("string").fillna("")
    filled = filled[filled.str.strip() != ""]
    numbers = as_numbers(filled)
    figure, axis = plt.subplots(figsize=(6, 3.2))
    if len(filled) and numbers.notna().mean() >= 0.9:
        axis.hist(numbers.dropna(), bins=50)
        axis.set_xlabel(values.name)
        unreadable = int(numbers.isna().sum())
        if unreadable:
            axis.set_title(f"{values.name}: {unreadable} value(s) are not numbers", fontsize=9)
    else:
        counts = filled.value_counts().head(PLOTTED_CATEGORIES)
        axis.barh([_short(str(value)) for value in counts.index[::-1]], counts.to_numpy()[::-1])
        axis.set_xlabel("rows")
        axis.set_title(f"{values.name}: {filled.nunique()} distinct value(s)", fontsize=9)
    axis.set_ylabel("")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def write_report(frame: pd.DataFrame, folder: Path, notes: list[str] = ()) -> Path:
    """reports/eda/: profile.md (the profile, the team's notes) and plots/<column>.png; returns profile.md."""
    folder = Path(folder)
    plots = folder / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    for old in plots.glob("*.png"):
        old.unlink()
    links = []
    for name in frame.columns:
        file = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)) + ".png"
        plot_column(frame[name], plots / file)
        links.append(f"[{name}](plots/{file})")
    lines = [
        "# The raw data, before cleaning",
        "",
        f"{len(frame):,} rows x {frame.shape[1]} columns, read as delivered (every value as text).",
        "",
        *[f"- {note}" for note in notes],
        "",
        "## Columns",
        "",
        column_profile(frame).to_markdown(index=False),
        "",
        "## Plots",
        "",
        " · ".join(links),
        "",
    ]
    path = folder / "profile.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
