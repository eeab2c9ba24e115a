"""integrity (every stage): a change to the files the mentors own has a code owner's approving review.

capstone.yaml, .github/ and docs/stages/ are the course's spec. On a pull request (CI mode: the
checkpoint sets CAPSTONE_PR_NUMBER and CAPSTONE_BASE_SHA) each changed one needs an approving review
from one of its code owners, as the base's .github/CODEOWNERS names them; the reviews are read from
GitHub (capstone.checkpoints.approval). Locally there is no review to read: a change on the branch
fails, saying that the CI checkpoint checks the review on the pull request. No file the team can
write counts as an approval.
"""

from capstone.checkpoints import approval
from capstone.checkpoints.registry import Outcome, gate
from capstone.checkpoints.text import bulleted

EXPECTED = "no change to mentor-owned files without a code owner's approving review"
ADVICE = dict(
    unchanged="no mentor-owned file changed in pull request #{number}",
    approved="{count} mentor-owned file(s) changed, approved by a code owner: {who}",
    approved_files="{files} approved by {owners}",
    changed="{count} mentor-owned file(s) changed without a code owner's approval",
    needs="{count} mentor-owned files need an approving review from one of their code owners:",
    file="`{name}` needs an approving review from a code owner: {owners}",
    no_owner="`{name}` needs an approving review from a code owner, but the base's .github/CODEOWNERS names none",
    owners="The code owners are those of .github/CODEOWNERS on the base branch (not the pull request's copy).",
    notes="Reviews that do not count:",
    undo=(
        "Ask a code owner to review the pull request and approve it, or undo the change "
        "(`git checkout origin/main -- <file>`). An approval counts for the commit it approves: "
        "a later change to these files needs a new one."
    ),
    unconfigured=(
        "this job grades a pull request, but CAPSTONE_PR_NUMBER and CAPSTONE_BASE_SHA are not set: the checkpoint "
        "workflow must set them (and GITHUB_TOKEN with pull-requests: read) so the mentors' review can be checked"
    ),
    unchecked="the approval could not be checked",
    github="a GitHub API call failed",
    local_unchanged="no mentor-owned file changed on this branch ({compared})",
    local_nothing="{compared}",
    local_changed="{count} mentor-owned file(s) changed on this branch ({compared})",
    local=(
        "{files} changed: a change to the mentors' files needs a mentor's approving review. The CI checkpoint "
        "checks the review on the pull request; a local check cannot see reviews, so it fails while the change is "
        "on the branch."
    ),
    local_undo="If the change was not meant, undo it: `git checkout {base} -- <file>`.",
)


@gate("integrity")
def integrity(context, thresholds) -> Outcome:
    try:
        pull_request = approval.PullRequest.from_environment()
        if pull_request is not None:
            return on_pull_request(context.root, pull_request)
        if approval.grading_a_pull_request(context.root):
            raise approval.ApprovalError(ADVICE["unconfigured"])
        return on_branch(context.root)
    except approval.GitHubError as problem:
        return Outcome(False, ADVICE["github"], EXPECTED, str(problem))
    except approval.ApprovalError as problem:
        return Outcome(False, ADVICE["unchecked"], EXPECTED, str(problem))


def on_pull_request(root, pull_request: approval.PullRequest, github: approval.GitHub | None = None) -> Outcome:
    """CI mode: every changed mentor-owned file approved by one of its code owners."""
    found = approval.check_pull_request(root, pull_request, github)
    if not found.changed:
        return Outcome(True, ADVICE["unchanged"].format(number=pull_request.number), EXPECTED)
    if found.approved:
        groups: dict[tuple[str, ...], list[str]] = {}
        for name in found.changed:
            groups.setdefault(tuple(found.approved_by[name]), []).append(name)
        who = "; ".join(
            ADVICE["approved_files"].format(files=", ".join(names), owners=", ".join(owners))
            for owners, names in groups.items()
        )
        return Outcome(True, ADVICE["approved"].format(count=len(found.changed), who=who), EXPECTED)
    lines = [
        ADVICE["file"].format(name=name, owners=", ".join(found.owners[name]))
        if found.owners[name]
        else ADVICE["no_owner"].format(name=name)
        for name in found.missing
    ]
    first = lines[0] if len(lines) == 1 else ADVICE["needs"].format(count=len(lines))
    notes = f"{ADVICE['notes']}\n{bulleted(found.notes)}" if found.notes else ""
    listed = bulleted(lines) if len(lines) > 1 else ""
    detail = "\n\n".join(part for part in (first, listed, notes, ADVICE["owners"], ADVICE["undo"]) if part)
    return Outcome(False, ADVICE["changed"].format(count=len(found.missing)), EXPECTED, detail)


def on_branch(root) -> Outcome:
    """Local mode: no review to read, so a change on the branch fails and says where it is checked."""
    found = approval.local_changes(root)
    if found.base is None:
        return Outcome(True, ADVICE["local_nothing"].format(compared=found.compared), EXPECTED)
    if not found.changed:
        return Outcome(True, ADVICE["local_unchanged"].format(compared=found.compared), EXPECTED)
    files = ", ".join(f"`{name}`" for name in found.changed)
    detail = "\n\n".join([ADVICE["local"].format(files=files), ADVICE["local_undo"].format(base=found.base[:7])])
    return Outcome(
        False, ADVICE["local_changed"].format(count=len(found.changed), compared=found.compared), EXPECTED, detail
    )
