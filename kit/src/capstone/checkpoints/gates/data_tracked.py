"""data-tracked (stage 1): the raw data is versioned, shared and current, and kept out of git.

The five things `dvc` and git must say yes to:
1. not in git: git holds no file of the outputs DVC versions (data/raw, data/clean, ...). A
   `git add -A` before DVC ignored them commits the data; DVC then refuses to run ("output is
   already tracked by SCM"). The template's data/.gitignore ignores them from the start;
2. tracked: the committed dvc.lock lists data/raw with an md5 (a teammate or CI checking out
   the branch knows exactly which data version it is);
3. remote: a default remote is set in .dvc/config (committed, so everyone pushes to one place);
4. pushed: every file of that data version is in the remote (`dvc status --cloud`, through
   DVC's Python API in this process: no second 1-2 s DVC start-up, only data/raw looked up);
5. up to date: `dvc status` is clean, so the outputs are what the code and params.yaml make.
"""

from capstone.checkpoints import versioning
from capstone.checkpoints.registry import Outcome, gate
from capstone.checkpoints.text import detail_text
from capstone.checkpoints.versioning import RAW_OUT

BRIEF = "docs/stages/1-data.md"
EXPECTED = "not in git, tracked, remote set, pushed, up to date"
# Each problem: (what is wrong, what to run). The first one found leads the detail.
ADVICE = dict(
    in_git=(
        "git holds {count} file(s) of {outs}, which DVC versions (e.g. `{example}`)",
        "`git rm -r --cached {outs}`, then `git commit -m 'Keep the data out of git'` "
        "(data/.gitignore keeps it out from then on)",
    ),
    tracked=(
        f"the committed dvc.lock has no md5 for {RAW_OUT} (the data is not tracked)",
        "`make pipeline`, commit dvc.lock (`git add dvc.lock data/.gitignore && git commit`), then `make push`",
    ),
    uncommitted=(
        f"the workspace's dvc.lock tracks {RAW_OUT}, but it is not committed",
        "`git add dvc.lock && git commit`, then `make push` (the pipeline has run: no need to run it again)",
    ),
    remote=(
        "no default DVC remote is set in .dvc/config",
        "`dvc remote add -d <name> <url>` (without `--local`), then commit .dvc/config",
    ),
    remote_unreadable=(
        "the remote `{remote}` could not be read ({problem})",
        "`dvc remote list` to check its URL and credentials, then `make push`",
    ),
    unpushed=(
        "{count} file(s) of {raw} are not in the remote `{remote}` (e.g. `{example}`){unreachable}",
        "`make push`",
    ),
    stale=(
        "`dvc status` is not clean: stage(s) {stages} changed",
        "`make pipeline`, then commit dvc.lock (and `make push`)",
    ),
    first="{What}: run {fix}.",
    item="- {name}: {what}: run {fix}.",
    brief=f"See {BRIEF} (Deliverables).",
    not_shared=(
        "The DVC remote is the folder {url} on this machine: the data is versioned, but a teammate cannot "
        "`make pull` it from there. For a team, use the cohort's remote or one of your own (an S3 bucket, "
        'a shared drive): see docs/stages/1-data.md, "A remote the team shares".'
    ),
    local_only=(
        "The DVC remote is a folder on your machine{where}, so CI cannot see whether the data "
        "was pushed: run `make check STAGE=1` locally before the PR. A shared remote (an S3 bucket or a "
        "shared folder) lets CI check it."
    ),
)


@gate("data-tracked")
def data_tracked(context, thresholds) -> Outcome:
    from dvc.repo import Repo

    committed, workspace = versioning.data_versions(context.root)
    with Repo(str(context.root)) as repo:
        problems = {"not in git": git_problem(context.root, repo)}
        problems.update(tracked=tracking_problem(committed, workspace), remote=remote_problem(repo))
        # pushed only means something for a committed data version and a remote
        checkable = not (problems["tracked"] or problems["remote"])
        # A remote that is a folder on a team laptop cannot be seen from a GitHub runner: say so
        # instead of failing every stage-1 PR; a shared remote (docs: Running a cohort) is checked.
        remote = versioning.default_remote(repo)
        local_only = checkable and versioning.on_github_actions() and versioning.unreachable(repo, remote)
        checkable = checkable and not local_only
        problems["pushed"] = push_problem(repo, in_workspace=committed == workspace) if checkable else None
        problems["up to date"] = status_problem(repo)
        folder = versioning.local_folder(repo, remote)
    failed = {name: problem for name, problem in problems.items() if problem}
    passed = len(problems) - len(failed) - (0 if checkable else 1)
    measured = f"{passed} of {len(problems)} checks pass"
    if not failed and local_only:
        return Outcome(
            True,
            measured + " (pushed: not checkable on CI)",
            EXPECTED,
            ADVICE["local_only"].format(where=local_only),
        )
    if not failed:
        return Outcome(True, measured, EXPECTED, ADVICE["not_shared"].format(url=folder) if folder else "")
    measured += f" (failed: {', '.join(failed)}" + ("" if checkable else "; pushed not checked") + ")"
    what, fix = next(iter(failed.values()))
    items = [ADVICE["item"].format(name=name, what=what, fix=fix) for name, (what, fix) in failed.items()]
    return Outcome(
        False,
        measured,
        EXPECTED,
        detail_text(
            ADVICE["first"].format(What=what[:1].upper() + what[1:], fix=fix),
            items if len(items) > 1 else [],
            ADVICE["brief"],
        ),
    )


def git_problem(root, repo) -> tuple[str, str] | None:
    """Which files of DVC's outputs git holds, or None when it holds none."""
    outs = versioning.cached_outs(repo)
    files = versioning.in_git(root, outs)
    if not files:
        return None
    held = " ".join(out for out in outs if any(name == out or name.startswith(out + "/") for name in files))
    what, fix = ADVICE["in_git"]
    return what.format(count=len(files), outs=held, example=files[0]), fix.format(outs=held)


def tracking_problem(committed: str | None, workspace: str | None = None) -> tuple[str, str] | None:
    """Why no data version of data/raw is committed, or None when one is."""
    if committed is not None:
        return None
    return ADVICE["uncommitted"] if workspace is not None else ADVICE["tracked"]


def remote_problem(repo) -> tuple[str, str] | None:
    return ADVICE["remote"] if versioning.default_remote(repo) is None else None


def push_problem(repo, in_workspace: bool) -> tuple[str, str] | None:
    remote = versioning.default_remote(repo)
    try:
        missing = versioning.unpushed(repo, in_workspace)
    except Exception as problem:  # noqa: BLE001 (a cloud remote fails in many ways: say which, in one line)
        first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
        what, fix = ADVICE["remote_unreadable"]
        return what.format(remote=remote, problem=first_line), fix
    if not missing:
        return None
    what, fix = ADVICE["unpushed"]
    where = versioning.unreachable(repo, remote)
    return what.format(count=len(missing), raw=RAW_OUT, remote=remote, example=missing[0], unreachable=where), fix


def status_problem(repo) -> tuple[str, str] | None:
    names = versioning.stale_stages(repo)
    if not names:
        return None
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    what, fix = ADVICE["stale"]
    return what.format(stages=shown), fix
