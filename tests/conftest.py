"""The template tests' fixtures; they and the helpers live in bakery.py (import helpers from there)."""

from bakery import _quiet_tools, cc_config, pre_commit_home  # noqa: F401 (fixtures, found by pytest here)
