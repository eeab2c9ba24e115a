"""Hostile free-text answers: every bake either succeeds with valid files that carry the text
exactly, or is refused with one "ERROR:" line. Never a broken file.

Two ways in, as an instructor would use them:
- typed at the prompts (the text is taken verbatim; the prompt trims surrounding spaces);
- given with --no-input / extra_context. Cookiecutter renders such answers as Jinja (so they can
  refer to other answers), so literal Jinja must be wrapped in {% raw %} there; see the last test.
"""

import io
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from bakery import DEFAULTS, bake, repo_files, template_source
from cookiecutter.exceptions import FailedHookException, UndefinedVariableInTemplate
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Fragments that have broken templates in the wild: quoting, YAML/TOML syntax, Jinja, escapes.
NASTY = [
    '"',
    "'",
    "'''",
    '"""',
    ":",
    ": ",
    "#",
    " #",
    "{{ x }}",
    "{% if %}",
    "{#",
    "}}",
    "\\",
    "\\n",
    "\\u0041",
    "\t",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "- item",
    "[list]",
    "&anchor",
    "*alias",
    "!tag",
    "%",
    "$HOME",
    "`cmd`",
    "<b>",
    "é",
    "ß",
    "ı",
    "日本語",
    "🚀",
    "\u2028",
    "\x7f",
    "\u00a0",
    " ",
    "\r",
]
one_line = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), min_size=1, max_size=6).map("".join)
one_line = one_line.filter(lambda text: "\n" not in text)
HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PROMPTED = 11  # prompted variables in cookiecutter.json after the first two


def check_valid_and_round_trips(repo: Path, name: str, description: str) -> None:
    for relative in repo_files(repo):
        path = repo / relative
        if relative.endswith(".toml"):
            tomllib.loads(path.read_text(encoding="utf-8"))
        elif relative.endswith((".yaml", ".yml")):
            yaml.safe_load(path.read_text(encoding="utf-8"))
        elif relative.endswith(".py"):
            compile(path.read_text(encoding="utf-8"), relative, "exec")
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    spec = yaml.safe_load((repo / "capstone.yaml").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    answers = yaml.safe_load((repo / ".cookiecutter-answers.yaml").read_text(encoding="utf-8"))["default_context"]
    assert params["project"]["name"] == name
    assert spec["project"] == name
    assert pyproject["project"]["description"] == description
    assert answers["project_name"] == name and answers["description"] == description
    assert f"# {name}\n" in (repo / "README.md").read_text(encoding="utf-8")


def refused_with_one_line(capfd) -> bool:
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, errors
    return True


def bake_typed(out: Path, cc_config: Path, monkeypatch, name: str, slug: str, description: str) -> Path:
    """Bake through the real prompts, typing the answers on stdin (empty line = the default)."""
    typed = "\n".join([name, slug, description] + [""] * PROMPTED) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    return Path(cookiecutter(str(template_source()), output_dir=str(out), config_file=str(cc_config)))


@HYPOTHESIS
@given(name=one_line, description=one_line, fixed_slug=st.booleans())
def test_typed_hostile_text_is_carried_exactly_or_refused(cc_config, capfd, monkeypatch, name, description, fixed_slug):
    slug = "hostile-team" if fixed_slug else ""  # empty: the slug derived from the name
    capfd.readouterr()
    with tempfile.TemporaryDirectory() as out:
        try:
            repo = bake_typed(Path(out), cc_config, monkeypatch, name, slug, description)
        except FailedHookException:
            assert refused_with_one_line(capfd)
            return
        # An empty (or all-space) answer means "take the default", as at any prompt.
        expected_name = name.strip() or DEFAULTS["project_name"]
        expected_description = description.strip() or DEFAULTS["description"]
        check_valid_and_round_trips(repo, expected_name, expected_description)


@HYPOTHESIS
@given(name=one_line | st.text(), description=one_line | st.text())
def test_no_input_hostile_text_is_carried_exactly_or_refused(cc_config, capfd, name, description):
    # {% raw %} keeps cookiecutter from reading the answers as Jinja (see the module docstring).
    def literal(text):
        return "{% raw %}" + text + "{% endraw %}"

    if "{% endraw %}" in name + description:
        return
    capfd.readouterr()
    with tempfile.TemporaryDirectory() as out:
        try:
            repo = bake(
                Path(out),
                cc_config,
                project_name=literal(name),
                description=literal(description),
                project_slug="hostile-team",
            )
        except FailedHookException:
            assert refused_with_one_line(capfd)
            return
        check_valid_and_round_trips(repo, name, description)


def test_the_nastiest_name_bakes_and_is_carried(tmp_path, cc_config, monkeypatch):
    name = """It's "Q3": {{ churn }} #1 \\ yes 🚀 {% if %}"""
    repo = bake_typed(tmp_path, cc_config, monkeypatch, name, "q3-team", "null")
    check_valid_and_round_trips(repo, name, "null")


def test_unescaped_jinja_with_no_input_is_stopped_by_cookiecutter_before_any_file(tmp_path, cc_config):
    with pytest.raises(UndefinedVariableInTemplate, match="Unable to render variable 'project_name'"):
        bake(tmp_path, cc_config, project_name="{{ churn }} team", project_slug="churn-team")
    assert not any(tmp_path.iterdir())
