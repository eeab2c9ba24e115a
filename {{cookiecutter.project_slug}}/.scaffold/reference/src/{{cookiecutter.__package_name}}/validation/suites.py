"""Stage 2 (reference): what good data looks like, as Great Expectations expectations in code.

`raw_expectations(schema, params)` and `clean_expectations(schema, params)` return lists of
expectations; validate.py stores them as the suites `raw` and `clean` in gx/ and runs them.

- raw: guards the shape of a delivery and catches gross corruption. The feed delivers its
  catalogued defects (capstone/feed/README.md) at known rates, so an expectation that those
  defects break gets `mostly` = params.validate.mostly minus the catalogued rate (plus a margin),
  and no more: a column that suddenly breaks more often than that stops the pipeline.
- clean: strict. After cleaning every value is in its canonical form and range, dates are ISO and
  ids are unique; only missing values may remain, at the rates the catalogue explains.

Ranges and categories are business rules (what a value may be), not this batch's min and max.
For a custom CSV there is no catalogue: the expectations come from a profile of the team's first
good delivery, frozen in gx/custom_csv_profile.json, and widened so that new honest data passes.
"""

from dataclasses import dataclass

import great_expectations.expectations as gxe
from capstone.config import Params
from capstone.dataset import DatasetSchema

NUMBER_TYPES = ["int64", "Int64", "int32", "float64", "Float64", "float32"]
ISO_DATE = r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"
# the day-first formats the source systems use: 05/03/2024, 05.03.2024, 05 Mar 2024, 20240305
ANY_DATE = r"^(?:\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4}|\d\d\.\d\d\.\d{4}|\d\d [A-Z][a-z]{2} \d{4}|\d{8})$"
MIN_ROWS = 100  # a delivery with fewer rows is a failed export (params: validate.min_rows)
MARGIN = 0.005  # sampling noise on top of a catalogued rate

# Business rules per company, from the feed's README. Ranges are inclusive. The categories include
# the values the README announces for later batches (Family, Solar panels, Greenfield Park).
REGIONS = ["North", "South", "East", "West", "Central"]
YES_NO = ["yes", "no"]
RULES = dict(
    churn=dict(
        # -2, -3, ...: the new id the cleaning gives the second record of a collided id
        id_pattern=r"^CUS-\d{9}(?:-\d+)?$",
        ranges=dict(
            age=(18, 120),
            monthly_fee=(0, 200),  # dollars: the dearest plan with every add-on is far below this
            discount_pct=(0, 100),
            tenure_months=(0, 600),
            support_calls_90d=(0, 200),
            avg_session_minutes=(0, 1440),  # a session cannot be longer than a day
            days_since_last_login=(0, 730),  # two years of login history; 999 means "unknown"
            satisfaction_score=(1, 10),
            total_spend=(0, 100_000),
        ),
        categories=dict(
            region=REGIONS,
            plan=["Basic", "Standard", "Premium", "Family"],
            contract_type=["Month-to-month", "One year", "Two year"],
            payment_method=["Credit card", "Direct debit", "PayPal", "Invoice"],
            newsletter_opt_in=YES_NO,
            source_system=["web", "app", "partner_api", "legacy_crm"],
            retention_team_contacted=YES_NO,
        ),
        target=[0, 1],
    ),
    credit_default=dict(
        id_pattern=r"^LN-\d{9}(?:-\d+)?$",
        ranges=dict(
            borrower_age=(18, 120),
            annual_income=(0, 1_000_000),  # a consumer-loan applicant; above is a typing error
            employment_years=(0, 70),
            loan_amount=(100, 100_000),  # dollars
            interest_rate_pct=(0, 40),
            credit_score=(300, 850),  # the bureau's scale; 0 means "no score"
            num_open_accounts=(0, 100),
            num_late_payments_2y=(0, 100),  # 999 means "not reported"
            debt_to_income_pct=(0, 100),
            credit_utilization_pct=(0, 150),  # over the limit is possible, within reason
            recovery_amount=(0, 100_000),
        ),
        categories=dict(
            employment_status=["Employed", "Self-employed", "Unemployed", "Retired", "Student"],
            home_ownership=["Rent", "Mortgage", "Own", "Other"],
            loan_purpose=[
                "Debt consolidation",
                "Car",
                "Home improvement",
                "Education",
                "Business",
                "Medical",
                "Other",
                "Solar panels",
            ],
            region=REGIONS,
            source_system=["branch", "online", "broker_portal", "legacy_core"],
        ),
        numbers_in_sets=dict(loan_term_months=[12, 24, 36, 48, 60]),
        target=[0, 1],
    ),
    house_prices=dict(
        id_pattern=r"^SL-\d{9}(?:-\d+)?$",
        ranges=dict(
            living_area_sqft=(100, 20_000),  # square feet; square metres would be far below
            lot_size_sqft=(0, 500_000),
            bedrooms=(0, 20),  # 99 means "not recorded"
            bathrooms=(0, 15),
            year_built=(1700, 2030),  # 0 means "year unknown"
            overall_quality=(1, 10),
            garage_spaces=(0, 3),
            distance_to_center_km=(0, 100),
            annual_property_tax=(0, 200_000),  # dollars
            price_per_sqft=(0, 10_000),
            sale_price=(1_000, 100_000_000),
        ),
        categories=dict(
            neighborhood=[
                "Old Town",
                "Riverside",
                "Harbour Point",
                "University Heights",
                "Parkside",
                "Hillcrest",
                "Lakeview",
                "Mill District",
                "Northgate",
                "Eastwood",
                "Southport",
                "Westfield",
                "Greenfield Park",
            ],
            property_type=["Detached", "Semi-detached", "Terraced", "Apartment", "Bungalow"],
            condition=["Poor", "Fair", "Good", "Very good", "Excellent"],
            heating_type=["Gas", "Electric", "Heat pump", "Oil"],
            source_system=["mls", "agent_portal", "county_import"],
        ),
    ),
)

# Which catalogued defect kinds break which kind of expectation (see the README's defect table).
BREAKS = dict(
    missing=("missing_random", "missing_dependent"),
    range=("impossible_value", "sentinel", "outlier", "unit_mixup"),
    category=("category_variant",),
    date=("mixed_date_format",),
    # in the clean data: cells the cleaning may have set to missing
    clean_missing=("missing_random", "missing_dependent", "impossible_value", "sentinel", "outlier"),
)


def raw_expectations(schema: DatasetSchema, params: Params, profile: dict | None = None) -> list:
    return _expectations(schema, params, profile, clean=False)


def clean_expectations(schema: DatasetSchema, params: Params, profile: dict | None = None) -> list:
    return _expectations(schema, params, profile, clean=True)


def _expectations(schema: DatasetSchema, params: Params, profile: dict | None, clean: bool) -> list:
    """profile: for a custom CSV, the profile of its first good delivery (see validate.custom_profile)."""
    settings = params.model_extra.get("validate") or {}
    base = float(settings.get("mostly", 0.99))
    min_rows = int(settings.get("min_rows", MIN_ROWS))
    if params.data.dataset == "custom_csv":
        return _custom(profile, base, min_rows, clean)
    return _domain(schema, params.data.dataset, base, min_rows, clean)


# --- a built-in company ---------------------------------------------------------------------------


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


def _domain(schema: DatasetSchema, name: str, base: float, min_rows: int, clean: bool) -> list:
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


# --- a custom CSV ---------------------------------------------------------------------------------


def _custom(profile: dict, base: float, min_rows: int, clean: bool) -> list:
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
