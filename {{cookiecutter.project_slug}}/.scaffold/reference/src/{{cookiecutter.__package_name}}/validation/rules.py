"""The business rules the reference suites encode: formats, and per company the allowed ranges and
categories, from the feed's catalogue (`.venv/bin/capstone data defects --domain <name>`)."""

import math

NUMBER_TYPES = ["int64", "Int64", "int32", "float64", "Float64", "float32"]
ISO_DATE = r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"
# the day-first formats the source systems use: 05/03/2024, 05.03.2024, 05 Mar 2024, 20240305
ANY_DATE = r"^(?:\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4}|\d\d\.\d\d\.\d{4}|\d\d [A-Z][a-z]{2} \d{4}|\d{8})$"
MIN_ROWS = 100  # a delivery with fewer rows is a failed export (params: validate.min_rows)
MARGIN = 0.005  # sampling noise on top of a catalogued rate
# A custom CSV's shares are measured on its first delivery; a later one may be smaller, and its
# shares vary more: they are judged as if measured on at most this many rows.
DELIVERY_ROWS = 1_000


def at_least(share: float, rows: int, base: float) -> float:
    """`mostly` for a share of rows (filled, unique) measured on `rows` rows of a custom CSV.

    A new delivery may fall short of the share by 1 - base of it (params: validate.mostly), plus
    three standard errors of a share (at least MARGIN): a 50 %-empty column may come back a little
    emptier, not much. From 0 (anything goes: no value, or too few to tell, was seen) to 1, and
    rounded down, so the profiled data itself always passes.
    """
    rows = max(1, min(rows, DELIVERY_ROWS))
    noise = 3 * math.sqrt(share * (1 - share) / rows)
    return min(1.0, max(0.0, math.floor(round((share * base - max(noise, MARGIN)) * 1000, 6)) / 1000))


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
