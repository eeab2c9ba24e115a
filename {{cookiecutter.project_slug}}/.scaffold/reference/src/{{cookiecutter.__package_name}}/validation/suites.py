"""Stage 2 (reference): what good data looks like, as Great Expectations expectations in code.

`raw_expectations(schema, params)` and `clean_expectations(schema, params)` return lists of
expectations; the validate stage stores them as the suites `raw` and `clean` in gx/ and runs them.
The expectations are built in company.py (a built-in company, with the rules of rules.py) and
custom.py (a custom CSV).

- raw: guards the shape of a delivery and catches gross corruption. The feed delivers its
  catalogued defects (`.venv/bin/capstone data defects`) at known rates, so an expectation that those
  defects break gets `mostly` = params.validate.mostly minus the catalogued rate (plus a margin),
  and no more: a column that suddenly breaks more often than that stops the pipeline.
- clean: strict. After cleaning every value is in its canonical form and range, dates are ISO and
  ids are unique; only missing values may remain, at the rates the catalogue explains.

Ranges and categories are business rules (what a value may be), not this batch's min and max.
For a custom CSV there is no catalogue: the expectations come from a profile of the team's first
good delivery, frozen in gx/custom_csv_profile.json, and widened so that new honest data passes.
"""

from capstone.config import Params
from capstone.dataset import DatasetSchema

from .company import company_expectations
from .custom import custom_expectations
from .rules import MIN_ROWS


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
        return custom_expectations(profile, base, min_rows, clean)
    return company_expectations(schema, params.data.dataset, base, min_rows, clean)
