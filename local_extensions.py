"""Jinja extensions used by cookiecutter.json.

SafeJsonExtension: a `tojson` that is safe in JSON, YAML and TOML.
KitSourceExtension: where the team repo installs the course kit from (its version, git URL and commit).

Every free-text answer reaches a structured file through `{{ value | tojson }}`. Jinja's own
`tojson` escapes astral characters (emoji) as UTF-16 surrogate pairs such as `\\ud83d\\ude00`,
which JSON accepts but TOML rejects and YAML mangles. This extension makes `tojson` emit:

- ASCII printable characters as they are (quotes and backslashes escaped as JSON does);
- every other character of the Basic Multilingual Plane as `\\uXXXX` (valid in all three formats);
- characters beyond it (emoji) raw, which all three formats accept.
"""

import json
import re
import subprocess
import tomllib
from pathlib import Path

from jinja2.ext import Extension


def _escape_non_ascii(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if 0x7F <= code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def safe_json_dumps(value, **kwargs) -> str:
    """json.dumps, then the escaping described in the module docstring."""
    kwargs["ensure_ascii"] = False
    return _escape_non_ascii(json.dumps(value, **kwargs))


class SafeJsonExtension(Extension):
    """Installs `safe_json_dumps` as the function behind Jinja's `tojson` filter."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.policies["json.dumps_function"] = safe_json_dumps


# --- The course kit's source (see docs/instructors.md, "How a team repo gets the course kit") --------

# cookiecutter's default abbreviations; a user's own config may add more, which arrive here expanded.
ABBREVIATIONS = {
    "gh:": "https://github.com/{}",
    "gl:": "https://gitlab.com/{}",
    "bb:": "https://bitbucket.org/{}",
}


def _template_root() -> Path:
    """The template repository being rendered.

    cookiecutter (and cruft, for each side of an update) renders the project's files with the working
    directory set to the project folder inside the template repository, and its hooks from the
    repository's root: the root is whichever of the two holds kit/.
    """
    here = Path.cwd()
    for folder in (here, here.parent):
        if (folder / "kit" / "pyproject.toml").is_file():
            return folder
    raise FileNotFoundError(f"no kit/pyproject.toml in {here} or its parent: is this the ml-capstone template?")


def kit_version() -> str:
    """The kit's version: `version` in kit/pyproject.toml, the course's one source of its version."""
    document = tomllib.loads((_template_root() / "kit" / "pyproject.toml").read_text(encoding="utf-8"))
    return document["project"]["version"]


def kit_git_url(template: str, course_repository: str = "") -> str:
    """A git URL uv can install from, for the template argument cookiecutter (or cruft) was given.

    With a course_repository answer (owner/name), the course's GitHub repository: a repository baked
    from a local clone then installs the kit from where its teams can reach it, not from the clone.
    """
    if course_repository:
        return f"https://github.com/{course_repository}"
    for prefix, pattern in ABBREVIATIONS.items():
        if template.startswith(prefix):
            return pattern.format(template[len(prefix) :].removesuffix(".git"))
    if template.startswith("git+"):
        template = template[len("git+") :]
    if "://" in template:
        return template
    if "@" in template and ":" in template:  # scp-like: git@github.com:org/repo.git
        user_host, path = template.split(":", 1)
        return f"ssh://{user_host}/{path}"
    # A local folder: the tests, or a course trying it out. cruft passes it as an absolute path but renders
    # from a scratch clone of it, so the folder named wins over the one being rendered.
    if Path(template).is_absolute() and Path(template).is_dir():
        return Path(template).resolve().as_uri()
    return _template_root().resolve().as_uri()


def course_repository(template: str, answer: str = "", org: str = "") -> str:
    """owner/name of the course repository on GitHub, whose reusable checkpoint workflow the team calls.

    The answer wins; else the template baked from, when it is on GitHub; else <org>/ml-capstone
    (a local bake: the post-generation hook says to set course_repository before going online).
    """
    if answer:
        return answer
    url = kit_git_url(template)
    match = re.match(r"^(?:https://|ssh://git@)github\.com/([^/]+)/([^/]+?)(?:\.git)?/?$", url)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return f"{org or 'my-course'}/ml-capstone"


def kit_folder() -> str:
    """The kit's folder in the template being rendered (for a template that is not a git checkout)."""
    return (_template_root() / "kit").resolve().as_posix()


def kit_commit() -> str:
    """The commit of the template repository being rendered ("" when it is not a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=_template_root(), capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


class KitSourceExtension(Extension):
    """`kit_version()`, `kit_git_url(template)`, `kit_commit()` and `kit_folder()` for the team's pyproject.toml."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(
            kit_version=kit_version,
            kit_git_url=kit_git_url,
            kit_commit=kit_commit,
            kit_folder=kit_folder,
            course_repository=course_repository,
        )
