"""What every pipeline stage of the kit shares: the team's hooks, and the kit's version check."""

from pathlib import Path

import capstone
from capstone.config import ConfigError, Params, load_spec
from capstone.hooks import TeamHooks, load_hooks


def team_hooks(params: Params, root: Path = Path(".")) -> TeamHooks:
    """The team's functions this stage calls, as capstone.yaml declares them (capstone.hooks)."""
    return load_hooks(params.project.package, load_spec(root).hooks)


def kit_version_problem(params: Params) -> str | None:
    """Why the installed kit is not the one params.yaml (`kit.version`) was made for, or None."""
    wanted = str((params.model_extra.get("kit") or {}).get("version", "")).strip()
    if not wanted or wanted == capstone.__version__:
        return None
    return (
        f"params.yaml asks for the course kit {wanted} (kit.version), but capstone-kit {capstone.__version__} "
        "is installed; run: make setup (after `cruft update`, run `uv lock` first)"
    )


def check_kit_version(params: Params) -> None:
    """Stop with one clear line when the installed kit is not the one params.yaml names."""
    problem = kit_version_problem(params)
    if problem:
        raise ConfigError(problem)
