"""What the gates share: the settings, the dataset schema, the team's hooks and the champion.

Everything heavy (MLflow, the champion model, the holdout) is loaded on first use and then kept,
so `capstone check all` loads the champion once for the gates of stages 3, 4 and 5. What the gates
compute once and share (the team's cleaning of a delivery, the team's suites, the running service)
is kept in `Context.evidence`, a typed record: every shared thing has a named field.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from capstone.checkpoints.commits import Commits
from capstone.checkpoints.holdout import Holdout, load_holdout
from capstone.checkpoints.registry import NotReady
from capstone.checkpoints.server import Service
from capstone.config import CapstoneSpec, Params
from capstone.dataset import DatasetSchema, load_schema
from capstone.hooks import TeamHooks, load_hooks

__all__ = ["CHAMPION_ALIAS", "Context", "Evidence", "NotReady"]

CHAMPION_ALIAS = "champion"


@dataclass
class Evidence:
    """What the gates measure once per check and share (filled on first use by evidence.py and service.py)."""

    # id(raw frame) -> (the raw frame, the team's cleaning of it read back as from CSV); the raw frame
    # is kept so that its id stays unique while the check runs.
    cleaned: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    # The team's expectations, {"raw": [...], "clean": [...]}, as the suites hooks build them.
    suites: dict[str, list] | None = None
    # The stage 5 service, started by the first gate that needs it (service.start_service).
    service: Service | None = None


@dataclass
class Context:
    root: Path
    params: Params
    spec: CapstoneSpec
    # The mentors' holdout secrets, taken out of the environment before any team code runs
    # (holdout.take_secrets), so the team's modules the gates import cannot read them.
    secrets: dict[str, str] = field(default_factory=dict)
    # The team's functions the gates call (capstone.hooks); built from capstone.yaml's `hooks:`
    # when not given. A missing hook is a HookError, which the report shows in one line.
    hooks: TeamHooks | None = None
    # The holdout, once a gate has scored on it (None: this check did not use it); see `holdout`.
    used_holdout: Holdout | None = None
    evidence: Evidence = field(default_factory=Evidence)
    # What to stop when the check ends (a service a gate started, ...): see on_close().
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Set by check.run_gate while a gate of stages 3-5 runs: it grades only this commit's champion.
    strict_champion: bool = False

    def __post_init__(self) -> None:
        if self.hooks is None:
            self.hooks = load_hooks(self.params.project.package, self.spec.hooks)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Call `closer` when the check ends, whatever happened (check.py calls close())."""
        self.closers.append(closer)

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    @cached_property
    def schema(self) -> DatasetSchema:
        return load_schema(self.params, self.root)

    @property
    def package(self) -> str:
        """The team's package (params.yaml project.package)."""
        return self.params.project.package

    @property
    def holdout(self) -> Holdout:
        """The hidden holdout (loaded on first use; `used_holdout` then tells the report it was used)."""
        if self.used_holdout is None:
            self.used_holdout = load_holdout(self)
        return self.used_holdout

    @cached_property
    def tracking_uri(self) -> str:
        # The same rule as the pipeline: the environment (.env, a cohort server) wins over params.yaml.
        return os.environ.get("MLFLOW_TRACKING_URI") or self.params.mlflow.tracking_uri

    @cached_property
    def mlflow(self):
        """An MlflowClient on the team's tracking store."""
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    @cached_property
    def commits(self) -> Commits:
        """Which runs belong to which commit (capstone.checkpoints.commits)."""
        return Commits(self.root)

    @property
    def champion(self):
        """The registered model version with the `champion` alias (an mlflow ModelVersion).

        While `strict_champion` is set (the gates of stages 3-5), only a champion that belongs to the
        checked-out commit is graded: another one is "not ready", in one line that says why and what to do.
        """
        champion = self.registered_champion
        if self.strict_champion and self.foreign_champion:
            raise NotReady(self.foreign_champion)
        return champion

    @cached_property
    def foreign_champion(self) -> str:
        """Why the champion is not this commit's ("" when it is, or when git cannot say)."""
        champion = self.registered_champion
        head = self.commits.resolve("HEAD")
        tags = self.mlflow.get_run(champion.run_id).data.tags
        if not head or self.commits.belongs(tags, head):
            return ""
        sha = str(tags.get("git_sha") or "unknown")[:7]
        if str(tags.get("dirty")) == "true":
            why = f"from uncommitted code (at commit {sha})"
        else:
            why = f"at commit {sha}, whose code (src/) is not this checkout's (another branch, or older code)"
        return (
            f"the champion (version {champion.version}) was trained {why}, so it says nothing of this commit: "
            "commit your code and run `make pipeline`; if register keeps that champion (it scores higher), "
            "`make fresh-mlflow` starts a new local store, as the course's checkpoint does"
        )

    @cached_property
    def registered_champion(self):
        """The model version the `champion` alias names, wherever it was trained."""
        from mlflow.exceptions import MlflowException

        name = self.params.mlflow.registered_model
        try:
            return self.mlflow.get_model_version_by_alias(name, CHAMPION_ALIAS)
        except MlflowException:
            raise NotReady(
                f"no '{CHAMPION_ALIAS}' version of the registered model {name!r} in {self.tracking_uri}; "
                "run `make pipeline` (its register stage sets the alias)"
            ) from None

    @property
    def champion_model(self):
        """The champion as a scikit-learn Pipeline (feature pipeline + estimator), as logged by train."""
        if self.strict_champion:
            self.champion  # noqa: B018 (a strict gate must not grade another commit's champion)
        return self._champion_model

    @champion_model.setter
    def champion_model(self, model) -> None:
        """A model to grade in its place (the kit's unit tests)."""
        self.__dict__["_champion_model"] = model

    @cached_property
    def _champion_model(self):
        return self.load_model(f"models:/{self.params.mlflow.registered_model}@{CHAMPION_ALIAS}")

    def load_model(self, uri: str):
        import mlflow.sklearn

        mlflow.set_tracking_uri(self.tracking_uri)
        return mlflow.sklearn.load_model(uri)

    @cached_property
    def gx(self):
        """An in-memory Great Expectations context: the gates validate without touching gx/."""
        import great_expectations as gx

        return gx.get_context(mode="ephemeral")
