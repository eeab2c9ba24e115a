"""The gate registry: every automatic gate in capstone.yaml is one function registered here by its id.

A gate function takes the shared Context and the gate's thresholds from capstone.yaml, measures one
thing, and returns an Outcome. It never prints and never exits: check.py does the reporting, and a
gate that raises is reported as failed with the error (so one broken gate cannot hide the others).

Each gate lives in a module of its own in the package capstone.checkpoints.gates (one file per gate,
named after its id: gates/data_tracked.py for `data-tracked`). load_all() imports every module of
that package, so adding a gate is adding one file there and one entry in capstone.yaml:

    @gate("data-tracked")
    def data_tracked(context, thresholds) -> Outcome: ...

This module imports nothing from the gate modules (they import it).
"""

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

GATES_PACKAGE = "capstone.checkpoints.gates"


@dataclass(frozen=True)
class Outcome:
    """What a gate measured.

    passed:   whether the gate passes.
    measured: the measured value, short ("0.93 of the catalogued defects fixed").
    expected: the threshold it was held against, short ("at least 0.90"); "" when it is a yes/no check.
    detail:   what failed and what to do, in a few lines of Markdown ("" when there is nothing to add).
    values:   the measurement as numbers, for the gradebook ({"champion": 0.87, ...}); most gates leave it empty.
    """

    passed: bool
    measured: str
    expected: str = ""
    detail: str = ""
    values: dict[str, float | str] = field(default_factory=dict)


class NotReady(Exception):
    """Something a gate needs does not exist yet (no champion, no bento...); the message says what to run."""


class MentorsProblem(Exception):
    """What the gate needs from the mentors is unusable (their holdout file): the gate is left to a mentor."""


GateFunction = Callable[..., Outcome]
REGISTRY: dict[str, GateFunction] = {}


def gate(gate_id: str) -> Callable[[GateFunction], GateFunction]:
    """Register the decorated function as the implementation of the gate `gate_id`."""

    def register(function: GateFunction) -> GateFunction:
        known = REGISTRY.get(gate_id)
        if known is not None and _where(known) != _where(function):
            raise ValueError(f"gate {gate_id!r} is registered twice ({_where(known)} and {_where(function)})")
        REGISTRY[gate_id] = function
        return function

    return register


def _where(function: GateFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def load_all() -> dict[str, GateFunction]:
    """Import every module of capstone.checkpoints.gates so its gate registers itself; returns the registry."""
    package = importlib.import_module(GATES_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{GATES_PACKAGE}.{module.name}")
    return REGISTRY


def threshold(thresholds: dict, name: str, default: float) -> float:
    """A numeric threshold from capstone.yaml, or `default` when the mentors did not set one."""
    return float(thresholds.get(name, default))


def one_thread(function: GateFunction) -> GateFunction:
    """Run a gate with one BLAS/OpenMP thread, as the pipeline's model stages do (pipeline/runtime.py).

    Measured on a busy 2-core machine: the canary took 52 s with gradient boosting's OpenMP threads
    waiting for each other, and 1 s with one thread; predictions are 3 to 4 times quicker too.
    """

    @functools.wraps(function)
    def limited(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return limited
