"""The gate registry: every automatic gate in capstone.yaml is one function registered here by its id.

A gate function takes the shared Context and the gate's thresholds from capstone.yaml, measures one
thing, and returns an Outcome. It never prints and never exits: check.py does the reporting, and a
gate that raises is reported as failed with the error (so one broken gate cannot hide the others).

    @gate("data-tracked")
    def data_tracked(context, thresholds) -> Outcome: ...
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a gate measured.

    passed:   whether the gate passes.
    measured: the measured value, short ("0.93 of the catalogued defects fixed").
    expected: the threshold it was held against, short ("at least 0.90"); "" when it is a yes/no check.
    detail:   what failed and what to do, in a few lines of Markdown ("" when there is nothing to add).
    """

    passed: bool
    measured: str
    expected: str = ""
    detail: str = ""


GateFunction = Callable[..., Outcome]
REGISTRY: dict[str, GateFunction] = {}


def gate(gate_id: str) -> Callable[[GateFunction], GateFunction]:
    """Register the decorated function as the implementation of the gate `gate_id`."""

    def register(function: GateFunction) -> GateFunction:
        if gate_id in REGISTRY:
            raise ValueError(f"gate {gate_id!r} is registered twice")
        REGISTRY[gate_id] = function
        return function

    return register


def load_all() -> dict[str, GateFunction]:
    """Import every stage module so its gates register themselves; returns the registry."""
    from capstone.checkpoints import (  # noqa: F401 (imported for their @gate side effect)
        contract_tests,
        data,
        deployment,
        experiments,
        features,
        integrity,
        validation,
    )

    return REGISTRY


def threshold(thresholds: dict, name: str, default: float) -> float:
    """A numeric threshold from capstone.yaml, or `default` when the mentors did not set one."""
    return float(thresholds.get(name, default))
