"""The suites of a built-in company: each column checked against its business rules (rules.py), with
`mostly` on raw data set from the catalogued rate of the defects that break the check."""

from dataclasses import dataclass

import great_expectations.expectations as gxe
from capstone.dataset import DatasetSchema

from .rules import ANY_DATE, BREAKS, ISO_DATE, MARGIN, NUMBER_TYPES, RULES


@dataclass(frozen=True)
class Limits:
    """How many rows may break an expectation: none on clean data, the catalogued share on raw data."""

    defects: list  # the domain's catalogue: kind, column, rate
    base: float  # params.validate.mostly
    clean: bool

    def rate(self, column: str | None, kinds: tuple[str, ...]) -> float:
        return sum(d["rate"] for d in self.defects if d["column"] == column and d["kind"] in kinds)

    def tolerate(self, rate: float) -> float:
        # a duplicated row repeats its source's defects, so allow a fifth more than the rate
        return round(max(self.base - (1.2 * rate + MARGIN if rate else 0.0), 0.5), 3)

    def within(self, column: str, breaks: str) -> float:
        """`mostly` for a range, set or format check."""
        return 1.0 if self.clean else self.tolerate(self.rate(column, BREAKS[breaks]))

    def filled(self, column: str) -> float:
        """`mostly` for a not-null check: missing values may remain after cleaning."""
        return self.tolerate(self.rate(column, BREAKS["clean_missing" if self.clean else "missing"]))


def company_expectations(schema: DatasetSchema, name: str, base: float, min_rows: int, clean: bool) -> list:
    from capstone.feed import catalogue, get_domain

    domain, rules = get_domain(name), RULES[name]
    limits = Limits(catalogue(domain), base, clean)
    found = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=domain.names),
        gxe.ExpectTableRowCountToBeBetween(min_value=min_rows),
    ]
    for column in domain.columns:
        if column.kind == "id":
            found += _id(column.name, rules, limits)
        elif column.kind == "date":
            found += _date(column.name, limits)
        elif column.kind == "category":
            found += _category(column.name, rules["categories"][column.name], limits)
        elif column.kind == "text":
            found += _text(column.name, limits)
        elif column.kind == "target" and schema.is_classification:
            found += [
                gxe.ExpectColumnValuesToNotBeNull(column=column.name),  # a row without a label is no use
                gxe.ExpectColumnValuesToBeInSet(column=column.name, value_set=rules["target"]),
            ]
        else:  # int, float, or a regression target
            found += _number(column.name, rules, limits, is_target=column.kind == "target")
    return found


def _id(column: str, rules: dict, limits: Limits) -> list:
    copies = sum(d["rate"] for d in limits.defects if d["kind"] in ("exact_duplicate", "near_duplicate"))
    collisions = sum(d["rate"] for d in limits.defects if d["kind"] == "id_collision")
    # a copied or collided id appears twice, so about twice their rate of rows share an id
    shared = 1.0 if limits.clean else limits.tolerate(2 * (copies + collisions))
    # only the cleaning's new ids for collided records (<id>-2) carry a suffix
    pattern = rules["id_pattern"] if limits.clean else rules["id_pattern"].replace(r"(?:-\d+)?", "")
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        gxe.ExpectColumnValuesToBeOfType(column=column, type_="str"),
        gxe.ExpectColumnValuesToMatchRegex(
            column=column, regex=pattern, mostly=limits.within(column, "range")
        ),
        gxe.ExpectColumnValuesToBeUnique(column=column, mostly=shared),
    ]


def _date(column: str, limits: Limits) -> list:
    found = [
        gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=limits.filled(column)),
        gxe.ExpectColumnValuesToBeOfType(column=column, type_="str"),
        gxe.ExpectColumnValuesToMatchRegex(
            column=column, regex=ISO_DATE, mostly=limits.within(column, "date")
        ),
    ]
    if not limits.clean:  # every value must at least be a date in one of the known formats
        found.append(gxe.ExpectColumnValuesToMatchRegex(column=column, regex=ANY_DATE, mostly=limits.base))
    return found


def _category(column: str, allowed: list, limits: Limits) -> list:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=limits.filled(column)),
        gxe.ExpectColumnValuesToBeOfType(column=column, type_="str"),
        gxe.ExpectColumnValuesToBeInSet(
            column=column, value_set=allowed, mostly=limits.within(column, "category")
        ),
    ]


def _text(column: str, limits: Limits) -> list:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=limits.filled(column)),
        gxe.ExpectColumnValuesToBeOfType(column=column, type_="str"),
        gxe.ExpectColumnValueLengthsToBeBetween(column=column, min_value=1, max_value=1000),
    ]


def _number(column: str, rules: dict, limits: Limits, is_target: bool) -> list:
    found = [
        gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=1.0 if is_target else limits.filled(column)),
        gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=NUMBER_TYPES),
    ]
    within = limits.within(column, "range")
    if column in rules.get("numbers_in_sets", {}):
        allowed = rules["numbers_in_sets"][column]
        found.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=allowed, mostly=within))
    else:
        low, high = rules["ranges"][column]
        found.append(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, mostly=within)
        )
    return found
