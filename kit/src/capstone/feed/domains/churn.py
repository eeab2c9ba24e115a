"""churn: a video-streaming subscription business. Will a customer cancel in the next quarter?

One row per customer, as the CRM exports it at the end of a quarter (the batch). Target: churned (0/1).
"""

import numpy as np

from capstone.feed import dates
from capstone.feed.defects import DefectSpec
from capstone.feed.domains.common import choice, ids, is_in, sentences, sigmoid, yes_no
from capstone.feed.drift import DriftEvent, growth
from capstone.feed.schema import Column, Domain

# Source systems and their shares; two of them send a column in the wrong unit (see DEFECTS).
SOURCES = ["web", "app", "partner_api", "legacy_crm"]
SOURCE_SHARES = [0.55, 0.35, 0.05, 0.05]
PLAN_FEES = dict(Basic=9.99, Standard=15.99, Premium=22.99, Family=27.99)

COLUMNS = (
    Column("customer_id", "id", "customer number, CUS- and 9 digits (the first two are the batch)"),
    Column("signup_date", "date", "the day the subscription started"),
    Column("last_payment_date", "date", "the day of the last successful payment"),
    Column("age", "int", "age in years"),
    Column("region", "category", "sales region: North, South, East, West, Central"),
    Column("plan", "category", "subscription plan: Basic, Standard, Premium (Family from batch 2)"),
    Column("contract_type", "category", "Month-to-month, One year or Two year"),
    Column("payment_method", "category", "Credit card, Direct debit, PayPal or Invoice"),
    Column("monthly_fee", "float", "monthly fee in dollars, after discount and add-ons", 2),
    Column("discount_pct", "int", "discount in percent"),
    Column("tenure_months", "int", "months since signup"),
    Column("support_calls_90d", "int", "calls to customer support in the last 90 days"),
    Column("avg_session_minutes", "float", "average viewing session in minutes", 1),
    Column("days_since_last_login", "int", "days since the customer last logged in"),
    Column("satisfaction_score", "int", "last survey answer, 1 (very unhappy) to 10 (very happy)"),
    Column("total_spend", "float", "dollars paid since signup", 2),
    Column("newsletter_opt_in", "category", "yes or no"),
    Column("source_system", "category", "the system that delivered the record: web, app, partner_api, legacy_crm"),
    Column("last_ticket_note", "text", "the support agent's note on the customer's last ticket"),
    Column("retention_team_contacted", "category", "yes or no: the retention team called the customer"),
    Column("churned", "target", "1 if the customer cancelled in the following quarter, else 0"),
)

NOTES_HAPPY = [
    "Asked how to add a second profile.",
    "Wanted to know when the new season starts.",
    "Updated payment details, no issues.",
    "Asked about the offline download feature.",
    "Thanked us for the quick fix.",
    "Question about parental controls, resolved.",
]
NOTES_NEUTRAL = [
    "Video quality dropped in the evening, reset the app.",
    "Could not log in on the smart TV, sent a reset link.",
    "Asked why the fee changed this month.",
    "Double charge reported, refunded.",
    "Subtitles out of sync on one title.",
]
NOTES_UNHAPPY = [
    "Very unhappy with buffering, third call this month.",
    "Asked how to cancel the subscription.",
    "Complained that the price is too high for what is offered.",
    "Says a competitor is cheaper, wants a discount.",
    "Billing error again, customer is frustrated.",
]


def generate(rng: np.random.Generator, n: int, batch: int) -> dict[str, np.ndarray]:
    snapshot = dates.quarter_end(batch)

    # drift (batch >= 2): the Family plan is launched and takes customers from the other plans
    if batch >= 2:
        plan = choice(rng, ["Basic", "Standard", "Premium", "Family"], n, [0.40, 0.30, 0.18, 0.12])
    else:
        plan = choice(rng, ["Basic", "Standard", "Premium"], n, [0.45, 0.35, 0.20])
    contract = choice(rng, ["Month-to-month", "One year", "Two year"], n, [0.55, 0.27, 0.18])
    payment = choice(rng, ["Credit card", "Direct debit", "PayPal", "Invoice"], n, [0.38, 0.30, 0.20, 0.12])
    region = choice(rng, ["North", "South", "East", "West", "Central"], n, [0.22, 0.20, 0.18, 0.25, 0.15])
    source = choice(rng, SOURCES, n, SOURCE_SHARES)
    age = np.clip(np.round(rng.normal(41, 13, n)), 18, 88)

    long_contract = np.where(contract == "Two year", 18, np.where(contract == "One year", 8, 0))
    tenure = np.clip(np.ceil(rng.gamma(1.2, 18, n)) + long_contract, 1, 120)
    discount = np.array([0, 5, 10, 15, 20, 25])[rng.choice(6, n, p=[0.5, 0.15, 0.15, 0.1, 0.06, 0.04])]
    addons = np.minimum(rng.poisson(0.7, n), 4)
    base_fee = np.select([plan == name for name in PLAN_FEES], list(PLAN_FEES.values()))
    # drift (batch >= 2): a price rise of 6 % per quarter
    fee = np.round((base_fee * (1 - discount / 100) + 3.49 * addons) * growth(batch, 0.06), 2)

    engagement = rng.normal(0, 1, n)  # hidden: how much the customer uses the service
    friction = rng.gamma(1.0, 1.0, n)  # hidden: how many problems the customer runs into
    calls = rng.poisson(0.4 + 0.9 * friction * np.where(plan == "Basic", 1.4, 1.0))
    session = np.round(np.exp(np.log(24) + 0.35 * engagement + 0.2 * (plan == "Premium") + rng.normal(0, 0.4, n)), 1)
    last_login = np.minimum(np.round(rng.exponential(np.exp(1.7 - 0.9 * engagement))), 365)
    satisfaction = np.clip(np.round(7.2 - 0.9 * friction - 0.25 * calls + rng.normal(0, 1.4, n)), 1, 10)
    payment_gap = np.round(rng.uniform(0, 31, n) + (rng.random(n) < 0.08) * rng.uniform(10, 60, n))
    spend = np.round(fee * tenure * rng.uniform(0.85, 1.0, n), 2)
    newsletter = yes_no(rng.random(n) < sigmoid(-0.6 + 0.5 * engagement))

    # The signal: non-linear effects and interactions, so model choice and feature work matter.
    contract_effect = np.select([contract == "Month-to-month", contract == "One year"], [1.1, -0.3], -1.4)
    # drift (batch >= 2): concept drift. A new law lets customers cancel any contract with a month's
    # notice, so the contract type stops mattering: every customer gets about the old average effect
    # (the churn rate stays near 28 %). The inputs do not change; only churned (and its leak) does.
    if batch >= 2:
        contract_effect = np.full(n, 0.4)
    z = (
        -2.8
        + contract_effect
        + 1.7 * np.exp(-tenure / 5)  # new customers leave more often
        + calls * np.where(is_in(plan, ["Basic", "Standard"]), 0.5, 0.1)  # calls hurt most on cheap plans
        + 1.5 * (last_login > 21)  # a customer who stopped logging in is about to leave
        + 1.1 * (satisfaction <= 4)
        - 0.4 * (satisfaction >= 9)
        + 0.9 * ((payment == "Invoice") & (contract == "Month-to-month"))
        + 1.2 * (payment_gap > 35)  # a missed payment
        + 0.8 * ((fee > 20) & (session < 18))  # paying a lot, watching little
        + 0.6 * (age < 25)
        - 0.5 * (discount >= 15)
    )
    churned = (rng.random(n) < sigmoid(z)).astype(np.int64)
    # The leak: the retention team calls customers who have already announced that they will cancel.
    contacted = yes_no(np.where(churned == 1, rng.random(n) < 0.93, rng.random(n) < 0.04))

    pool = np.where((satisfaction <= 4) | (calls >= 4), 2, np.where(satisfaction >= 8, 0, 1))
    signup = dates.days_before(snapshot, tenure * 30.44 + rng.uniform(0, 30, n))
    # drift (batch >= 4): the payment provider sends last_payment_date as DD/MM/YYYY
    payment_format = "%d/%m/%Y" if batch >= 4 else dates.ISO
    # drift (batch >= 3): the app's analytics system reports sessions in seconds, same column name
    session_unit = 60.0 if batch >= 3 else 1.0
    return dict(
        customer_id=ids(rng, "CUS-", batch, n),
        signup_date=dates.format_dates(signup),
        last_payment_date=dates.format_dates(dates.days_before(snapshot, payment_gap), payment_format),
        age=age,
        region=region,
        plan=plan,
        contract_type=contract,
        payment_method=payment,
        monthly_fee=fee,
        discount_pct=discount.astype(float),
        tenure_months=tenure,
        support_calls_90d=calls.astype(float),
        avg_session_minutes=np.round(session * session_unit, 1),
        days_since_last_login=last_login,
        satisfaction_score=satisfaction,
        total_spend=spend,
        newsletter_opt_in=newsletter,
        source_system=source,
        last_ticket_note=sentences(rng, [NOTES_HAPPY, NOTES_NEUTRAL, NOTES_UNHAPPY], pool),
        retention_team_contacted=contacted,
        churned=churned,
    )


DEFECTS = (
    DefectSpec("exact_duplicate", None, 0.015, "customer exported twice by the nightly sync"),
    DefectSpec(
        "near_duplicate",
        None,
        0.01,
        "customer re-entered by hand: the ticket note retyped, total_spend rounded",
        dict(changed_columns=["last_ticket_note", "total_spend"]),
    ),
    DefectSpec("id_collision", "customer_id", 0.005, "a reused customer number: two customers share one id"),
    DefectSpec(
        "unit_mixup",
        "monthly_fee",
        SOURCE_SHARES[2],
        "partner_api sends monthly_fee in cents, not dollars (all its rows)",
        dict(source_column="source_system", source="partner_api", sent_unit="cents", multiply_by=100),
    ),
    DefectSpec(
        "unit_mixup",
        "tenure_months",
        SOURCE_SHARES[3],
        "legacy_crm sends tenure in whole years, not months (all its rows)",
        dict(source_column="source_system", source="legacy_crm", sent_unit="years", divide_by=12),
    ),
    DefectSpec(
        "missing_dependent",
        "satisfaction_score",
        0.06,
        "no survey answer, mostly for customers who never called support (surveys follow calls)",
        dict(depends_on="support_calls_90d"),
        weights=lambda table: np.where(table["support_calls_90d"] == 0, 10.0, 1.0),
    ),
    DefectSpec("missing_random", "region", 0.03, "region not filled in"),
    DefectSpec("missing_random", "avg_session_minutes", 0.03, "no viewing data for the quarter"),
    DefectSpec(
        "category_variant",
        "plan",
        0.04,
        "plan typed by hand: basic, PREMIUM, ' Standard', Std, Prem",
        dict(synonyms=dict(Basic=["Basic plan", "BASIC-01"], Standard=["Std", "Standard plan"], Premium=["Prem"])),
    ),
    DefectSpec(
        "category_variant",
        "contract_type",
        0.04,
        "contract typed by hand: monthly, M2M, 1 year, 12 months",
        dict(
            synonyms={
                "Month-to-month": ["monthly", "M2M", "month to month"],
                "One year": ["1 year", "12 months", "Annual"],
                "Two year": ["2 years", "24 months"],
            }
        ),
    ),
    DefectSpec(
        "category_variant",
        "payment_method",
        0.03,
        "payment method spelled differently: CC, Paypal, DD",
        dict(
            synonyms={
                "Credit card": ["CC", "credit-card"],
                "PayPal": ["Paypal", "PP"],
                "Direct debit": ["DD", "Direct Debit"],
                "Invoice": ["Bank invoice"],
            }
        ),
    ),
    DefectSpec("impossible_value", "age", 0.005, "negative age (a sign flipped in a form)", dict(how="negative")),
    DefectSpec("sentinel", "days_since_last_login", 0.01, "999 means 'never logged in / unknown'", dict(value=999)),
    DefectSpec(
        "mixed_date_format",
        "signup_date",
        0.05,
        "signup_date in another format: 05/03/2024, 05.03.2024, 05 Mar 2024, 20240305",
        dict(formats=list(dates.OTHER_FORMATS)),
    ),
    DefectSpec(
        "outlier",
        "avg_session_minutes",
        0.005,
        "session length 10-40x too long (a player left running)",
        dict(min_factor=10, max_factor=40),
    ),
    DefectSpec("label_noise", "churned", 0.02, "churned recorded wrongly (flipped)", dict(how="flip")),
    DefectSpec(
        "leaky_column",
        "retention_team_contacted",
        1.0,
        "the retention team calls customers after they announce they will cancel: it encodes churned",
    ),
)

DRIFT = (
    DriftEvent(
        "new_category",
        "plan",
        2,
        "the Family plan is launched (about 12 % of customers)",
        dict(value="Family"),
    ),
    DriftEvent("distribution_shift", "monthly_fee", 2, "prices rise by 6 % per quarter", dict(per_batch=0.06)),
    DriftEvent(
        "unit_change",
        "avg_session_minutes",
        3,
        "the app's analytics system reports seconds instead of minutes, under the same column name",
        dict(sent_unit="seconds", multiply_by=60),
    ),
    DriftEvent(
        "concept_drift",
        "contract_type",
        2,
        "a new law lets customers cancel any contract with a month's notice: the contract type stops predicting churn",
        dict(
            columns=["contract_type"],
            before="log-odds of churning: Month-to-month +1.1, One year -0.3, Two year -1.4",
            after="log-odds of churning: +0.4 for every contract type",
        ),
    ),
    DriftEvent(
        "format_change",
        "last_payment_date",
        4,
        "the payment provider switches to DD/MM/YYYY",
        dict(format="%d/%m/%Y"),
    ),
)

DOMAIN = Domain(
    name="churn",
    title="Subscription churn (video streaming)",
    task="binary",
    target="churned",
    id_column="customer_id",
    leaky_column="retention_team_contacted",
    columns=COLUMNS,
    generate=generate,
    defects=DEFECTS,
    drift=DRIFT,
)
