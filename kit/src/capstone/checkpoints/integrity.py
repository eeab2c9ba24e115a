"""The gate every stage runs: the files the mentors own are as the mentors approved them."""

from capstone.checkpoints.gates import Outcome, gate
from capstone.checkpoints.manifest import MANIFEST, differences


@gate("integrity")
def integrity(context, thresholds) -> Outcome:
    try:
        found = differences(context.root)
    except (OSError, ValueError) as problem:
        return Outcome(
            False,
            f"{MANIFEST} is missing or unreadable",
            "the manifest written at bake time",
            f"{problem}. Ask a mentor to restore it (it is written when the repository is baked).",
        )
    lines = [f"- {kind}: `{name}`" for kind, names in found.items() for name in names]
    if not lines:
        return Outcome(True, "capstone.yaml, .github/ and docs/stages/ as approved", "no unapproved change")
    return Outcome(
        False,
        f"{len(lines)} mentor-owned file(s) changed without approval",
        "no unapproved change",
        "These files belong to the mentors (.github/CODEOWNERS):\n"
        + "\n".join(lines)
        + "\n\nUndo the change (`git checkout origin/main -- <file>`), or ask a mentor to approve it: "
        "they run `capstone approve` and commit .github/capstone-manifest.json with the change.",
    )
