"""The HTML gradebook in a real headless browser (Debian's Chromium): it renders, its cells are right, it sorts.

`--dump-dom` prints the page after its script ran, so sorting is checked through the page's own
`#sort=N` link (the same click handler a header click runs). In CI Chromium must be there (.ci/run
installs it); elsewhere the test is skipped without it.
"""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from capstone.cohort import gradebook_views as views
from capstone.cohort.gradebook import Activity, Checkpoint, assemble
from pagecells import CHROMIUM, Cells, browser

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Chromium is not installed (apt-get install chromium)"
)
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    runs = [
        Checkpoint("alpha", 1, "passed", DAY, "4", url="http://127.0.0.1:5000/#/experiments/7/runs/r1"),
        Checkpoint("alpha", 2, "passed", DAY + timedelta(days=3), "6"),
        Checkpoint("alpha", 4, "passed", DAY + timedelta(days=6), "9", holdout_metric="roc_auc", holdout_score=0.8712),
        Checkpoint("beta", 1, "failed", DAY + timedelta(days=1), "2", contributors="Grace 3, Ada 1"),
    ]
    book = assemble("http://127.0.0.1:5000", ["beta", "alpha", "gamma"], runs, {"alpha": Activity(12, DAY)})
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.html"
    path.write_text(views.to_html(book), encoding="utf-8")
    return path


def test_the_page_renders_to_a_screenshot(page):
    shot = page.with_name("gradebook.png")
    browser(f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000  # a blank 1280x800 page is about 4 kB


def test_the_cells_say_each_teams_stages(page):
    parsed = Cells()
    parsed.feed(browser("--dump-dom", page.as_uri()).stdout)
    rows = {row[0]: row for row in parsed.rows}
    assert list(rows) == ["beta", "alpha", "gamma"]  # the cohort file's order
    assert rows["alpha"][:4] == ["alpha", "3", "passed 2026-11-02 · PR #4 · report", "passed 2026-11-05 · PR #6"]
    assert rows["alpha"][4] == "not attempted" and rows["alpha"][8] == "roc_auc 0.871"
    assert rows["beta"][1:3] == ["0", "failed 2026-11-03 · PR #2"] and rows["beta"][-1] == "Grace 3, Ada 1"
    assert rows["gamma"][2:8] == ["not attempted"] * 6 and rows["gamma"][9] == "0"


@pytest.mark.parametrize(
    ("link", "order"),
    [
        ("#sort=1", ["alpha", "beta", "gamma"]),
        ("#sort=0-asc", ["alpha", "beta", "gamma"]),
        ("#sort=0", ["gamma", "beta", "alpha"]),
    ],
)
def test_a_header_sorts_the_table(page, link, order):
    parsed = Cells()
    parsed.feed(browser("--dump-dom", page.as_uri() + link).stdout)
    assert [row[0] for row in parsed.rows][: len(order)] == order


def test_the_chart_is_drawn(page):
    dom = browser("--dump-dom", page.as_uri()).stdout
    assert re.search(r'<svg id="passes"[^>]*aria-label="Stages passed over time: 3 of 18"', dom)
    assert dom.count("<polyline") == 1
