"""Read a rendered HTML page's table: through a real headless browser (Debian's Chromium) when asked.

`browser("--dump-dom", url)` prints the page after its scripts ran; `Cells` collects the text of
every cell of a table's body, row by row.
"""

import shutil
import subprocess
from html.parser import HTMLParser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Cells(HTMLParser):
    """The text of every cell of the gradebook's body, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.body = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.body = True
        elif self.body and tag == "tr":
            self.rows.append([])
        elif self.body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.body = False
        elif self.body and tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def cells(page: str) -> list[list[str]]:
    parsed = Cells()
    parsed.feed(page)
    return parsed.rows


def browser(*args):
    assert CHROMIUM, "Chromium is missing: .ci/run installs it (apt-get install chromium)"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
