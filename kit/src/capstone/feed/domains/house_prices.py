"""house_prices: residential property sales. What price will a property sell for?

One row per sale registered in the quarter (the batch). Target: sale_price in dollars (regression).
"""

import numpy as np

from capstone.feed import dates
from capstone.feed.defects import DefectSpec
from capstone.feed.domains.common import choice, ids, sentences
from capstone.feed.drift import DriftEvent, growth
from capstone.feed.schema import Column, Domain

SOURCES = ["mls", "agent_portal", "county_import"]
SOURCE_SHARES = [0.60, 0.34, 0.06]
# neighbourhood: (share, price effect on the log scale, typical distance to the centre in km)
NEIGHBORHOODS = {
    "Old Town": (0.08, 0.35, 1.0),
    "Riverside": (0.09, 0.25, 2.5),
    "Harbour Point": (0.06, 0.45, 3.0),
    "University Heights": (0.08, 0.15, 3.5),
    "Parkside": (0.10, 0.10, 5.0),
    "Hillcrest": (0.09, 0.20, 7.0),
    "Lakeview": (0.08, 0.30, 9.0),
    "Mill District": (0.09, -0.15, 4.0),
    "Northgate": (0.10, -0.10, 8.0),
    "Eastwood": (0.09, -0.20, 10.0),
    "Southport": (0.08, -0.30, 12.0),
    "Westfield": (0.06, -0.05, 15.0),
}
NEW_NEIGHBORHOOD = ("Greenfield Park", (0.10, 0.05, 18.0))  # drift: a new development from batch 2
TYPES = ["Detached", "Semi-detached", "Terraced", "Apartment", "Bungalow"]
CONDITIONS = ["Poor", "Fair", "Good", "Very good", "Excellent"]

COLUMNS = (
    Column("sale_id", "id", "sale number, SL- and 9 digits (the first two are the batch)"),
    Column("sale_date", "date", "the day the sale was registered"),
    Column("listing_date", "date", "the day the property was put on the market"),
    Column("neighborhood", "category", "one of 12 neighbourhoods (Greenfield Park from batch 2)"),
    Column("property_type", "category", "Detached, Semi-detached, Terraced, Apartment or Bungalow"),
    Column("living_area_sqft", "float", "living area in square feet", 0),
    Column("lot_size_sqft", "float", "plot size in square feet (the building's share for apartments)", 0),
    Column("bedrooms", "int", "number of bedrooms"),
    Column("bathrooms", "float", "bathrooms; a half is a toilet without a shower", 1),
    Column("year_built", "int", "year the building was finished"),
    Column("overall_quality", "int", "build and finish quality, 1 (poor) to 10 (excellent)"),
    Column("condition", "category", "Poor, Fair, Good, Very good or Excellent"),
    Column("garage_spaces", "int", "0 to 3"),
    Column("heating_type", "category", "Gas, Electric, Heat pump or Oil"),
    Column("distance_to_center_km", "float", "distance to the city centre in km", 1),
    Column("annual_property_tax", "float", "last year's property tax in dollars", 2),
    Column("source_system", "category", "the system that delivered the record: mls, agent_portal, county_import"),
    Column("listing_description", "text", "the first line of the listing"),
    Column("price_per_sqft", "float", "sale price divided by living area", 2),
    Column("sale_price", "target", "the price the property sold for, in dollars", 0),
)

DESCRIPTIONS_PLAIN = [
    "Needs some updating, priced to sell.",
    "Original features throughout, bring your ideas.",
    "Investor special, tenant in place.",
    "Solid home on a quiet street.",
]
DESCRIPTIONS_NICE = [
    "Bright and spacious family home.",
    "Well kept, close to schools and shops.",
    "Move-in ready with a sunny garden.",
    "Recently repainted, new windows.",
]
DESCRIPTIONS_LUXURY = [
    "Stunning architect-designed home with views.",
    "Fully renovated to a very high standard.",
    "Luxury finishes, chef's kitchen, landscaped garden.",
    "Rare opportunity in a prime location.",
]


def generate(rng: np.random.Generator, n: int, batch: int) -> dict[str, np.ndarray]:
    quarter_end = dates.quarter_end(batch)
    sold = dates.days_before(quarter_end, rng.uniform(0, 90, n))

    areas = dict(NEIGHBORHOODS)
    if batch >= 2:
        # drift (batch >= 2): the new Greenfield Park development starts selling
        areas = dict([*NEIGHBORHOODS.items(), NEW_NEIGHBORHOOD])
    names = list(areas)
    shares = np.array([areas[name][0] for name in names])
    which = rng.choice(len(names), n, p=shares / shares.sum())
    neighborhood = np.array(names, dtype=object)[which]
    area_effect = np.array([areas[name][1] for name in names])[which]
    distance = np.round(np.array([areas[name][2] for name in names])[which] * rng.lognormal(0, 0.25, n), 1)

    kind = choice(rng, TYPES, n, [0.36, 0.20, 0.17, 0.20, 0.07])
    apartment = kind == "Apartment"
    bedrooms = np.clip(np.where(apartment, rng.integers(1, 4, n), rng.integers(2, 6, n)) + (rng.random(n) < 0.1), 1, 6)
    living = np.round(np.clip(280 * bedrooms + rng.normal(350, 180, n) + 250 * (kind == "Detached"), 350, 6000))
    lot = np.round(np.where(apartment, rng.uniform(250, 900, n), living * rng.lognormal(1.2, 0.45, n)))
    bathrooms = np.clip(1 + 0.5 * rng.binomial(np.maximum(bedrooms - 1, 1), 0.45), 1, 4)
    era = rng.choice(4, n, p=[0.15, 0.30, 0.35, 0.20])  # pre-war, post-war, 1980-2009, since 2010
    year = np.array([1890, 1946, 1980, 2010])[era] + np.floor(rng.random(n) * np.array([56, 34, 30, 15])[era])
    age = dates.quarter_end(batch).astype("datetime64[Y]").astype(int) + 1970 - year
    quality = np.clip(np.round(5.5 + 2.2 * area_effect + 0.02 * (year - 1980) / 3 + rng.normal(0, 1.5, n)), 1, 10)
    condition_index = np.clip(np.round(3.3 - age / 60 + rng.normal(0, 0.9, n)), 0, 4).astype(int)
    condition = np.array(CONDITIONS, dtype=object)[condition_index]
    garage = np.where(apartment, rng.choice(2, n, p=[0.6, 0.4]), rng.choice(4, n, p=[0.2, 0.4, 0.3, 0.1]))
    heating = choice(rng, ["Gas", "Electric", "Heat pump", "Oil"], n, [0.50, 0.20, 0.18, 0.12])
    heating = np.where((year >= 2015) & (rng.random(n) < 0.6), "Heat pump", heating).astype(object)

    # The signal on the log scale: non-linear effects and interactions, so model choice matters.
    log_price = (
        12.35
        + area_effect
        + 0.80 * np.log(living / 1500)
        + 0.09 * (quality - 5)
        + 0.02 * np.maximum(quality - 7, 0) ** 2  # the top end pays extra
        + 0.04 * (quality - 5) * (area_effect > 0.2)  # quality matters more in expensive areas
        + np.array([-0.25, -0.12, 0.0, 0.06, 0.14])[condition_index]
        + np.where(age < 8, 0.08, 0.0)
        + np.where((age > 90) & (area_effect > 0.2), 0.12, 0.0)  # new, or period charm
        + 0.25 * np.exp(-distance / 3)  # close to the centre
        + 0.05 * garage
        + np.select([kind == "Detached", kind == "Bungalow", kind == "Apartment"], [0.10, 0.05, -0.08], 0.0)
        + 0.04 * (heating == "Heat pump")
        - 0.05 * (heating == "Oil")
        + 0.05 * np.log(lot / 2000) * ~apartment
        + rng.normal(0, 0.10, n)
    )
    # drift (batch >= 2): a hot market, prices rise by 4 % per quarter
    price = np.round(np.exp(log_price) * growth(batch, 0.04), -2)
    # The property tax follows an old assessment, so it tracks the price only roughly.
    tax = np.round(0.0095 * price * rng.lognormal(-0.1, 0.35, n), 2)
    # drift (batch >= 2): concept drift. Remote work: buyers stop paying for a short commute and pay
    # for space further out instead. The inputs (and the tax, assessed before) do not change; the price does.
    if batch >= 2:
        price = np.round(np.exp(log_price + remote_work(distance)) * growth(batch, 0.04), -2)
    # The leak: price per square foot is computed from the sale price.
    per_sqft = np.round(price / living, 2)
    days_on_market = np.round(rng.gamma(2.0, 15 + 10 * (condition_index <= 1), n))

    pool = np.where(quality >= 8, 2, np.where(condition_index >= 2, 1, 0))
    # drift (batch >= 4): the listing portal sends listing_date as "05 Mar 2025"
    listing_format = "%d %b %Y" if batch >= 4 else dates.ISO
    # drift (batch >= 3): the MLS switches living area to square metres, same column name
    living_unit = 0.092903 if batch >= 3 else 1.0
    return dict(
        sale_id=ids(rng, "SL-", batch, n),
        sale_date=dates.format_dates(sold),
        listing_date=dates.format_dates(sold - days_on_market.astype("timedelta64[D]"), listing_format),
        neighborhood=neighborhood,
        property_type=kind,
        living_area_sqft=np.round(living * living_unit),
        lot_size_sqft=lot,
        bedrooms=bedrooms.astype(float),
        bathrooms=bathrooms,
        year_built=year,
        overall_quality=quality,
        condition=condition,
        garage_spaces=garage.astype(float),
        heating_type=heating,
        distance_to_center_km=distance,
        annual_property_tax=tax,
        source_system=choice(rng, SOURCES, n, SOURCE_SHARES),
        listing_description=sentences(rng, [DESCRIPTIONS_PLAIN, DESCRIPTIONS_NICE, DESCRIPTIONS_LUXURY], pool),
        price_per_sqft=per_sqft,
        sale_price=price,
    )


def remote_work(distance: np.ndarray) -> np.ndarray:
    """The concept drift's change to log(price): the centre's premium goes, every km out adds 3 % (to 20 km)."""
    return -0.25 * np.exp(-distance / 3) + 0.03 * (np.minimum(distance, 20) - 5)


DEFECTS = (
    DefectSpec("exact_duplicate", None, 0.015, "sale imported twice from the MLS feed"),
    DefectSpec(
        "near_duplicate",
        None,
        0.01,
        "sale entered again by an agent: the description retyped, distance rounded to whole km",
        dict(changed_columns=["listing_description", "distance_to_center_km"]),
    ),
    DefectSpec("id_collision", "sale_id", 0.005, "a sale number reused: two sales share one id"),
    DefectSpec(
        "unit_mixup",
        "annual_property_tax",
        SOURCE_SHARES[2],
        "county_import sends the property tax in cents, not dollars (all its rows)",
        dict(source_column="source_system", source="county_import", sent_unit="cents", multiply_by=100),
    ),
    DefectSpec(
        "missing_dependent",
        "lot_size_sqft",
        0.05,
        "lot size not recorded, mostly for apartments",
        dict(depends_on="property_type"),
        weights=lambda table: np.where(table["property_type"] == "Apartment", 12.0, 1.0),
    ),
    DefectSpec("missing_random", "garage_spaces", 0.03, "garage field left empty"),
    DefectSpec("missing_random", "heating_type", 0.02, "heating type not filled in"),
    DefectSpec(
        "category_variant",
        "property_type",
        0.04,
        "type typed by hand: detached, Semi detached, Flat, Terrace",
        dict(
            synonyms={
                "Semi-detached": ["Semi detached", "Semi"],
                "Apartment": ["Flat", "Condo"],
                "Terraced": ["Terrace", "Row house"],
                "Detached": ["Detached house"],
            }
        ),
    ),
    DefectSpec(
        "category_variant",
        "neighborhood",
        0.03,
        "neighbourhood spelled differently: old town, Oldtown, Univ. Heights",
        dict(
            synonyms={
                "Old Town": ["Oldtown"],
                "University Heights": ["Univ. Heights"],
                "Harbour Point": ["Harbor Point"],
                "Mill District": ["Mill Dist."],
            }
        ),
    ),
    DefectSpec(
        "category_variant",
        "condition",
        0.03,
        "condition typed by hand: good, V. good, Excellent ",
        dict(synonyms={"Very good": ["V. good", "Very Good"], "Poor": ["Bad"]}),
    ),
    DefectSpec(
        "impossible_value",
        "living_area_sqft",
        0.005,
        "negative living area (a sign flipped)",
        dict(how="negative"),
    ),
    DefectSpec("sentinel", "year_built", 0.01, "0 means 'year unknown'", dict(value=0)),
    DefectSpec("sentinel", "bedrooms", 0.005, "99 means 'not recorded'", dict(value=99)),
    DefectSpec(
        "mixed_date_format",
        "sale_date",
        0.05,
        "sale_date in another format: 05/03/2024, 05.03.2024, 05 Mar 2024, 20240305",
        dict(formats=list(dates.OTHER_FORMATS)),
    ),
    DefectSpec(
        "outlier",
        "lot_size_sqft",
        0.005,
        "lot size 10-40x too large (acres typed as square feet)",
        dict(min_factor=10, max_factor=40),
    ),
    DefectSpec(
        "label_noise",
        "sale_price",
        0.01,
        "sale price recorded wrongly (0.35-0.6x or 1.6-2.5x)",
        dict(how="scale", decimals=-2),
    ),
    DefectSpec("leaky_column", "price_per_sqft", 1.0, "computed from the sale price: it gives the target away"),
)

DRIFT = (
    DriftEvent(
        "new_category",
        "neighborhood",
        2,
        "the new Greenfield Park development starts selling (about 9 %)",
        dict(value="Greenfield Park"),
    ),
    DriftEvent("distribution_shift", "sale_price", 2, "prices rise by 4 % per quarter", dict(per_batch=0.04)),
    DriftEvent(
        "unit_change",
        "living_area_sqft",
        3,
        "the MLS sends living area in square metres, under the same column name",
        dict(sent_unit="square metres", multiply_by=0.092903),
    ),
    DriftEvent(
        "concept_drift",
        "distance_to_center_km",
        2,
        "remote work: a home near the centre loses its premium and every km further out adds about 3 %",
        dict(
            columns=["distance_to_center_km"],
            before="log(price): +0.25 x exp(-distance / 3), the premium of a short commute",
            after="log(price): +0.03 x (min(distance, 20) - 5), more space further out",
        ),
    ),
    DriftEvent(
        "format_change",
        "listing_date",
        4,
        "the listing portal switches to '05 Mar 2025'",
        dict(format="%d %b %Y"),
    ),
)

DOMAIN = Domain(
    name="house_prices",
    title="House prices",
    task="regression",
    target="sale_price",
    id_column="sale_id",
    leaky_column="price_per_sqft",
    columns=COLUMNS,
    generate=generate,
    defects=DEFECTS,
    drift=DRIFT,
)
