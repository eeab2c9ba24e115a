"""What the gates share: the settings, the dataset schema, the team's modules and the champion.

Everything heavy (MLflow, the champion model, the holdout) is loaded on first use and then kept,
so `capstone check all` loads the champion once for the gates of stages 3, 4 and 5.
"""

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from capstone.config import CapstoneSpec, Params
from capstone.dataset import DatasetSchema, load_schema

CHAMPION_ALIAS = "champion"


class NotReady(Exception):
    """Something a gate needs does not exist yet (no champion, no bento...); the message says what to run."""


@dataclass
class Context:
    root: Path
    params: Params
    spec: CapstoneSpec
    # What to stop when the check ends (a service a gate started, ...): see on_close().
    closers: list[Callable[[], None]] = field(default_factory=list)
    # The mentors' holdout secrets, taken out of the environment before any team code runs
    # (holdout.take_secrets), so the team's modules the gates import cannot read them.
    secrets: dict[str, str] = field(default_factory=dict)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Call `closer` when the check ends, whatever happened (check.py calls close())."""
        self.closers.append(closer)

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    @cached_property
    def schema(self) -> DatasetSchema:
        return load_schema(self.params, self.root)

    def team(self, module: str):
        """The team's module `module` (for example "data.clean"), whatever their package is called."""
        return importlib.import_module(f"{self.params.project.package}.{module}")

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
    def champion(self):
        """The registered model version with the `champion` alias (an mlflow ModelVersion)."""
        from mlflow.exceptions import MlflowException

        name = self.params.mlflow.registered_model
        try:
            return self.mlflow.get_model_version_by_alias(name, CHAMPION_ALIAS)
        except MlflowException:
            raise NotReady(
                f"no '{CHAMPION_ALIAS}' version of the registered model {name!r} in {self.tracking_uri}; "
                "run `make pipeline` (its register stage sets the alias)"
            ) from None

    @cached_property
    def champion_model(self):
        """The champion as a scikit-learn Pipeline (feature pipeline + estimator), as logged by train."""
        return self.load_model(f"models:/{self.params.mlflow.registered_model}@{CHAMPION_ALIAS}")

    def load_model(self, uri: str):
        import mlflow.sklearn

        mlflow.set_tracking_uri(self.tracking_uri)
        return mlflow.sklearn.load_model(uri)

    @cached_property
    def holdout(self):
        from capstone.checkpoints.holdout import load_holdout

        return load_holdout(self)
