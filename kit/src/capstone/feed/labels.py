"""Delayed labels: in a company, a batch's outcomes arrive one delivery later than its rows.

A churned customer is known only at the end of the next quarter, a default after months. So the
feed can deliver batch K without its target (`generate_batch(..., unlabelled=True)`, the rows as
the service sees them in production) and, later, its labels (`labels_for`): the id and the target
of every record in that delivery, one row per record, to join on the id.

One row per record means: the copies of a duplicated row are left out (the copy has its source's id
and label), and a row whose id collided with another record's (a defect) is listed under its own,
original id, because the system that records outcomes knows the real record. So every id of the
delivery finds exactly one label; labels are as recorded (label noise included) unless defects=False.
"""

import pandas as pd

from capstone.feed.defects import ROW_KINDS
from capstone.feed.domains import get_domain
from capstone.feed.generate import generate_batch


def labels_for(domain: str, rows: int, seed: int = 42, batch: int = 1, *, defects: bool = True) -> pd.DataFrame:
    """The labels of batch `batch` (made with the same domain, rows, seed and defects): id and target columns."""
    spec = get_domain(domain)
    frame, key = generate_batch(domain, rows, seed, batch, defects=defects)
    labels = frame[[spec.id_column, spec.target]].copy()
    copies = []
    for entry in key["defects"]:
        if entry["kind"] == "id_collision":
            labels.loc[entry["rows"], spec.id_column] = entry["original"]
        elif entry["kind"] in ROW_KINDS:
            copies += entry["rows"]
    return labels.drop(index=copies).reset_index(drop=True)
