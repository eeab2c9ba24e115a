"""`capstone report`: the mentor's view of MLflow, as Markdown.

    capstone report                  the runs of HEAD against the champion and the baseline
    capstone report --commit 1a2b3c  the runs of that commit
    capstone report --pr 12          the runs of pull request 12 (CI tags them with pr_number)

What a mentor asks first when reviewing a stage 4 pull request: which runs did this change
produce, how do they compare with the champion and the baseline (metrics and their deltas), what
was changed (the params that differ from the champion's) and what do the plots look like. The
runs come from mlflow.search_runs on the team's experiment; with a tracking server reachable over
http(s), each run links to its page in the MLflow UI and the plots are shown inline.
"""

import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Params every run logs whose difference says nothing about the model (they are in the runs table).
QUIET_PARAMS = ("family",)
# At most this many differing params are listed per run; the rest are counted.
MAX_PARAMS = 12
# Where the train and evaluate stages (capstone.pipeline) log their pictures.
PLOT_FOLDERS = ("plots", "evaluation")
LOWER_IS_BETTER = ("rmse", "mae", "log_loss", "fit_seconds")


def review_markdown(context, commit: str | None = None, pr: str | None = None) -> str:
    """The Markdown review of the runs of `commit` (default HEAD) or of pull request `pr`."""
    from capstone.checkpoints.commits import uncommitted
    from capstone.checkpoints.registry import NotReady
    from capstone.checkpoints.runs import baseline_run_for_champion, experiment_runs, run_column

    runs = experiment_runs(context)
    if pr:
        chosen = runs[run_column(runs, "tags.pr_number") == str(pr).lstrip("#")]
        subject = f"pull request #{str(pr).lstrip('#')}"
    else:
        # The runs that belong to the commit, as the gates count them (capstone.checkpoints.commits).
        sha = resolve_commit(context.root, commit or "HEAD")
        chosen = context.commits.runs_of(runs, sha)
        subject = f"commit {sha[:7]}"
    try:
        champion = context.champion
    except NotReady:
        champion = None
    champion_id = champion.run_id if champion is not None else None
    baselines = chosen[run_column(chosen, "tags.baseline") == "true"]
    if not baselines.empty:
        baseline_id = str(baselines.sort_values("start_time").iloc[-1]["run_id"])
    else:
        baseline_id = baseline_run_for_champion(context) if champion is not None else None

    metric = str((context.params.model_extra.get("register") or {}).get("metric") or "valid_score")
    links = Links(context)
    table = _runs_table(runs, chosen, champion_id, baseline_id)
    lines = [f"# MLflow review: {subject}", ""]
    lines += [_summary(context, subject, chosen, champion, baseline_id, metric, links), ""]
    dirty = uncommitted(runs)
    if not pr and len(dirty):
        lines += [
            f"{len(dirty)} run(s) trained from uncommitted code (tag `dirty`) belong to no commit and are not "
            "shown or counted: commit the code, then `make pipeline`.",
            "",
        ]
    if table.empty:
        lines += [f"No runs of {subject}, and no champion yet: run `make pipeline` first."]
        return "\n".join(lines) + "\n"
    lines += ["## Runs", "", _runs_markdown(table, champion_id, metric, links), ""]
    lines += ["## Metrics", "", _metrics_markdown(table, champion_id), ""]
    if champion_id is not None and len(chosen):
        lines += [
            "## Params that differ from the champion's",
            "",
            *_params_lines(table, chosen, champion_id),
            "",
        ]
    lines += ["## Plots", "", *_plot_lines(context, table, links), ""]
    return "\n".join(lines)


def resolve_commit(root: Path, commit: str) -> str:
    """The full sha of `commit` (a sha, a short sha, a branch or HEAD); the text itself without git."""
    done = subprocess.run(
        # "<commit>^{commit}": the object must be a commit (not a tag or a tree).
        ["git", "rev-parse", "--verify", "--quiet", commit + "^{commit}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else commit


class Links:
    """Links into the MLflow UI, when the tracking store is a server reachable over http(s)."""

    def __init__(self, context):
        parts = urlsplit(context.tracking_uri)
        # Credentials in the URI (https://user:token@host) are never shown.
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        self.shown = urlunsplit((parts.scheme, netloc, parts.path, "", "")) if parts.netloc else context.tracking_uri
        self.server = self.shown.rstrip("/") if parts.scheme in ("http", "https") else ""

    def run(self, experiment_id: str, run_id: str) -> str:
        return f"{self.server}/#/experiments/{experiment_id}/runs/{run_id}" if self.server else ""

    def artifact(self, run_id: str, path: str) -> str:
        return f"{self.server}/get-artifact?path={path}&run_uuid={run_id}" if self.server else ""


# --- the sections ---------------------------------------------------------------------------------


def _summary(context, subject, chosen, champion, baseline_id, metric, links) -> str:
    where = f"`{links.shown}`" + ("" if links.server else " (a local store: browse it with `make mlflow-ui`)")
    text = (
        f"Experiment `{context.params.mlflow.experiment}` on {where}: {len(chosen)} runs of {subject} (trained "
        "from its committed code, as the checkpoint counts them; `trained at` is the commit checked out when the "
        "run trained, often the one before the commit that records its results, with the same `src/`)"
    )
    if champion is not None:
        text += f", compared with the champion (version {champion.version}, run `{champion.run_id[:8]}`)"
    else:
        text += " (there is no champion yet)"
    if baseline_id:
        text += f" and the baseline (run `{baseline_id[:8]}`)"
    return (
        text + f". Deltas are against the champion. The champion is chosen on `{metric}` (higher is "
        f"better); of the named metrics, {', '.join(LOWER_IS_BETTER)} are better lower."
    )


def _runs_table(runs, chosen, champion_id, baseline_id):
    """The champion, the baseline, then the chosen runs (each once), with a `role` column."""
    import pandas as pd

    order, roles = [], {}
    for run_id, role in ((champion_id, "champion"), (baseline_id, "baseline")):
        if run_id:
            order.append(run_id)
            roles[run_id] = role
    for run_id in chosen.sort_values("start_time")["run_id"]:
        if run_id not in roles:
            order.append(run_id)
            roles[run_id] = "this change"
        else:
            roles[run_id] += ", this change"
    table = runs.set_index("run_id").reindex([run_id for run_id in order if run_id in set(runs["run_id"])])
    table.insert(0, "role", [roles[run_id] for run_id in table.index])
    return table.reset_index() if len(table) else pd.DataFrame()


def _runs_markdown(table, champion_id, metric, links) -> str:
    import pandas as pd

    key = f"metrics.{metric}"
    champion_score = _value(table, champion_id, key)
    champion_rows = table.loc[table["run_id"] == champion_id]
    champion_data = champion_rows.iloc[0].get("tags.data_version") if len(champion_rows) else None
    rows = []
    for _, run in table.iterrows():
        score = run.get(key)
        delta = _delta(run, score, champion_id, champion_score, champion_data)
        link = links.run(run["experiment_id"], run["run_id"])
        name = run.get("tags.mlflow.runName") or run["run_id"][:8]
        rows.append(
            {
                "run": f"[{name}]({link})" if link else name,
                "id": f"`{run['run_id'][:8]}`",
                "role": run["role"],
                metric: "" if pd.isna(score) else f"{score:.4f}",
                "Δ champion": delta,
                "search": run.get("params.search") or "",
                "trained at": f"`{str(run.get('tags.git_sha') or '?')[:7]}`",
                "data version": f"`{str(run.get('tags.data_version') or '?')[:8]}`",
                "started": run["start_time"].strftime("%Y-%m-%d %H:%M"),
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


def _delta(run, score, champion_id, champion_score, champion_data) -> str:
    """The run's score against the champion's; none for the champion, and none on other data."""
    import pandas as pd

    if champion_score is None or pd.isna(score) or run["run_id"] == champion_id:
        return ""
    data = run.get("tags.data_version")
    if isinstance(champion_data, str) and isinstance(data, str) and data != champion_data:
        return "other data"  # a score on another delivery does not compare with the champion's
    return f"{score - champion_score:+.4f}"


def _metrics_markdown(table, champion_id) -> str:
    """Every metric (rows) of every run (columns): its value and its delta against the champion."""
    import pandas as pd

    names = sorted(column for column in table.columns if column.startswith("metrics."))
    names = [name for name in names if table[name].notna().any()]
    columns = {}
    for _, run in table.iterrows():
        header = f"{run.get('tags.mlflow.runName') or ''} `{run['run_id'][:8]}` ({run['role']})".strip()
        cells = []
        for name in names:
            value, base = run.get(name), _value(table, champion_id, name)
            if pd.isna(value):
                cells.append("")
            elif base is None or run["run_id"] == champion_id:
                cells.append(f"{value:.4f}")
            else:
                cells.append(f"{value:.4f} ({value - base:+.4f})")
        columns[header] = cells
    frame = pd.DataFrame(columns, index=[name.removeprefix("metrics.") for name in names])
    return frame.rename_axis("metric").reset_index().to_markdown(index=False)


def _params_lines(table, chosen, champion_id) -> list[str]:
    champion = table[table["run_id"] == champion_id]
    if champion.empty:
        return ["The champion's run is not in this experiment: nothing to compare."]
    reference = _params(champion.iloc[0])
    lines = []
    for _, run in table[table["run_id"].isin(set(chosen["run_id"]))].iterrows():
        if run["run_id"] == champion_id:
            lines.append(f"- **{run.get('tags.mlflow.runName')}** (`{run['run_id'][:8]}`): this is the champion.")
            continue
        params = _params(run)
        shared = sorted(set(params) & set(reference))
        changed = [f"`{name}` {reference[name]} → {params[name]}" for name in shared if params[name] != reference[name]]
        only = len(set(params) - set(reference))
        text = "; ".join(changed[:MAX_PARAMS]) or "no shared param differs"
        if len(changed) > MAX_PARAMS:
            text += f"; and {len(changed) - MAX_PARAMS} more"
        if only:
            text += f" (plus {only} params the champion's model does not have)"
        lines.append(f"- **{run.get('tags.mlflow.runName')}** (`{run['run_id'][:8]}`): {text}")
    return lines


def _plot_lines(context, table, links) -> list[str]:
    lines = []
    for _, run in table.iterrows():
        paths = _plots(context, run["run_id"])
        name = f"**{run.get('tags.mlflow.runName')}** (`{run['run_id'][:8]}`, {run['role']})"
        if not paths:
            lines.append(f"- {name}: no plots")
        elif links.server:
            lines.append(f"- {name}:")
            lines += [f"  ![{path}]({links.artifact(run['run_id'], path)})" for path in paths]
        else:
            lines.append(f"- {name}: " + ", ".join(f"`{path}`" for path in paths))
    return lines


# --- helpers --------------------------------------------------------------------------------------


def _plots(context, run_id: str) -> list[str]:
    """The PNG artifacts of a run under PLOT_FOLDERS."""
    found = []
    for folder in PLOT_FOLDERS:
        found += [item.path for item in context.mlflow.list_artifacts(run_id, folder) if item.path.endswith(".png")]
    return sorted(found)


def _params(run) -> dict[str, str]:
    return {
        name.removeprefix("params."): str(value)
        for name, value in run.items()
        if name.startswith("params.")
        and value is not None
        and str(value) != "nan"
        and name.removeprefix("params.") not in QUIET_PARAMS
    }


def _value(table, run_id, column):
    import pandas as pd

    if run_id is None or column not in table.columns:
        return None
    found = table.loc[table["run_id"] == run_id, column]
    return None if found.empty or pd.isna(found.iloc[0]) else float(found.iloc[0])
