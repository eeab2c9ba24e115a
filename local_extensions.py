"""Jinja extension used by cookiecutter.json: a `tojson` that is safe in JSON, YAML and TOML.

Every free-text answer reaches a structured file through `{{ value | tojson }}`. Jinja's own
`tojson` escapes astral characters (emoji) as UTF-16 surrogate pairs such as `\\ud83d\\ude00`,
which JSON accepts but TOML rejects and YAML mangles. This extension makes `tojson` emit:

- ASCII printable characters as they are (quotes and backslashes escaped as JSON does);
- every other character of the Basic Multilingual Plane as `\\uXXXX` (valid in all three formats);
- characters beyond it (emoji) raw, which all three formats accept.
"""

import json

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
