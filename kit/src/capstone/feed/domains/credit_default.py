"""credit_default: consumer loans. Will the borrower default within two years?

One row per approved loan application from the quarter (the batch). Target: defaulted (0/1);
about 7 % of borrowers default, so accuracy is a poor metric here (predicting "no" is 93 % right).
"""

import numpy as np

from capstone.feed import dates
from capstone.feed.defects import DefectSpec
from capstone.feed.domains.common import choice, ids, sentences, sigmoid
from capstone.feed.drift import DriftEvent
from capstone.feed.schema import Column, Domain

SOURCES = ["branch", "online", "broker_portal", "legacy_core"]
SOURCE_SHARES = [0.40, 0.47, 0.06, 0.07]
PURPOSES = ["Debt consolidation", "Car", "Home improvement", "Education", "Medical", "Business", "Other"]

COLUMNS = (
    Column("loan_id", "id", "loan number, LN- and 9 digits (the first two are the batch)"),
    Column("application_date", "date", "the day the application was approved"),
    Column("oldest_account_date", "date", "the opening day of the borrower's oldest credit account"),
    Column("borrower_age", "int", "age in years"),
    Column("annual_income", "float", "gross yearly income in dollars", 0),
    Column("employment_status", "category", "Employed, Self-employed, Unemployed, Retired or Student"),
    Column("employment_years", "float", "years with the current employer", 1),
    Column("home_ownership", "category", "Rent, Mortgage, Own or Other"),
    Column("loan_purpose", "category", "what the loan is for (7 values; Solar panels from batch 2)"),
    Column("loan_amount", "float", "amount lent in dollars", 2),
    Column("loan_term_months", "int", "12, 24, 36, 48 or 60"),
    Column("interest_rate_pct", "float", "yearly interest rate in percent", 2),
    Column("credit_score", "int", "credit bureau score, 300 to 850"),
    Column("num_open_accounts", "int", "open credit accounts"),
    Column("num_late_payments_2y", "int", "payments more than 30 days late in the last two years"),
    Column(
        "debt_to_income_pct",
        "float",
        "monthly debt payments as percent of monthly income, before this loan",
        1,
    ),
    Column("credit_utilization_pct", "float", "credit card balance as percent of the limit", 3),
    Column("region", "category", "North, South, East, West or Central"),
    Column(
        "source_system",
        "category",
        "the system that delivered the record: branch, online, broker_portal, legacy_core",
    ),
    Column("loan_officer_note", "text", "the loan officer's note on the application"),
    Column("recovery_amount", "float", "dollars recovered by the collections agency", 2),
    Column("defaulted", "target", "1 if the borrower defaulted within two years, else 0"),
)

NOTES_SOLID = [
    "Stable employment, documents complete.",
    "Long-standing customer, salary account with us.",
    "Income verified with payslips.",
    "Low existing debt, straightforward case.",
]
NOTES_CHECK = [
    "Self-employed, income from tax return.",
    "Recently changed jobs, probation period ends soon.",
    "Some late payments, explained by a move.",
    "Co-signer considered but not required.",
]
NOTES_RISKY = [
    "High utilisation on two cards, approved with conditions.",
    "Several recent credit inquiries.",
    "Income partly variable, asked for more documents.",
    "Borrower asked to lower the monthly payment.",
]


def generate(rng: np.random.Generator, n: int, batch: int) -> dict[str, np.ndarray]:
    quarter_end = dates.quarter_end(batch)
    applied = dates.days_before(quarter_end, rng.uniform(0, 90, n))

    age = np.clip(np.round(rng.normal(40, 12, n)), 19, 80)
    status = choice(
        rng,
        ["Employed", "Self-employed", "Unemployed", "Retired", "Student"],
        n,
        [0.71, 0.14, 0.04, 0.07, 0.04],
    )
    status = np.where(age >= 66, "Retired", np.where((status == "Retired") & (age < 55), "Employed", status))
    status = np.where((status == "Student") & (age > 32), "Employed", status).astype(object)
    working = (status == "Employed") | (status == "Self-employed")
    employment_years = np.where(working, np.round(np.minimum(rng.gamma(1.6, 4.0, n), age - 18), 1), 0.0)

    income_level = np.select(
        [status == "Employed", status == "Self-employed", status == "Retired", status == "Student"],
        [np.log(52_000), np.log(58_000), np.log(34_000), np.log(14_000)],
        np.log(11_000),
    )
    income = np.round(np.exp(income_level + 0.015 * employment_years + rng.normal(0, 0.45, n)), -2)
    home = choice(rng, ["Rent", "Mortgage", "Own", "Other"], n, [0.42, 0.36, 0.15, 0.07])
    home = np.where((age > 55) & (rng.random(n) < 0.4), "Own", home).astype(object)
    # drift (batch >= 2): a green-energy programme brings a new purpose, Solar panels
    if batch >= 2:
        purpose = choice(rng, [*PURPOSES, "Solar panels"], n, [0.30, 0.20, 0.14, 0.07, 0.06, 0.06, 0.07, 0.10])
    else:
        purpose = choice(rng, PURPOSES, n, [0.34, 0.22, 0.15, 0.08, 0.06, 0.07, 0.08])
    amount = np.round(np.clip(rng.lognormal(np.log(11_000), 0.6, n), 1_000, 60_000), -1)
    term = np.array([12, 24, 36, 48, 60])[rng.choice(5, n, p=[0.08, 0.17, 0.35, 0.15, 0.25])]

    history_years = np.clip(rng.gamma(2.2, 5.0, n), 0.3, age - 18)
    score = np.clip(
        np.round(
            rng.normal(700, 55, n)
            + 4 * np.minimum(history_years, 15)
            - 60 * (status == "Unemployed")
            - 40 * (rng.random(n) < 0.12)
        ),
        300,
        850,
    )
    late = rng.poisson(np.exp((640 - score) / 70) * 0.8)
    accounts = rng.poisson(2 + 0.25 * np.minimum(history_years, 20))
    utilization = np.round(np.clip(100 * rng.beta(2, 3, n) + (700 - score) / 6, 0, 120), 1)
    dti = np.round(np.clip(rng.normal(22, 9, n), 0, 70), 1)
    # drift (batch >= 2): central-bank rate rises push every loan up by 0.75 percentage points per quarter
    rate = np.round(
        np.clip(5 + (850 - score) / 28 + 0.03 * term + rng.normal(0, 1.2, n), 3, 29) + 0.75 * (batch - 1), 2
    )
    monthly_rate = rate / 1200
    installment = amount * monthly_rate / (1 - (1 + monthly_rate) ** -term)
    burden = 12 * installment / np.maximum(income, 5_000)  # share of income that goes to this loan

    affordability = 10.0 * np.maximum(burden - 0.2, 0)  # the payment is too large for the income
    # drift (batch >= 2): concept drift. A government scheme pays the part of an instalment above 20 %
    # of income, so a loan that is large for the income stops leading to default, while a recession
    # lifts every borrower's risk a little (the default rate stays near 6 %). The inputs do not change.
    if batch >= 2:
        affordability = np.full(n, 1.0)

    # The signal: non-linear effects and interactions, so model choice and feature work matter.
    z = (
        -5.0
        + 1.8 * sigmoid((600 - score) / 20)  # a cliff below about 600, flat above
        + 3.6 * ((dti > 35) & (utilization > 75))  # debt plus maxed-out cards, together
        + 1.8 * (utilization < 5)  # no card use at all: a thin, untested credit file
        + 0.3 * np.minimum(late, 3)
        + np.select([status == "Unemployed", status == "Student"], [0.6, 0.4], 0.0)
        + 1.8 * ((status == "Self-employed") & (employment_years < 2))  # a young business
        + affordability
        + np.select([purpose == "Business", purpose == "Medical", purpose == "Education"], [1.4, 1.1, 0.8], 0.0)
        + 2.2 * ((purpose == "Car") & (term >= 48))  # the car is worth less than the debt for years
        + 1.6 * ((home == "Rent") & (age < 30))
        - 0.8 * (history_years > 10)
        + 0.5 * (age < 25)
        + 0.5 * (age > 68)
    )
    defaulted = (rng.random(n) < sigmoid(z)).astype(np.int64)
    # The leak: collections only recover money from borrowers who defaulted.
    recovery = np.where(defaulted == 1, np.round(amount * rng.uniform(0.05, 0.6, n), 2), 0.0)

    pool = np.where(
        (utilization > 80) | (late >= 2) | (burden > 0.25),
        2,
        np.where((status == "Employed") & (late == 0), 0, 1),
    )
    oldest = dates.days_before(quarter_end, history_years * 365.25)
    # drift (batch >= 4): the credit bureau sends oldest_account_date as DD.MM.YYYY
    oldest_format = "%d.%m.%Y" if batch >= 4 else dates.ISO
    # drift (batch >= 3): the card system sends utilisation as a fraction (0.45), not percent (45.0)
    utilization_unit = 0.01 if batch >= 3 else 1.0
    return dict(
        loan_id=ids(rng, "LN-", batch, n),
        application_date=dates.format_dates(applied),
        oldest_account_date=dates.format_dates(oldest, oldest_format),
        borrower_age=age,
        annual_income=income,
        employment_status=status,
        employment_years=employment_years,
        home_ownership=home,
        loan_purpose=purpose,
        loan_amount=amount,
        loan_term_months=term.astype(float),
        interest_rate_pct=rate,
        credit_score=score,
        num_open_accounts=accounts.astype(float),
        num_late_payments_2y=late.astype(float),
        debt_to_income_pct=dti,
        credit_utilization_pct=np.round(utilization * utilization_unit, 3),
        region=choice(rng, ["North", "South", "East", "West", "Central"], n, [0.22, 0.20, 0.18, 0.25, 0.15]),
        source_system=choice(rng, SOURCES, n, SOURCE_SHARES),
        loan_officer_note=sentences(rng, [NOTES_SOLID, NOTES_CHECK, NOTES_RISKY], pool),
        recovery_amount=recovery,
        defaulted=defaulted,
    )


DEFECTS = (
    DefectSpec("exact_duplicate", None, 0.015, "application exported twice by the batch job"),
    DefectSpec(
        "near_duplicate",
        None,
        0.01,
        "application re-keyed by a clerk: the officer's note retyped, debt_to_income_pct rounded",
        dict(changed_columns=["loan_officer_note", "debt_to_income_pct"]),
    ),
    DefectSpec("id_collision", "loan_id", 0.005, "a loan number issued twice: two loans share one id"),
    DefectSpec(
        "unit_mixup",
        "loan_amount",
        SOURCE_SHARES[2],
        "broker_portal sends loan_amount in cents, not dollars (all its rows)",
        dict(source_column="source_system", source="broker_portal", sent_unit="cents", multiply_by=100),
    ),
    DefectSpec(
        "unit_mixup",
        "loan_term_months",
        SOURCE_SHARES[3],
        "legacy_core sends the loan term in years, not months (all its rows)",
        dict(source_column="source_system", source="legacy_core", sent_unit="years", divide_by=12),
    ),
    DefectSpec(
        "missing_dependent",
        "annual_income",
        0.05,
        "income not stated, mostly by self-employed borrowers",
        dict(depends_on="employment_status"),
        weights=lambda table: np.where(table["employment_status"] == "Self-employed", 12.0, 1.0),
    ),
    DefectSpec("missing_random", "home_ownership", 0.03, "home ownership not filled in"),
    DefectSpec("missing_random", "num_open_accounts", 0.02, "credit bureau field empty"),
    DefectSpec(
        "category_variant",
        "employment_status",
        0.04,
        "status typed by hand: employed, SELF EMPLOYED, Self employed, Jobless",
        dict(
            synonyms={
                "Self-employed": ["Self employed", "Freelancer"],
                "Unemployed": ["Jobless", "Not working"],
                "Employed": ["Full-time", "Employee"],
                "Retired": ["Pensioner"],
            }
        ),
    ),
    DefectSpec(
        "category_variant",
        "loan_purpose",
        0.04,
        "purpose typed by hand: debt consolidation, Car loan, Renovation, Med.",
        dict(
            synonyms={
                "Debt consolidation": ["Debt Consolidation", "Consolidation"],
                "Car": ["Car loan", "Auto"],
                "Home improvement": ["Renovation", "Home Improvements"],
                "Medical": ["Med."],
            }
        ),
    ),
    DefectSpec(
        "impossible_value",
        "borrower_age",
        0.005,
        "negative age (a sign flipped in a form)",
        dict(how="negative"),
    ),
    DefectSpec("sentinel", "credit_score", 0.01, "0 means 'no score from the bureau'", dict(value=0)),
    DefectSpec("sentinel", "num_late_payments_2y", 0.005, "999 means 'not reported'", dict(value=999)),
    DefectSpec(
        "mixed_date_format",
        "application_date",
        0.05,
        "application_date in another format: 05/03/2024, 05.03.2024, 05 Mar 2024, 20240305",
        dict(formats=list(dates.OTHER_FORMATS)),
    ),
    DefectSpec(
        "outlier",
        "annual_income",
        0.005,
        "income 10-40x too high (monthly and yearly fields swapped)",
        dict(min_factor=10, max_factor=40),
    ),
    DefectSpec("label_noise", "defaulted", 0.005, "defaulted recorded wrongly (flipped)", dict(how="flip")),
    DefectSpec(
        "leaky_column",
        "recovery_amount",
        1.0,
        "money recovered after a default: above zero only for borrowers who defaulted",
    ),
)

DRIFT = (
    DriftEvent(
        "new_category",
        "loan_purpose",
        2,
        "a green-energy programme adds Solar panels (about 10 % of loans)",
        dict(value="Solar panels"),
    ),
    DriftEvent(
        "distribution_shift",
        "interest_rate_pct",
        2,
        "rates rise by 0.75 percentage points per quarter",
        dict(per_batch=0.75),
    ),
    DriftEvent(
        "unit_change",
        "credit_utilization_pct",
        3,
        "the card system sends utilisation as a fraction (0.45) instead of percent (45.0)",
        dict(sent_unit="fraction", multiply_by=0.01),
    ),
    DriftEvent(
        "concept_drift",
        "annual_income",
        2,
        "a government scheme pays instalments above 20 % of income: loans large for the income stop defaulting",
        dict(
            columns=["annual_income", "loan_amount"],
            before="log-odds of default: +10 x (yearly instalment / annual_income - 0.2) when above 0",
            after="log-odds of default: +1.0 for every borrower (a recession), whatever the instalment",
        ),
    ),
    DriftEvent(
        "format_change",
        "oldest_account_date",
        4,
        "the credit bureau switches to DD.MM.YYYY",
        dict(format="%d.%m.%Y"),
    ),
)

DOMAIN = Domain(
    name="credit_default",
    title="Consumer loan default",
    task="binary",
    target="defaulted",
    id_column="loan_id",
    leaky_column="recovery_amount",
    columns=COLUMNS,
    generate=generate,
    defects=DEFECTS,
    drift=DRIFT,
)
