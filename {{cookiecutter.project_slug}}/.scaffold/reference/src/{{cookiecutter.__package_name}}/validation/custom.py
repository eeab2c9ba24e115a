"""The suites of a custom CSV: from the profile of the team's first good delivery, widened so that
honest new data passes (gx/custom_csv_profile.json)."""

import great_expectations.expectations as gxe

from .rules import MARGIN, NUMBER_TYPES


def custom_expectations(profile: dict, base: float, min_rows: int, clean: bool) -> list:
    """Expectations from the profile of the team's first good delivery (gx/custom_csv_profile.json).

    --- stage 2 (docs/stages/2-validation.md): replace profiled limits with your business rules ---
    """
    strict = 1.0 if clean else None
    found = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=profile["columns"]),
        # a small team file may have fewer rows than the feed's minimum
        gxe.ExpectTableRowCountToBeBetween(min_value=max(1, min(min_rows, profile["rows"] // 2))),
        # copies: the share of rows that repeated another row, plus room for a few more
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=profile["columns"], mostly=strict or round(min(base, 0.95 - profile["duplicated"]), 3)
        ),
    ]
    for column in profile["columns"]:
        info = profile["column_info"][column]
        if column == profile["target"]:
            found.append(gxe.ExpectColumnValuesToNotBeNull(column=column))
        else:
            holes = round(max(base - info["missing"] - MARGIN, 0.5), 3)
            found.append(gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=holes))
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
        elif info["kind"] == "number":
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
