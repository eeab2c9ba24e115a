"""The built-in domains. Each module defines DOMAIN: columns, generator, defect catalogue and drift."""

from capstone.feed.domains import churn, credit_default, house_prices
from capstone.feed.errors import FeedError
from capstone.feed.schema import Domain

DOMAINS: dict[str, Domain] = {module.DOMAIN.name: module.DOMAIN for module in (churn, credit_default, house_prices)}


def get_domain(name: str) -> Domain:
    """The domain called `name`, or a FeedError that lists the valid names."""
    if name not in DOMAINS:
        raise FeedError(f"unknown domain {name!r}; choose one of: {', '.join(DOMAINS)} (custom_csv is not generated).")
    return DOMAINS[name]
