"""A team repository baked from this template, for the kit's tests that need real settings files.

The kit lives in the template's repository: a bake (about 0.3 s, nothing installed) gives the real
params.yaml, capstone.yaml and team package a team starts with.
"""

from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parents[2]


def bake_team_repo(tmp_path_factory, **answers) -> Path:
    cookiecutter = pytest.importorskip("cookiecutter.main").cookiecutter
    home = tmp_path_factory.mktemp("cc-home")
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'c'}\nreplay_dir: {home / 'r'}\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("kit-team")
    return Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out), config_file=str(config), extra_context=answers)
    )
