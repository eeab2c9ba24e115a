"""The contract between the course kit and the team's code: the team's functions the kit calls.

The pipeline stages and the checkpoints call the team's code only through these hooks. Each is
declared in capstone.yaml (`hooks:`) as `<module>:<function>`, the module relative to the team's
package (params.yaml `project.package`), and must match its Protocol below:

    hooks:
      clean: data.clean:clean_frame
      raw_expectations: validation.suites:raw_expectations
      clean_expectations: validation.suites:clean_expectations
      features: features.pipeline:build_features
      candidates: models.candidates:candidates
      monitor: monitoring.monitor:monitor

When a declared function is missing (renamed, moved, a module that does not import), the error
names the hook, the function it looked for and where the hook is declared.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from capstone.config import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from capstone.config import Params
    from capstone.dataset import DatasetSchema


class CleanFrame(Protocol):
    """Stage 1: the cleaned frame (its index keeps the raw row positions) and the fixes per kind."""

    def __call__(self, frame: pd.DataFrame, schema: DatasetSchema, dataset: str) -> tuple[pd.DataFrame, dict]: ...


class Expectations(Protocol):
    """Stage 2: the Great Expectations expectations of a suite (raw or clean)."""

    def __call__(self, schema: DatasetSchema, params: Params, *, profile: dict | None = None) -> list: ...


class BuildFeatures(Protocol):
    """Stage 3: the unfitted feature transformer (raw columns in, a numeric matrix out)."""

    def __call__(self, schema: DatasetSchema, params: dict | None = None) -> Any: ...


class Candidates(Protocol):
    """Stage 4: the model families to tune (capstone.training.Candidate), one with baseline=True."""

    def __call__(self, schema: DatasetSchema, params: dict, target: Any = None) -> list: ...


class Monitor(Protocol):
    """Stage 6: compare new inputs with the training data; say per column drifted or not, and retrain or not.

    quality is None until labels arrive, else a capstone.monitoring.Quality (the score at training and now).
    Returns a dict that capstone.monitoring.MonitoringReport accepts.
    """

    def __call__(
        self, reference: pd.DataFrame, current: pd.DataFrame, schema: DatasetSchema, settings: dict, quality: Any
    ) -> dict: ...


# Each hook: its Protocol, and where it lives unless capstone.yaml says otherwise.
CONTRACT: dict[str, tuple[type, str]] = {
    "clean": (CleanFrame, "data.clean:clean_frame"),
    "raw_expectations": (Expectations, "validation.suites:raw_expectations"),
    "clean_expectations": (Expectations, "validation.suites:clean_expectations"),
    "features": (BuildFeatures, "features.pipeline:build_features"),
    "candidates": (Candidates, "models.candidates:candidates"),
    "monitor": (Monitor, "monitoring.monitor:monitor"),
}


class HookError(ConfigError):
    """A hook of capstone.yaml cannot be found or does not fit its Protocol; the message says which and where."""


@dataclass(frozen=True)
class TeamHooks:
    """The team's functions, found from the declarations (hook name -> "module:function")."""

    package: str
    declared: dict[str, str]

    def target(self, name: str) -> str:
        """The declaration of hook `name`, as `<package>.<module>:<function>`."""
        return f"{self.package}.{self.declared[name]}"

    def get(self, name: str):
        """The team's function for hook `name`; HookError when it is not there."""
        if name not in CONTRACT:
            raise HookError(f"no hook is called {name!r}; the hooks are: {', '.join(CONTRACT)}")
        where = f"capstone.yaml (hooks.{name}: {self.declared[name]})"
        module_name, _, function_name = self.declared[name].partition(":")
        try:
            module = importlib.import_module(f"{self.package}.{module_name}")
        except ModuleNotFoundError as problem:
            raise HookError(
                f"hook {name!r}: module {self.package}.{module_name} not found ({problem}); "
                f"it is declared in {where}: move the function back, or ask a mentor to change the declaration"
            ) from None
        function = getattr(module, function_name, None)
        if not callable(function):
            raise HookError(
                f"hook {name!r}: {self.package}.{module_name} has no function {function_name!r} "
                f"(was it renamed?); it is declared in {where}"
            )
        _check_signature(name, function, where)
        return function

    def problems(self) -> list[str]:
        """One line per hook that cannot be found or does not fit its Protocol (empty: all is well)."""
        found = []
        for name in self.declared:
            try:
                self.get(name)
            except HookError as problem:
                found.append(str(problem))
        return found

    def clean(self, frame, schema, dataset):
        return self.get("clean")(frame, schema, dataset)

    def raw_expectations(self, schema, params, profile=None) -> list:
        return list(self.get("raw_expectations")(schema, params, profile=profile) or [])

    def clean_expectations(self, schema, params, profile=None) -> list:
        return list(self.get("clean_expectations")(schema, params, profile=profile) or [])

    def features(self, schema, params=None):
        return self.get("features")(schema, params)

    def candidates(self, schema, params, target=None) -> list:
        return list(self.get("candidates")(schema, params, target))

    def monitor(self, reference, current, schema, settings: dict, quality=None):
        return self.get("monitor")(reference, current, schema, settings, quality)


def _check_signature(name: str, function, where: str) -> None:
    """The function must accept the arguments its Protocol passes (a clear error instead of a TypeError later)."""
    protocol = CONTRACT[name][0]
    expected = [p for p in inspect.signature(protocol.__call__).parameters.values() if p.name != "self"]
    # Bound the way TeamHooks calls it: keyword-only parameters by name, the others by position.
    positional = [object() for p in expected if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keywords = {p.name: None for p in expected if p.kind is inspect.Parameter.KEYWORD_ONLY}
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a callable Python cannot describe (a builtin): calling it will tell
        return
    try:
        signature.bind(*positional, **keywords)
    except TypeError:
        wanted = ", ".join(p.name for p in expected)
        raise HookError(
            f"hook {name!r}: {function.__module__}.{function.__name__}{signature} does not take "
            f"({wanted}) as capstone.hooks.{protocol.__name__} says; it is declared in {where}"
        ) from None


def load_hooks(package: str, declared: dict[str, str] | None = None) -> TeamHooks:
    """The hooks of the team's package: capstone.yaml's declarations over the defaults of CONTRACT."""
    table = {name: default for name, (_, default) in CONTRACT.items()}
    for name, value in (declared or {}).items():
        if name not in CONTRACT:
            raise HookError(f"capstone.yaml: hooks.{name} is not a hook; the hooks are: {', '.join(CONTRACT)}")
        if not isinstance(value, str) or value.count(":") != 1:
            raise HookError(f"capstone.yaml: hooks.{name} must be '<module>:<function>', not {value!r}")
        table[name] = value
    return TeamHooks(package=package, declared=table)
