"""The suites of a custom CSV: from the profile of the team's first good delivery, widened so that
honest new data passes (gx/custom_csv_profile.json)."""

import great_expectations.expectations as gxe

from .rules import NUMBER_TYPES, at_least


def custom_expectations(profile: dict, base: float, min_rows: int, clean: bool) -> list:
    """Expectations from the profile of the team's first good delivery (gx/custom_csv_profile.json).

    Every share (filled, unique) is the profiled one less a little (rules.at_least), so the data
    it was profiled from passes at any share of missing values, and a column that comes back much
    emptier fails. The clean suite compares with the rows the cleaning keeps (one of each copy,
    only rows with a label), and demands a label on every row and no copies.

    --- stage 2 (docs/stages/2-validation.md): replace profiled limits with your business rules ---
    """
    # profiles written before rows_clean/missing_clean existed: the raw shares
    rows = profile.get("rows_clean", profile["rows"]) if clean else profile["rows"]
    strict = 1.0 if clean else None
    unique = 1.0 if clean else at_least(1 - profile["duplicated"], rows, base)
    found = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=profile["columns"]),
        # a small team file may have fewer rows than the feed's minimum
        gxe.ExpectTableRowCountToBeBetween(min_value=max(1, min(min_rows, rows // 2))),
        # copies: no more rows repeating another than in the profiled delivery, give or take
        gxe.ExpectCompoundColumnsToBeUnique(column_list=profile["columns"], mostly=unique),
    ]
    for column in profile["columns"]:
        info = profile["column_info"][column]
        missing = info.get("missing_clean", info["missing"]) if clean else info["missing"]
        # 0: it may come back empty (no value, or too few to tell, was seen). Raw data may lack a
        # label, but the cleaning drops those rows.
        filled = 1.0 if clean and column == profile["target"] else at_least(1 - missing, rows, base)
        found.append(gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=filled))
        if filled > 0:  # pandas reads an empty column as numbers, whatever it holds when filled
            if info["kind"] == "number":
                found.append(gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=NUMBER_TYPES))
            elif info["kind"] in ("category", "text"):
                found.append(gxe.ExpectColumnValuesToBeOfType(column=column, type_="str"))
        if "values" in info:
            found.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column, value_set=info["values"], mostly=strict or base
                )
            )
        elif info["kind"] == "number" and info["missing"] < 1:
            low, high = info["min"], info["max"]
            span = (high - low) or max(abs(high), 1.0)
            # one span either side: honest new data passes, a unit mix-up (x100) does not
            found.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column, min_value=low - span, max_value=high + span, mostly=strict or base
                )
            )
        elif info["kind"] == "text":
            found.append(
                gxe.ExpectColumnValueLengthsToBeBetween(column=column, min_value=1, max_value=10_000)
            )
    return found
