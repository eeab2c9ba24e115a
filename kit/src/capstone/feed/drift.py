"""Drift: how later deliveries (batches) of the feed differ from the first one.

Company data changes over time: a new product appears, prices rise, one source system switches a
unit or a date format, or the world changes what drives the outcome (concept drift: the inputs
look the same, the relation between one or two of them and the target does not). Each domain lists
its drift events with the batch they start in; the domain's generator applies them (look for
"drift" in domains/*.py), and the answer key records the events that are active in a batch.
A concept_drift event names its main column in `column` and every column involved in
params["columns"]; params["before"] and params["after"] say how the target's formula changed.
concept.py measures what it costs a model trained on batch 1.
"""

from dataclasses import dataclass, field

# The kinds of drift.
KINDS = {
    "new_category": "a category value that earlier batches never had",
    "distribution_shift": "a column's distribution moves (grows with every batch)",
    "unit_change": "a source system starts sending a column in another unit, under the same name",
    "format_change": "a column arrives in another text format",
    "concept_drift": "the relation between one or two columns and the target changes; the inputs look the same",
}


@dataclass(frozen=True)
class DriftEvent:
    kind: str
    column: str
    from_batch: int
    description: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"drift on {self.column}: unknown kind {self.kind!r}")


def active(events: tuple[DriftEvent, ...], batch: int) -> list[DriftEvent]:
    """The drift events present in delivery `batch` (an event stays once it has started)."""
    return [event for event in events if batch >= event.from_batch]


def growth(batch: int, per_batch: float) -> float:
    """A multiplier that grows by `per_batch` (0.05 = 5 %) with every batch after the first."""
    return (1.0 + per_batch) ** (batch - 1)


def key_entries(events: tuple[DriftEvent, ...], batch: int) -> list[dict]:
    """The drift part of the answer key."""
    return [
        dict(
            kind=event.kind,
            column=event.column,
            from_batch=event.from_batch,
            description=event.description,
            params=dict(event.params),
        )
        for event in active(events, batch)
    ]
