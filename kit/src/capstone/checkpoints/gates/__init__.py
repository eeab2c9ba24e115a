"""The automatic gates: one module per gate, named after its id (`data-tracked` is data_tracked.py).

Each module holds the gate's advice (ADVICE, the text of its failures, at the top) and its
measuring function, registered with @gate("<id>"). capstone.checkpoints.registry.load_all() imports
every module of this package, so a new gate is one new file here plus one entry in capstone.yaml.
What several gates measure alike lives in capstone.checkpoints.probes (pure measurements) and
evidence / runs / service / versioning (the loaders).
"""

# For callers of the first layout (`from capstone.checkpoints.gates import load_all`).
from capstone.checkpoints.registry import REGISTRY, Outcome, gate, load_all, threshold

__all__ = ["REGISTRY", "Outcome", "gate", "load_all", "threshold"]
