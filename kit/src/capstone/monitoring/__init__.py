"""Monitoring a served model (stage 6): is the data it sees still like its training data, and is
it still good enough?

- statistics: two-sample tests per column (Kolmogorov-Smirnov for numbers, chi-square for
  categories), the share of values never seen in training, the share of dates that no longer
  parse. The team's monitor (src/<package>/monitoring/monitor.py) builds on them.
- report: the shape of the team's monitoring report (typed), and its JSON and HTML files.

Why not Evidently, the field's usual library: its current release (0.7) does not import with the
pandas the team repository pins (3.x); scipy's tests, which scikit-learn already installs, are what
Evidently runs underneath for these column types, and a team can read every line of them here.
"""

from capstone.monitoring.report import ColumnDrift, MonitoringReport, Quality
from capstone.monitoring.statistics import (
    category_test,
    numeric_test,
    unparsed_date_share,
    unseen_share,
)

__all__ = [
    "ColumnDrift",
    "MonitoringReport",
    "Quality",
    "category_test",
    "numeric_test",
    "unparsed_date_share",
    "unseen_share",
]
