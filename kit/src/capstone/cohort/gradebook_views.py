"""The gradebook as a terminal table, a CSV for a learning-management system, and one static HTML page.

The HTML page is self-contained (no script, style or font from elsewhere: it opens offline): a table
sortable by any column (click its header) and a small chart of the stages passed over time.
"""

from __future__ import annotations

import html
from datetime import datetime

from capstone.cohort import results as R
from capstone.cohort.gradebook import NOT_ATTEMPTED, RANK, Gradebook, Row


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else ""


def _score(row: Row) -> str:
    return f"{row.holdout_score:.3f}" if row.holdout_score is not None else ""


def to_frame(book: Gradebook):
    """One row per team: the stages' status, date, PR and report link, then the team's numbers."""
    import pandas as pd

    records = []
    for row in book.rows:
        record: dict = {"team": row.team, "stages_passed": row.passed}
        for stage, cell in row.cells.items():
            record[f"stage_{stage}"] = cell.status
            record[f"stage_{stage}_date"] = _day(cell.when)
            record[f"stage_{stage}_pr"] = cell.pr
            record[f"stage_{stage}_report"] = cell.url
        record.update(
            holdout_metric=row.holdout_metric,
            holdout_score=_score(row),
            runs=row.runs,
            last_activity=row.last_activity.strftime("%Y-%m-%d %H:%M") if row.last_activity else "",
            contributors=row.contributors,
        )
        records.append(record)
    return pd.DataFrame.from_records(records)


def to_csv(book: Gradebook) -> str:
    return to_frame(book).to_csv(index=False, lineterminator="\n")


SYMBOL = {R.PASSED: "[green]passed[/]", R.FAILED: "[red]failed[/]", R.NOT_GRADED: "[yellow]not graded[/]"}


def to_table(book: Gradebook):
    """A rich Table: one line per team, a column per stage."""
    from rich.table import Table

    table = Table(title=f"Gradebook: {len(book.rows)} teams, {book.server}", title_justify="left")
    table.add_column("team", no_wrap=True)
    for stage in book.stages:
        table.add_column(f"stage {stage}")
    for name in ("holdout", "runs", "last activity"):
        table.add_column(name, justify="right" if name != "last activity" else "left")
    for row in book.rows:
        cells = []
        for cell in row.cells.values():
            text = SYMBOL.get(cell.status, f"[dim]{NOT_ATTEMPTED}[/]")
            if cell.when:
                text += f"\n{_day(cell.when)}" + (f" #{cell.pr}" if cell.pr else "")
            cells.append(text)
        holdout = f"{row.holdout_metric} {_score(row)}".strip()
        table.add_row(row.team, *cells, holdout, str(row.runs), _day(row.last_activity))
    return table


# ---------------------------------------------------------------------------------------------- HTML

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { color: #57606a; margin: 0 0 16px; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.passed { background: #dafbe1; } td.failed { background: #ffebe9; }
td.not-graded { background: #fff8c5; } td.not-attempted { color: #8c959f; }
td small { display: block; color: #57606a; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { white-space: nowrap; }
svg { margin: 8px 0 20px; }
"""

SCRIPT = r"""
document.querySelectorAll("#gradebook th").forEach((th, column) => {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0];
    const down = th.getAttribute("aria-sort") !== "descending";
    th.closest("tr").querySelectorAll("th").forEach(other => other.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    const key = row => row.cells[column].dataset.sort ?? row.cells[column].textContent;
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      const order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return down ? -order : order;
    });
    rows.forEach(row => body.appendChild(row));
  });
});
// A link can carry its order: #sort=3 (column 3, highest first) or #sort=3-asc.
const wanted = /^#sort=(\d+)(-asc)?$/.exec(location.hash);
const header = wanted && document.querySelectorAll("#gradebook th")[Number(wanted[1])];
if (header) { header.click(); if (wanted[2]) header.click(); }
"""


def to_html(book: Gradebook) -> str:
    e = html.escape
    head = ["team", "passed", *[f"stage {s}" for s in book.stages], "holdout", "runs", "last activity", "contributors"]
    lines = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing from elsewhere: the page works offline and tells no one it was opened.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">",
        f"<title>Gradebook: {len(book.rows)} teams</title><style>{STYLE}</style></head><body>",
        f"<h1>Gradebook: {len(book.rows)} teams</h1>",
        f'<p class="meta">Official checkpoint results from {e(book.server)}, '
        f"read {book.made.strftime('%Y-%m-%d %H:%M UTC')}. "
        "Click a column's header to sort.</p>",
        _chart(book),
        '<table id="gradebook"><thead><tr>' + "".join(f"<th>{e(name)}</th>" for name in head) + "</tr></thead><tbody>",
    ]
    for row in book.rows:
        cells = [f"<td>{e(row.team)}</td>", f'<td class="num">{row.passed}</td>']
        for cell in row.cells.values():
            css = cell.status.replace(" ", "-")
            sort = RANK.get(cell.status, 0) * 1e10 + (cell.when.timestamp() if cell.when else 0)
            text = e(cell.status)
            if cell.when:
                details = _day(cell.when) + (f" · PR #{e(cell.pr)}" if cell.pr else "")
                if cell.url:
                    details += f' · <a href="{e(cell.url)}">report</a>'
                text += f"<small>{details}</small>"
            cells.append(f'<td class="{css}" data-sort="{sort:.0f}">{text}</td>')
        score = _score(row)
        cells.append(f'<td class="num" data-sort="{score or -1}">{e(row.holdout_metric)} {score}</td>')
        cells.append(f'<td class="num">{row.runs}</td>')
        activity = row.last_activity.timestamp() if row.last_activity else 0
        cells.append(f'<td data-sort="{activity:.0f}">{_day(row.last_activity)}</td>')
        cells.append(f"<td>{e(row.contributors)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody></table>", f"<script>{SCRIPT}</script>", "</body></html>"]
    return "\n".join(lines) + "\n"


def _chart(book: Gradebook, width: int = 480, height: int = 140, pad: int = 28) -> str:
    """A step chart of the stages passed across the cohort over time, as inline SVG."""
    points = book.passes_over_time()
    total = len(book.rows) * len(book.stages)
    title = f"Stages passed over time: {points[-1][1] if points else 0} of {total}"
    if not points:
        return f'<p class="meta">{html.escape(title)} (no checkpoint passed yet).</p>'
    start, end = points[0][0].timestamp(), max(points[-1][0].timestamp(), points[0][0].timestamp() + 1)
    top = max(points[-1][1], 1)  # the line climbs to the top: its shape shows the pace

    def x(when: datetime) -> float:
        return pad + (when.timestamp() - start) / (end - start) * (width - 2 * pad)

    def y(count: int) -> float:
        return height - pad - count / top * (height - 2 * pad)

    path, previous = [f"{x(points[0][0]):.1f},{y(0):.1f}"], 0
    for when, count in points:
        path += [f"{x(when):.1f},{y(previous):.1f}", f"{x(when):.1f},{y(count):.1f}"]
        previous = count
    # One day: the hours tell the pace; else the days.
    stamp = "%Y-%m-%d %H:%M" if _day(points[0][0]) == _day(points[-1][0]) else "%Y-%m-%d"
    first, last = points[0][0].strftime(stamp), points[-1][0].strftime(stamp)
    e = html.escape
    return (
        f'<svg id="passes" role="img" aria-label="{e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{e(title)}</title>"
        f'<text x="{pad}" y="14" font-size="12">{e(title)}</text>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#8c959f"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#8c959f"/>'
        f'<polyline fill="none" stroke="#1a7f37" stroke-width="2" points="{" ".join(path)}"/>'
        f'<text x="{pad}" y="{height - 8}" font-size="11">{first}</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">{last}</text>'
        f'<text x="{pad - 4}" y="{pad + 4}" font-size="11" text-anchor="end">{top}</text>'
        "</svg>"
    )
