"""Write docs/checkpoints.md from the team repo's capstone.yaml, so the gates page cannot drift.

    python scripts/docs_checkpoints.py          # rewrite docs/checkpoints.md (part of `make docs-options`)
    python scripts/docs_checkpoints.py --check  # exit 1 if docs/checkpoints.md is out of date

capstone.yaml is a Jinja template, so this bakes one real team repository per dataset (default answers
otherwise) and reads the rendered file: whatever the template does, the page shows what a team gets.
Nothing here knows the gate ids or thresholds; they all come from the file.
tests/test_docs.py compares render(baked_specs()) with the committed page.
"""

import difflib
import json
import re
import sys
import tempfile
from pathlib import Path

import yaml
from cookiecutter.main import cookiecutter

# The bake imports local_extensions.py from the template root: leave no __pycache__ behind.
sys.dont_write_bytecode = True

TEMPLATE = Path(__file__).resolve().parents[1]
PAGE = TEMPLATE / "docs" / "checkpoints.md"
# Gate fields that get their own column; any other field is shown under "other settings".
GATE_COLUMNS = ("id", "check", "kind", "blocking", "thresholds")
# Top-level keys that only name the project; everything else in the file is listed.
NAMING_KEYS = {"version", "project", "dataset", "stages"}
# What a top-level mapping (shown as its own table) is for; a mapping without a line here is listed bare.
MAPPINGS = {
    "hooks": "The team's functions that the pipeline and the checkpoints call, as `<module>:<function>` inside the "
    "team's package (`src/<package>/`). The contract is `capstone.hooks` in the course kit: a renamed or moved "
    "function fails its stage and the checkpoints with the hook's name.",
}

INTRO = """\
# Checkpoints reference

<!-- Generated from {{cookiecutter.project_slug}}/capstone.yaml by scripts/docs_checkpoints.py
     (make docs-options). Do not edit. -->

Each stage's pull request is graded by the gates in the team repository's `capstone.yaml`.
This page is generated from that file as the template bakes it, once per dataset, so it shows exactly
what a new team repository contains.

- An **auto** gate is measured by the checkpoint (`capstone check N`, `make check STAGE=N`, and the PR workflow).
  A **mentor** gate is judged by a person.
- A **blocking** gate must pass before the stage's pull request can be merged.
- Grading adds up: stage N's checkpoint runs the blocking auto gates of stages 1 to N-1 again. One that
  fails is shown in a section of its own (earlier stages' gates that fail), and blocks stage N too.
  `make check STAGE=N ONLY=1` skips them while you work; the pull request's checkpoint always runs them.
- Thresholds are numbers the gate compares against. Mentors change them in `capstone.yaml`, never in code
  (see [How to change a gate](#how-to-change-a-gate)).
"""

CUSTOMISE = """\
## How to change a gate

`capstone.yaml`, `.github/` and `docs/stages/` are mentor-owned: `.github/CODEOWNERS` routes every change to them
to the mentors, and the checkpoint checks that a code owner approved every change to them on the pull request.
The gates' code is the course kit (`capstone-kit`), which the team repository installs at the course's version
and does not edit.

- **One team.** A mentor edits the team repository's `capstone.yaml` (a threshold, `blocking`, a checklist line)
  in a pull request; another code owner approves it on GitHub, and the `integrity` gate finds that approving
  review (a change a student makes has none, and fails). After the merge, the next checkpoint uses the new values.
  See the [Mentors' guide](mentors.md#changing-a-threshold-or-a-gate).
- **The whole cohort.** Change `{{cookiecutter.project_slug}}/capstone.yaml` in the template, then update
  every team repository with cruft (see [Updating team repos](cruft.md)).
- **Try it locally.** In a team repository, `capstone check N` after the edit shows the effect before anyone
  opens a pull request.

A gate's id is what the report and the stage brief (`docs/stages/`) refer to: rename one only in all three places.

## How to add a gate

A gate is one small module of the course kit and one entry in `capstone.yaml`. The kit finds every module in
`kit/src/capstone/checkpoints/gates/` by itself (the file name is the gate id with `_` for `-`); each module
measures one thing and keeps its advice to the team, as text, at its top. Shared measurements (scrambling a
column, the robustness cases, the malformed requests, ...) are in `capstone/checkpoints/probes.py`; what a gate
reads of the team's repository (deliveries, the champion, the team's hooks) comes from the typed `Context`.

A worked example, a stage 4 gate that wants a model card with the sections the brief asks for:

```python
# kit/src/capstone/checkpoints/gates/model_card_written.py
\"\"\"model-card-written (stage 4): reports/model_card.md has every section the brief asks for.\"\"\"

from capstone.checkpoints.registry import Outcome, gate

SECTIONS = ("Intended use", "Data", "Metrics", "Limitations")
ADVICE = dict(
    missing="Write reports/model_card.md (see docs/stages/4-experiments.md).",
    sections="Add the missing section(s) to reports/model_card.md: {names}.",
)


@gate("model-card-written")
def model_card_written(context, thresholds) -> Outcome:
    path = context.root / "reports" / "model_card.md"
    if not path.is_file():
        return Outcome(False, "no model card", "every section", ADVICE["missing"])
    missing = [s for s in SECTIONS if f"## {s}" not in path.read_text(encoding="utf-8")]
    measured = f"{len(SECTIONS) - len(missing)} of {len(SECTIONS)} sections"
    if missing:
        return Outcome(False, measured, "every section", ADVICE["sections"].format(names=", ".join(missing)))
    return Outcome(True, measured, "every section")
```

Then:

1. List it under its stage's `gates:` in `{{cookiecutter.project_slug}}/capstone.yaml`, in the block style of
   the other entries (a kit test reads the file's gate ids in that style):

   ```yaml
         - id: model-card-written
           check: The model card has every section the brief asks for.
           kind: auto
           blocking: true
   ```

   `capstone check` refuses a spec that names a gate the kit does not have, and a kit test refuses a gate
   module that no `capstone.yaml` lists.
2. Document it in the stage's brief, `{{cookiecutter.project_slug}}/docs/stages/4-experiments.md`: a row in its
   "Gates" table (gate, kind, blocking, threshold, what it checks: the same `check` text, starting lower-case)
   and a section headed `` ### `model-card-written` `` that says what is measured and how to pass. A test
   checks that every brief lists its stage's gates this way.
3. Regenerate this page: `make docs-options`.
4. Add a passing and a failing case to `kit/tests/` (no bake needed: this gate reads a file), checking the
   failure's message; `make test-fast` runs them, with the tests of steps 1 to 3.
5. Raise the version in `kit/pyproject.toml` and release (see [Contributing](contributing.md)). Team
   repositories get the new gate with `cruft update` (see [Updating team repos](cruft.md)).
"""


def baked_specs() -> dict[str, str]:
    """The rendered capstone.yaml of one default bake per dataset, keyed by dataset."""
    config = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    specs = {}
    with tempfile.TemporaryDirectory(prefix="docs-checkpoints-") as work:
        work = Path(work)
        # Keep cookiecutter's replay files out of $HOME.
        settings = work / "config.yaml"
        settings.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n", encoding="utf-8")
        for dataset in config["dataset"]:
            repo = cookiecutter(
                str(TEMPLATE),
                no_input=True,
                extra_context={"dataset": dataset},
                output_dir=str(work / dataset),
                config_file=str(settings),
            )
            specs[dataset] = (Path(repo) / "capstone.yaml").read_text(encoding="utf-8")
    return specs


def cell(value) -> str:
    """One value as Markdown table-cell text."""
    if value is None or value == {} or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "<br>".join(f"`{key}`: {cell(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(cell(item) for item in value)
    # A pipe inside `code` stays in its cell; elsewhere it would end the cell.
    parts = re.split(r"(`[^`]*`)", str(value).replace("\n", " "))
    return "".join(part if part.startswith("`") else part.replace("|", "\\|") for part in parts)


def per_dataset(values: dict[str, object]) -> str:
    """One cell for a field across datasets: the value if they agree, else the value per dataset."""
    groups: dict[str, list[str]] = {}
    for dataset, value in values.items():
        groups.setdefault(cell(value), []).append(dataset)
    if len(groups) == 1:
        return next(iter(groups))
    return "<br>".join(f"{', '.join(datasets)}: {text}" for text, datasets in groups.items())


def is_flat_mapping(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(not isinstance(item, dict | list) for item in value.values())


def code_cell(value):
    """A value shown as code in a table (None stays None: per_dataset shows it as "-")."""
    return None if value is None else f"`{value}`"


def is_gate_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) and "id" in item for item in value)


def stages_of(spec: dict) -> list[dict]:
    stages = spec.get("stages") or []
    if isinstance(stages, dict):  # also accept a mapping keyed by stage
        stages = [{"key": key, **(value or {})} for key, value in stages.items()]
    return stages


def stage_heading(stage: dict) -> str:
    number = stage.get("number", stage.get("id", ""))
    title = stage.get("title") or stage.get("key") or ""
    return f"## Stage {number}: {title}" if number != "" else f"## {title}"


def gate_table(gates_by_dataset: dict[str, list[dict]]) -> list[str]:
    """The gates of one stage; a field that differs between datasets is shown per dataset."""
    first = next(iter(gates_by_dataset.values()))
    ids = [gate.get("id") for gate in first]
    for gates in gates_by_dataset.values():  # a gate only some datasets have is listed too
        ids += [gate.get("id") for gate in gates if gate.get("id") not in ids]
    extra = sorted({key for gates in gates_by_dataset.values() for gate in gates for key in gate} - set(GATE_COLUMNS))
    header = ["gate", "what it checks", "kind", "blocking", "thresholds"] + (["other settings"] if extra else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for gate_id in ids:
        found = {
            dataset: next((gate for gate in gates if gate.get("id") == gate_id), None)
            for dataset, gates in gates_by_dataset.items()
        }
        present = {dataset: gate for dataset, gate in found.items() if gate is not None}
        name = f"`{gate_id}`"
        if len(present) < len(found):
            name += f" ({', '.join(present)} only)"
        row = [name] + [per_dataset({d: g.get(key) for d, g in present.items()}) for key in GATE_COLUMNS[1:]]
        if extra:
            row.append(per_dataset({d: {k: g[k] for k in extra if k in g} for d, g in present.items()}))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def stage_section(stage_by_dataset: dict[str, dict]) -> list[str]:
    stage = next(iter(stage_by_dataset.values()))
    lines = [stage_heading(stage), ""]
    if stage.get("brief"):
        lines += [f"Brief in the team repository: `{stage['brief']}`.", ""]
    others = sorted({key for s in stage_by_dataset.values() for key in s} - {"number", "key", "title", "brief"})
    for key in others:
        if key in ("gates", "mentor_checklist"):
            continue
        lines += [f"- `{key}`: {per_dataset({d: s.get(key) for d, s in stage_by_dataset.items()})}"]
    if any(key not in ("gates", "mentor_checklist") for key in others):
        lines.append("")
    gates = {dataset: s.get("gates") or [] for dataset, s in stage_by_dataset.items()}
    if any(gates.values()):
        lines += gate_table(gates) + [""]
    checklists = {dataset: tuple(s.get("mentor_checklist") or []) for dataset, s in stage_by_dataset.items()}
    checklist = next(iter(checklists.values()))
    if checklist:
        lines += ["Mentor checklist:", ""] + [f"- {item}" for item in checklist] + [""]
    if len(set(checklists.values())) > 1:
        lines += ["(The checklist differs between datasets; see the files below.)", ""]
    return lines


def render(specs: dict[str, str]) -> str:
    parsed = {dataset: yaml.safe_load(text) or {} for dataset, text in specs.items()}
    first_dataset = next(iter(specs))
    lines = [INTRO]

    settings = sorted({key for spec in parsed.values() for key in spec} - NAMING_KEYS)
    for key in [key for key in settings if is_gate_list(parsed[first_dataset].get(key))]:
        # A list of gates outside the stages (such as gates every stage runs) gets its own table.
        lines += [f"## `{key}`", "", f"Gates listed under `{key}`, outside the stages:", ""]
        lines += gate_table({dataset: spec.get(key) or [] for dataset, spec in parsed.items()}) + [""]
        settings.remove(key)
    for key in [key for key in settings if is_flat_mapping(parsed[first_dataset].get(key))]:
        # A mapping of names to values (such as the team's hooks) gets a table of its own.
        lines += [f"## `{key}`", ""]
        if key in MAPPINGS:
            lines += [MAPPINGS[key], ""]
        names = list(parsed[first_dataset][key])
        names += sorted({name for spec in parsed.values() for name in spec.get(key) or {}} - set(names))
        lines += ["| name | value |", "|---|---|"]
        lines += [
            f"| `{name}` | {per_dataset({d: code_cell((s.get(key) or {}).get(name)) for d, s in parsed.items()})} |"
            for name in names
        ]
        lines.append("")
        settings.remove(key)
    if settings:
        lines += ["## Other settings", ""]
        lines += [f"- `{key}`: {per_dataset({d: s.get(key) for d, s in parsed.items()})}" for key in settings]
        lines.append("")

    stage_lists = {dataset: stages_of(spec) for dataset, spec in parsed.items()}
    for index in range(max(len(stages) for stages in stage_lists.values())):
        present = {dataset: stages[index] for dataset, stages in stage_lists.items() if index < len(stages)}
        lines += stage_section(present)

    lines.append(CUSTOMISE)
    lines += [
        "## The file",
        "",
        f"`capstone.yaml` as baked with the default answers (`dataset: {first_dataset}`):",
        "",
        "```yaml",
        specs[first_dataset].rstrip("\n"),
        "```",
        "",
    ]

    def without_dataset_line(text: str) -> str:
        return re.sub(r"(?m)^dataset: .*$", "dataset: ...", text)

    same = [
        d
        for d in specs
        if d != first_dataset and without_dataset_line(specs[d]) == without_dataset_line(specs[first_dataset])
    ]
    if same:
        names = [f"`{dataset}`" for dataset in same]
        listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        lines += [f"For {listed}, the file is the same apart from its `dataset:` line.", ""]
    for dataset, text in specs.items():
        if dataset == first_dataset or dataset in same:
            continue
        diff = difflib.unified_diff(
            specs[first_dataset].splitlines(),
            text.splitlines(),
            f"{first_dataset}/capstone.yaml",
            f"{dataset}/capstone.yaml",
            lineterm="",
            n=1,
        )
        lines += [f"With `dataset: {dataset}`, the differences:", "", "```diff", *diff, "```", ""]
    return "\n".join(lines)


def main() -> int:
    page = render(baked_specs())
    if "--check" in sys.argv[1:]:
        if PAGE.read_text(encoding="utf-8") != page:
            print(f"ERROR: {PAGE.relative_to(TEMPLATE)} is out of date; run: make docs-options", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"Wrote {PAGE.relative_to(TEMPLATE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
