"""Write docs/options.md from cookiecutter.json, so the options page cannot drift from the prompts.

    python scripts/docs_options.py          # rewrite docs/options.md (what `make docs-options` runs)
    python scripts/docs_options.py --check  # exit 1 if docs/options.md is out of date

tests/test_docs.py compares render() with the committed page.
"""

import json
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
PAGE = TEMPLATE / "docs" / "options.md"

# What an answer may look like. The rules themselves live in hooks/pre_gen_project.py; these are
# the short forms people need at the prompt. A new option without a line here shows "-".
FORMS = {
    "project_name": "one line of text, at most 80 characters",
    "project_slug": "lowercase letters, digits and single dashes, starting with a letter; "
    "it also names the Python package (dashes become underscores)",
    "description": "one line of text, at most 200 characters",
    "github_org": "a GitHub organisation or user name",
    "team_members": "comma-separated GitHub handles, or empty",
    "mentors": "comma-separated GitHub handles or `org/team` names; they become the CODEOWNERS",
    "mlflow_tracking_uri": "empty (local `sqlite:///mlflow.db`) or a URI: http(s), sqlite, postgresql, mysql, "
    "mssql, databricks; no credentials (those go in the team's `.env`)",
    "dvc_remote": "a directory path, or a DVC URL: s3, gs, azure, ssh, http(s), webdav(s), hdfs, webhdfs, oss, gdrive; "
    "an S3-compatible store: s3://bucket/path?endpoint=https://host",
    "kit_index_url": "empty (the kit comes from the template's git repository at the baked commit) or a package "
    "index URL, http(s) or file, without credentials (see [How a team repo gets the course kit]"
    "(instructors.md#how-a-team-repo-gets-the-course-kit))",
    "course_repository": "empty (the GitHub repository baked from) or `owner/name`: the course repository whose "
    "reusable checkpoint workflow the team's `checkpoint.yml` calls, pinned to the baked commit (see the "
    "[threat model](threat-model.md))",
}

INTRO = """\
# All options

<!-- Generated from cookiecutter.json by scripts/docs_options.py (make docs-options). Do not edit. -->

These are the questions `cookiecutter` asks when it bakes a team repository, in the order it asks them.
With `--no-input` it takes the defaults, except for the answers given on the command line or in a config file
(see [Instructor quickstart](instructors.md)).
A bad answer stops the bake before anything is written, with one line `ERROR: ...` that says what is allowed.
A choice that is not in the list (`dataset`, `scaffold`, `license`, `python_version`) is the exception: cookiecutter
itself refuses it, before our checks run, with a traceback whose **last** line says what is wrong, for example
`ValueError: unknown provided for choice variable dataset, but the choices are ['churn', 'credit_default',
'house_prices', 'custom_csv'].` Nothing is written then either.
"""


def cell(text: str) -> str:
    """Make text safe inside a Markdown table cell: one line, and no pipe that would end the cell.

    Python-Markdown keeps a pipe inside `code` in its cell (and would show a backslash there),
    so only pipes outside code spans are escaped.
    """
    parts = re.split(r"(`[^`]*`)", text.replace("\n", " "))
    return "".join(part if part.startswith("`") else part.replace("|", "\\|") for part in parts)


def code(value: str) -> str:
    return f"`{value}`" if value else "(empty)"


def derived_from(value: str) -> list[str]:
    """The other answers a Jinja default is computed from, such as project_name for project_slug."""
    return sorted(set(re.findall(r"cookiecutter\.([A-Za-z_][A-Za-z0-9_]*)", value)))


def default_cell(value: str) -> str:
    sources = derived_from(value)
    if sources:
        names = ", ".join(f"`{name}`" for name in sources)
        return f"computed from {names}: {code(value)}"
    return code(value)


def choices_cell(key: str, choices: list[str], prompts: dict) -> str:
    labels = prompts.get(key, {}) if isinstance(prompts.get(key), dict) else {}
    # The first choice is the default; its label says what the choice means.
    return "<br>".join(labels.get(choice, code(choice)) for choice in choices)


def public_options(config: dict) -> dict:
    """The options a person answers: cookiecutter hides keys starting with "_" from the prompts."""
    return {key: value for key, value in config.items() if not key.startswith("_")}


def prompt_of(key: str, prompts: dict) -> str:
    prompt = prompts.get(key, key)
    return prompt["__prompt__"] if isinstance(prompt, dict) else prompt


def render() -> str:
    config = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    prompts = config.get("__prompts__", {})
    options = public_options(config)

    lines = [INTRO, "| option | prompt | default | choices or form |", "|---|---|---|---|"]
    for key, value in options.items():
        if isinstance(value, list):
            row = [f"`{key}`", prompt_of(key, prompts), code(value[0]), choices_cell(key, value, prompts)]
        else:
            row = [f"`{key}`", prompt_of(key, prompts), default_cell(value), FORMS.get(key, "-")]
        lines.append("| " + " | ".join(cell(part) for part in row) + " |")

    lines += [
        "",
        "## A config file with every default",
        "",
        "Copy it, change what differs for a team, and bake with "
        "`cookiecutter <template> --no-input --config-file team.yaml`.",
        "Values that contain `{{ }}` are Jinja: they are computed from the other answers.",
        "",
        "```yaml",
        "default_context:",
    ]
    for key, value in options.items():
        default = value[0] if isinstance(value, list) else value
        lines.append(f"  {key}: {json.dumps(default, ensure_ascii=False)}")
    lines += ["```", ""]

    hidden = sorted(key for key in config if key.startswith("__") and key != "__prompts__")
    if hidden:
        lines += [
            "## Computed values",
            "",
            "Not asked; the template computes them from the answers.",
            "",
            "| name | value |",
            "|---|---|",
        ]
        lines += [f"| `{key[2:]}` | {cell(code(config[key]))} |" for key in hidden]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    page = render()
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
