"""The documentation site: it builds strictly and offline, its generated pages are current, and
every `make ...` or `capstone ...` command it shows exists."""

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import docs_checkpoints
import docs_data
import docs_options
import pytest
from bakery import PROJECT_TEMPLATE, TEMPLATE

DOCS = TEMPLATE / "docs"
# The course kit's package: its CLI is the `capstone` command the docs show.
KIT = TEMPLATE / "kit" / "src" / "capstone"
MKDOCS = Path(sys.executable).parent / "mkdocs"
# Code blocks in these languages hold file contents, not commands to type.
NOT_COMMANDS = {"yaml", "yml", "json", "toml", "python", "py", "diff", "text"}
# Words that stand for "the rest of the command" in prose: "make cohort-teams … ARGS=...", "<target>".
PLACEHOLDER = re.compile(r"…|\.\.\.|<[^>]*>")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--config-file", str(TEMPLATE / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=TEMPLATE,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stdout}\n{built.stderr}"
    return out


def test_the_site_builds_with_strict(site):
    """No broken link, no missing page, no warning: `make docs` would pass."""
    for page in ("index", "instructors", "options", "students", "mentors", "data", "checkpoints", "cohort"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "examples" / "index.html").is_file()


def test_the_site_loads_nothing_from_the_network(site):
    """Offline: no web fonts, no CDN script or stylesheet, no remote image on any page."""
    remote = re.compile(
        r"""<(?:script|img|iframe)\b[^>]*\bsrc=["']?(?:https?:)?//|<link\b[^>]*\bhref=["']?(?:https?:)?//"""
    )
    offenders = [
        f"{page.relative_to(site)}: {match.group(0)}"
        for page in site.rglob("*.html")
        for match in remote.finditer(page.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
    assert not [page for page in site.rglob("*.html") if "fonts.googleapis" in page.read_text(encoding="utf-8")]


def test_the_benchmark_results_appear_once_make_bench_wrote_them(site):
    """benchmarks.md includes benchmarks/results.md; the include is silent when the file is missing."""
    results = TEMPLATE / "benchmarks" / "results.md"
    if not results.is_file():
        pytest.skip("benchmarks/results.md does not exist yet (make bench writes it)")
    figures = re.findall(r"\d+\.\d+", results.read_text(encoding="utf-8"))
    page = (site / "benchmarks.html").read_text(encoding="utf-8")
    assert figures and all(figure in page for figure in figures[:5]), "benchmarks/results.md is not on the page"


@pytest.mark.parametrize(
    "module, page",
    [(docs_options, "options.md"), (docs_data, "data.md")],
    ids=["options from cookiecutter.json", "data domains from the feed README"],
)
def test_a_generated_page_is_current(module, page):
    assert (DOCS / page).read_text(encoding="utf-8") == module.render(), f"docs/{page} is stale: run make docs-options"


def test_the_checkpoints_page_is_current():
    """Generated from capstone.yaml as baked for every dataset (about 2 s of bakes)."""
    expected = docs_checkpoints.render(docs_checkpoints.baked_specs())
    assert (DOCS / "checkpoints.md").read_text(encoding="utf-8") == expected, (
        "docs/checkpoints.md is stale: run make docs-options"
    )


def test_the_options_page_lists_every_option_and_choice():
    """The generator itself, checked against cookiecutter.json (not only against its own output)."""
    config = docs_options.json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    page = (DOCS / "options.md").read_text(encoding="utf-8")
    for key, value in config.items():
        if key.startswith("_"):
            continue
        assert f"| `{key}` |" in page, key
        for choice in value if isinstance(value, list) else []:
            assert choice in page, (key, choice)


# --- every command shown in the docs exists ---------------------------------------------------


def makefile_targets(path: Path) -> set[str]:
    """Target names of a Makefile (the team's holds Jinja around some targets; both branches count)."""
    pattern = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", re.MULTILINE)
    return set(pattern.findall(path.read_text(encoding="utf-8")))


def typer_commands(*files: Path) -> dict[str, set[str] | None]:
    """The `capstone` command tree from the CLI sources, read with ast (nothing is imported or installed).

    Returns {command: None} for a command and {group: {subcommands}} for a group added with add_typer.
    Typer names a command after its function, underscores as dashes, unless the decorator names it.
    """
    commands: dict[str, dict[str, None]] = {}  # Typer app variable -> its commands
    groups: dict[str, dict[str, str]] = {}  # Typer app variable -> {group name: app variable}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    call = decorator if isinstance(decorator, ast.Call) else None
                    if call and isinstance(call.func, ast.Attribute) and call.func.attr == "command":
                        app = call.func.value.id
                        name = node.name.replace("_", "-")
                        if call.args and isinstance(call.args[0], ast.Constant):
                            name = call.args[0].value
                        for keyword in call.keywords:
                            if keyword.arg == "name":
                                name = keyword.value.value
                        commands.setdefault(app, {})[name] = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_typer":
                name = next(keyword.value.value for keyword in node.keywords if keyword.arg == "name")
                groups.setdefault(node.func.value.id, {})[name] = node.args[0].id
    tree: dict[str, set[str] | None] = dict(commands.get("app", {}))
    for name, variable in groups.get("app", {}).items():
        tree[name] = set(commands.get(variable, {}))
    return tree


def code_snippets(markdown: str) -> list[str]:
    """Lines of the code blocks that hold commands, and inline code spans, from a Markdown page."""
    snippets, language, continued = [], None, ""
    for line in markdown.splitlines():
        fence = re.match(r"^\s*(```|~~~)\s*([\w+-]*)", line)
        if fence:
            language = None if language is not None else fence.group(2).lower()
            continue
        if language is None:
            snippets += re.findall(r"`([^`\n]+)`", line)
        elif language not in NOT_COMMANDS:
            line = continued + line.strip()
            continued = line[:-1] + " " if line.endswith("\\") else ""
            if not continued:
                snippets.append(line)
    return snippets


def commands_in(snippet: str) -> list[list[str]]:
    """The `make` and `capstone` commands in one shell line, as word lists."""
    try:
        words = shlex.split(snippet, comments=True)
    except ValueError:
        return []
    separators = {"&&", "||", ";", "|", "do", "then"}
    found, current = [], []
    for word in [*words, ";"]:
        ends = word in separators or word.endswith(";")
        word = "" if word in separators else word.removesuffix(";")
        if word:
            current.append(word)
        if ends:
            if current and current[0].removeprefix(".venv/bin/") in {"make", "capstone"}:
                found.append(current)
            current = []
    return found


def problems_with(command: list[str], targets: set[str], cli: dict) -> list[str]:
    program, *args = command
    if program == "make":
        wanted, skip = [], False
        for arg in args:
            if skip:
                skip = False
            elif arg in {"-C", "-f", "-j"}:
                skip = True  # the option's own argument follows
            elif not arg.startswith("-") and "=" not in arg and not PLACEHOLDER.fullmatch(arg):
                wanted.append(arg)
        return [f"make {target}" for target in wanted if target not in targets]
    if not args or args[0].startswith("-"):
        return []
    if args[0] not in cli:
        return [f"capstone {args[0]}"]
    subcommands = cli[args[0]]
    if subcommands is not None and len(args) > 1 and not args[1].startswith("-") and args[1] not in subcommands:
        return [f"capstone {args[0]} {args[1]}"]
    return []


def test_every_command_in_the_docs_exists():
    targets = makefile_targets(TEMPLATE / "Makefile") | makefile_targets(PROJECT_TEMPLATE / "Makefile")
    cli = typer_commands(KIT / "cli.py", KIT / "feed" / "cli.py", KIT / "grading" / "cli.py", KIT / "cohort" / "cli.py")
    assert {"setup", "pipeline", "docs", "test-fast"} <= targets and {"status", "data"} <= set(cli)
    missing, checked = [], 0
    for page in sorted(DOCS.rglob("*.md")):
        for snippet in code_snippets(page.read_text(encoding="utf-8")):
            for command in commands_in(snippet):
                checked += 1
                missing += [f"{page.relative_to(DOCS)}: {problem}" for problem in problems_with(command, targets, cli)]
    assert checked > 50, f"only {checked} commands found: is the extraction broken?"
    assert not missing, "commands shown in the docs that do not exist:\n" + "\n".join(sorted(set(missing)))


def test_the_command_extraction_itself():
    """The helpers above, on small examples, so a pass means something."""
    snippets = code_snippets(
        "Run `make docs` or `capstone.yaml`.\n\n```bash\nmake a \\\n  b # c\n```\n```yaml\nmake: x\n```\n"
    )
    assert snippets == ["make docs", "capstone.yaml", "make a  b # c"]
    assert commands_in("cd x && make setup STAGE=1; .venv/bin/capstone data generate --rows 5") == [
        ["make", "setup", "STAGE=1"],
        [".venv/bin/capstone", "data", "generate", "--rows", "5"],
    ]
    cli = {"check": None, "data": {"generate"}}
    assert problems_with(["make", "-C", "repo", "nope", "X=1", "…", "<target>"], {"setup"}, cli) == ["make nope"]
    assert problems_with(["capstone", "data", "nope"], set(), cli) == ["capstone data nope"]
    assert problems_with(["capstone", "check", "4"], set(), cli) == []
    assert problems_with(["capstone", "report"], set(), cli) == ["capstone report"]
