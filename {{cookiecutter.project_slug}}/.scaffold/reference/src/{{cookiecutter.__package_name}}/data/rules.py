"""What each company's data needs, found by looking at it (value counts, medians per source system)
and by reading the feed's defect catalogue (`.venv/bin/capstone data defects --domain <name>`).

Synonyms are keyed by their normalised spelling (see rows.normalise), so case and spacing variants
need no entry of their own.
"""

RULES = dict(
    churn=dict(
        synonyms=dict(
            plan={
                "basic plan": "Basic",
                "basic 01": "Basic",
                "std": "Standard",
                "standard plan": "Standard",
                "prem": "Premium",
            },
            contract_type={
                "monthly": "Month-to-month",
                "m2m": "Month-to-month",
                "1 year": "One year",
                "12 months": "One year",
                "annual": "One year",
                "2 years": "Two year",
                "24 months": "Two year",
            },
            payment_method={
                "cc": "Credit card",
                "pp": "PayPal",
                "dd": "Direct debit",
                "bank invoice": "Invoice",
            },
        ),
        # partner_api sends the fee in cents; legacy_crm sends tenure in whole years
        units=[
            dict(column="monthly_fee", source="partner_api", divide_by=100),
            dict(column="tenure_months", source="legacy_crm", multiply_by=12, refine=True),
        ],
        sign_flips=["age"],  # a negative age is a sign flipped in a web form
        sentinels=dict(days_since_last_login=[999]),  # 999 = never logged in / unknown
        outliers=dict(avg_session_minutes=None),  # None: one group for all rows
    ),
    credit_default=dict(
        synonyms=dict(
            employment_status={
                "freelancer": "Self-employed",
                "jobless": "Unemployed",
                "not working": "Unemployed",
                "full time": "Employed",
                "employee": "Employed",
                "pensioner": "Retired",
            },
            loan_purpose={
                "consolidation": "Debt consolidation",
                "car loan": "Car",
                "auto": "Car",
                "renovation": "Home improvement",
                "home improvements": "Home improvement",
                "med": "Medical",
            },
        ),
        units=[
            dict(column="loan_amount", source="broker_portal", divide_by=100),
            dict(column="loan_term_months", source="legacy_core", multiply_by=12),  # terms are whole years
        ],
        sign_flips=["borrower_age"],
        sentinels=dict(credit_score=[0], num_late_payments_2y=[999]),
        # income depends strongly on the employment status, so compare like with like
        outliers=dict(annual_income="employment_status"),
    ),
    house_prices=dict(
        synonyms=dict(
            property_type={
                "semi": "Semi-detached",
                "flat": "Apartment",
                "condo": "Apartment",
                "terrace": "Terraced",
                "row house": "Terraced",
                "detached house": "Detached",
            },
            neighborhood={
                "oldtown": "Old Town",
                "univ heights": "University Heights",
                "harbor point": "Harbour Point",
                "mill dist": "Mill District",
            },
            condition={"v good": "Very good", "bad": "Poor"},
        ),
        units=[dict(column="annual_property_tax", source="county_import", divide_by=100)],
        sign_flips=["living_area_sqft"],
        sentinels=dict(year_built=[0], bedrooms=[99]),
        outliers=dict(lot_size_sqft="property_type"),  # apartments have tiny lots
    ),
)
