"""integrity (every stage): the files the mentors own are as the mentors approved them.

capstone.yaml, .github/ and docs/stages/ are compared with the SHA-256 manifest written at bake time
(.github/capstone-manifest.json, capstone.checkpoints.manifest).
"""

from capstone.checkpoints.manifest import MANIFEST, differences
from capstone.checkpoints.registry import Outcome, gate

EXPECTED = "no unapproved change"
ADVICE = dict(
    unreadable="{problem}. Ask a mentor to restore it (it is written when the repository is baked).",
    changed=(
        "These files belong to the mentors (.github/CODEOWNERS):\n{files}\n\n"
        "Undo the change (`git checkout origin/main -- <file>`), or ask a mentor to approve it: "
        "they run `capstone approve` and commit .github/capstone-manifest.json with the change."
    ),
)


@gate("integrity")
def integrity(context, thresholds) -> Outcome:
    try:
        found = differences(context.root)
    except (OSError, ValueError) as problem:
        return Outcome(
            False,
            f"{MANIFEST} is missing or unreadable",
            "the manifest written at bake time",
            ADVICE["unreadable"].format(problem=problem),
        )
    lines = [f"- {kind}: `{name}`" for kind, names in found.items() for name in names]
    if not lines:
        return Outcome(True, "capstone.yaml, .github/ and docs/stages/ as approved", EXPECTED)
    return Outcome(
        False,
        f"{len(lines)} mentor-owned file(s) changed without approval",
        EXPECTED,
        ADVICE["changed"].format(files="\n".join(lines)),
    )
