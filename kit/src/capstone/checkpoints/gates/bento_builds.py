"""bento-builds (stage 5): the bento that reports/bento.json names is in the store, serves the
champion and this commit's code.

Why: `make serve` and the deployment serve that bento, not the source tree. A bento built before the
champion moved, or before the code changed, would put another model or other code in production.
"""

from capstone.checkpoints import service
from capstone.checkpoints.registry import Outcome, gate

ADVICE = dict(
    no_model=(
        "The bento's service has no model to load. Rebuild it with `make pipeline`: "
        "its bento stage imports the champion, then builds it."
    ),
    other_model=(
        "The champion moved after the bento was built (or the bento was built from another model). "
        "Rebuild it: `make pipeline` (its bento stage imports the current champion)."
    ),
    old_code=(
        "The bento was built before these files changed, so it would not serve this commit's code. "
        "Rebuild it with `make pipeline` (or `dvc repro bento`), then commit dvc.lock:\n\n{files}"
    ),
)


@gate("bento-builds")
def bento_builds(context, thresholds) -> Outcome:
    # First, start the service for service-contract: it gets ready while this gate loads MLflow.
    service.start_service(context)
    bento = service.read_bento(context)
    missing = [model.tag for model in bento.models if not model.in_store]
    if not bento.models or missing:
        return Outcome(
            False,
            f"bento {bento.tag} lacks its model ({', '.join(missing) or 'none listed'})",
            "the champion's model in the store",
            ADVICE["no_model"],
        )
    champion = context.champion
    served = {model.registered_as for model in bento.models}
    if (champion.name, str(champion.version)) not in served:
        shown = ", ".join(f"{name or '?'} version {version or '?'}" for name, version in sorted(served))
        return Outcome(
            False,
            f"bento {bento.tag} serves {shown}",
            f"the champion, {champion.name} version {champion.version}",
            ADVICE["other_model"],
        )
    changed = service.changed_sources(context, bento)
    if changed:
        return Outcome(
            False,
            f"bento {bento.tag} holds older code: {len(changed)} file(s) differ",
            "the code of this commit",
            ADVICE["old_code"].format(files="\n".join(f"- `{name}`" for name in changed[:10])),
        )
    return Outcome(True, f"bento {bento.tag}, champion version {champion.version}, this commit's code")
