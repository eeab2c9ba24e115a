"""The monitoring report: what the team's monitor returns (typed), and the files the stage writes.

reports/monitoring.json is the report with sorted keys (a PR diff shows what changed);
reports/monitoring.html is the same for a mentor to open: one self-contained page.
"""

import html
import json
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from capstone.config import ConfigError

Kind = Literal["new_category", "distribution_shift", "unit_change", "format_change"]
KINDS = get_args(Kind)


def _no_text(value):
    """True or False (numpy's too), not "yes" or "true": a word is a bug in the monitor, not a verdict."""
    if isinstance(value, str | bytes):
        raise ValueError("must be True or False, not text")
    return value


Verdict = Annotated[bool, BeforeValidator(_no_text)]


class ColumnDrift(BaseModel):
    """One column's verdict: drifted or not, by which test, with its statistic (and p-value)."""

    model_config = ConfigDict(extra="forbid")
    drifted: Verdict
    test: str = Field(min_length=1)
    statistic: float
    p_value: float | None = None
    kind: Kind | None = None  # a drift kind when the monitor can tell
    note: str = ""


class Quality(BaseModel):
    """The model's score (scikit-learn scorer: higher is better) at training and on labelled new rows."""

    metric: str
    trained: float
    current: float
    rows: int

    @property
    def drop(self) -> float:
        return self.trained - self.current


class MonitoringReport(BaseModel):
    """What the team's monitor returns: per column drifted or not, and retrain or not, and why."""

    model_config = ConfigDict(extra="forbid")
    columns: dict[str, ColumnDrift]
    retrain: Verdict
    why: str = Field(min_length=1)

    @property
    def drifted(self) -> list[str]:
        return [name for name, verdict in self.columns.items() if verdict.drifted]


def checked(answer: object, where: str) -> MonitoringReport:
    """The monitor's answer as a MonitoringReport; ConfigError naming the first wrong field."""
    try:
        return MonitoringReport.model_validate(answer)
    except ValidationError as problem:
        first = problem.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the whole answer)"
        raise ConfigError(
            f"the monitor ({where}) returned a report whose {field} is wrong: {first['msg']}; "
            "it must return {'columns': {name: {'drifted', 'test', 'statistic', ...}}, 'retrain': bool, 'why': str}"
        ) from None


def document(report: MonitoringReport, quality: Quality | None, source: str, rows: dict) -> dict:
    """The JSON document of reports/monitoring.json."""
    return dict(
        source=source,
        rows=rows,
        columns={name: verdict.model_dump() for name, verdict in sorted(report.columns.items())},
        drifted=sorted(report.drifted),
        quality=None if quality is None else {**quality.model_dump(), "drop": round(quality.drop, 6)},
        retrain=report.retrain,
        why=report.why,
    )


def write(folder: Path, content: dict) -> tuple[Path, Path]:
    """Write monitoring.json and monitoring.html into `folder`; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "monitoring.json", folder / "monitoring.html"
    json_path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    html_path.write_text(page(content), encoding="utf-8")
    return json_path, html_path


def page(content: dict) -> str:
    """A self-contained HTML page of the report (no script, nothing loaded from elsewhere)."""
    rows = []
    for name, verdict in content["columns"].items():
        p_value = "" if verdict["p_value"] is None else f"{verdict['p_value']:.3g}"
        rows.append(
            f"<tr class={'drifted' if verdict['drifted'] else 'stable'}><td>{html.escape(name)}</td>"
            f"<td>{'drifted' if verdict['drifted'] else 'stable'}</td><td>{html.escape(verdict['test'])}</td>"
            f"<td>{verdict['statistic']:.3f}</td><td>{p_value}</td><td>{html.escape(verdict['kind'] or '')}</td>"
            f"<td>{html.escape(verdict['note'])}</td></tr>"
        )
    quality = content["quality"]
    if quality:
        scored = (
            f"<p>{html.escape(quality['metric'])}: {quality['trained']:.3f} at training, "
            f"{quality['current']:.3f} on {quality['rows']:,} newly labelled rows (drop {quality['drop']:+.3f}).</p>"
        )
    else:
        scored = "<p>No labels for these rows yet: quality not measured.</p>"
    decision = "Retrain" if content["retrain"] else "No retraining"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Monitoring report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }}
tr.drifted td {{ background: #fde2e1; }} .decision {{ font-size: 1.3rem; font-weight: bold; }}
</style></head><body>
<h1>Monitoring report</h1>
<p>Current data: {html.escape(content["source"])} ({content["rows"]["current"]:,} rows) against the training data
({content["rows"]["reference"]:,} rows). {len(content["drifted"])} of {len(content["columns"])} columns drifted.</p>
<p class="decision">{decision}: {html.escape(content["why"])}</p>
{scored}
<table><thead><tr><th>column</th><th>verdict</th><th>test</th><th>statistic</th><th>p-value</th><th>kind</th>
<th>note</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
