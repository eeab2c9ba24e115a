"""Row fixes of the cleaning: copies and re-typed copies of a record, and ids two records share."""

import numpy as np
import pandas as pd


def normalise(values: pd.Series) -> pd.Series:
    """A spelling-insensitive key: lower case, '-', '_' and '.' dropped, single spaces, no edges."""
    return (
        values.str.casefold()
        .str.replace(r"[-_]", " ", regex=True)
        .str.replace(".", "", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )


def near_duplicates(frame: pd.DataFrame) -> pd.Series:
    """Rows that repeat another row once text case and spacing and decimals are ignored.

    A clerk re-typing a record changes the case or spacing of a note and rounds a number; the copy
    to drop is the one that looks re-typed (a rounded number, a lower-case or badly spaced text).
    """
    key = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == "str":
            key[column] = normalise(values)
        elif pd.api.types.is_float_dtype(values):
            key[column] = values.round(0)
        else:
            key[column] = values
    group_of_row = key.groupby(list(key.columns), dropna=False, sort=False).ngroup()
    in_group = group_of_row.duplicated(keep=False)
    drop = pd.Series(False, index=frame.index)
    for _, group in frame[in_group].groupby(group_of_row[in_group], sort=False):
        scores = [retyped_score(group.loc[row], group) for row in group.index]
        keep = group.index[int(np.argmin(scores))]  # ties: the first row
        drop[group.index.drop(keep)] = True
    return drop


def retyped_score(row: pd.Series, group: pd.DataFrame) -> int:
    """How re-typed a row looks next to the other rows of its group (0 = looks original)."""
    score = 0
    for column in group.columns:
        values = group[column]
        if values.nunique(dropna=False) < 2:
            continue
        value = row[column]
        if isinstance(value, str):
            score += value != " ".join(value.split())  # stray or double spaces
            score += value == value.lower() and (values != values.str.lower()).any()
            score += not value.endswith(".") and values.str.endswith(".").any()
        elif isinstance(value, float) and not np.isnan(value):
            score += value == round(value) and (values != values.round(0)).any()
    return score


def new_ids_for_collisions(frame: pd.DataFrame, id_column: str) -> int:
    """Two different records with one id: keep both and give the later one a new id (<id>-2, ...).

    The copies are gone by now, so rows that still share an id are different records.
    """
    later = frame[id_column].duplicated(keep="first") & frame[id_column].notna()
    number = frame.groupby(id_column).cumcount() + 1
    frame.loc[later, id_column] = frame.loc[later, id_column] + "-" + number[later].astype(str)
    return int(later.sum())
