"""The stage 5 evidence: the bento in the project's BentoML store, and the running service.

The gates that send requests (service-contract, latency-budget, contract-tests) share one server:
the first gate that needs it starts it (BentoML takes about 16 s to be ready), and the checkpoint
stops it when it ends (Context.on_close). bento-builds starts it in the background before anything
else, so the start-up overlaps the loading of MLflow and the champion.
"""

from __future__ import annotations

import atexit
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from capstone.checkpoints.registry import NotReady, Outcome
from capstone.checkpoints.server import SERVE_LOG, STORE, Service, ServiceDown

if TYPE_CHECKING:
    from capstone.checkpoints.context import Context

BENTO_REPORT = Path("reports/bento.json")  # written by the pipeline's bento stage
CONTRACT = Path("reports/input_schema.json")  # the input contract the bento was built with
EXAMPLE = Path("reports/example_request.json")  # a valid request of real rows

# What the service gates say when the service does not start ({problem}, {package}).
SERVICE_DOWN = (
    "The service of the bento in {report} could not be served: {problem}\n\n"
    "Try it yourself: `make serve`. The service is in src/{package}/serving/."
)


# --- the bento in the store -----------------------------------------------------------------------


@dataclass(frozen=True)
class BentoModel:
    """A BentoML model the bento's service loads."""

    tag: str
    in_store: bool
    registered_as: tuple[str, str] = ("", "")  # (registered model, version) it was imported from


@dataclass(frozen=True)
class Bento:
    """What the gates read of the bento that reports/bento.json names."""

    tag: str
    path: Path
    labels: dict[str, str]
    models: list[BentoModel] = field(default_factory=list)


def bentoml_module(context: Context):
    """bentoml, looking at the project's store: the same defaults as the pipeline's bento and serve stages."""
    os.environ.setdefault("BENTOML_HOME", str(context.root / STORE))
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    import bentoml

    return bentoml


def bento_tag(context: Context) -> str:
    """The tag reports/bento.json names; NotReady when no bento was built."""
    path = context.root / BENTO_REPORT
    if not path.is_file():
        raise NotReady(f"{BENTO_REPORT} is missing: no bento was built yet; run `make pipeline`")
    return json.loads(path.read_text(encoding="utf-8"))["tag"]


def read_bento(context: Context) -> Bento:
    """The bento that reports/bento.json names, from the store; NotReady when it is not there."""
    bentoml = bentoml_module(context)
    from bentoml.exceptions import NotFound

    tag = bento_tag(context)
    try:
        bento = bentoml.bentos.get(tag)
    except NotFound:
        raise NotReady(
            f"{BENTO_REPORT} names the bento {tag}, but the BentoML store ({os.environ['BENTOML_HOME']}) "
            "does not have it; run `make pipeline` to build it again"
        ) from None
    models = []
    for model in (model for service in bento.info.services for model in service.models):
        try:
            labels = bentoml.models.get(model.tag).info.labels
        except NotFound:
            models.append(BentoModel(str(model.tag), in_store=False))
            continue
        registered = (labels.get("mlflow_model", ""), labels.get("mlflow_version", ""))
        models.append(BentoModel(str(model.tag), in_store=True, registered_as=registered))
    return Bento(str(bento.tag), Path(bento.path), dict(bento.info.labels), models)


def changed_sources(context: Context, bento: Bento) -> list[str]:
    """Python files of src/<package>/ that differ from (or are missing in) the bento's copy."""
    package = context.params.project.package
    here, packed = context.root / "src" / package, bento.path / "src" / package
    changed = []
    for path in sorted(here.rglob("*.py")):
        relative = path.relative_to(here)
        copy = packed / relative
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            changed.append(f"src/{package}/{relative.as_posix()}")
    return changed


def example_and_contract(context: Context) -> tuple[dict, dict]:
    """The example request and the input contract the bento stage wrote; NotReady when they are missing."""
    for path in (EXAMPLE, CONTRACT):
        if not (context.root / path).is_file():
            raise NotReady(f"{path} is missing; run `make pipeline` (its bento stage writes it)")
    example = json.loads((context.root / EXAMPLE).read_text(encoding="utf-8"))
    contract = json.loads((context.root / CONTRACT).read_text(encoding="utf-8"))
    return example, contract


# --- the running service --------------------------------------------------------------------------


def start_service(context: Context) -> Service:
    """Start the service in the background, once per checkpoint; it is stopped when the check ends.

    bento-builds calls this as soon as it has found the bento, so that BentoML's start-up (about
    16 s, mostly imports) runs while the gates load MLflow and the champion on the other core.
    """
    if context.evidence.service is not None:
        return context.evidence.service
    bento_tag(context)  # NotReady when nothing was built: say "run make pipeline", not a server error
    service = Service.start(context.root, context.params.project.package)
    context.on_close(service.stop)
    atexit.register(service.stop)  # also when a gate is called on its own, outside a check
    context.evidence.service = service
    return service


def running_service(context: Context) -> Service:
    """The started service, once it is ready; the gates that send requests share it.

    Raises ServiceDown, with the end of the server's log, when it does not get ready. The failure is
    remembered, so the next gate does not wait for it again.
    """
    service = start_service(context)
    if service.failure is None and not service.ready:
        try:
            service.wait_ready()
            service.ready = True
        except ServiceDown as problem:
            service.stop()
            service.failure = ServiceDown(
                f"{problem}. `make serve` fails the same way; its log ({SERVE_LOG}) ends with:\n\n"
                f"```\n{service.log_tail()}\n```"
            )
    if service.failure is not None:
        raise service.failure
    return service


def service_down(problem: ServiceDown, context: Context) -> Outcome:
    """The failed Outcome of a gate that needed the service and could not get it."""
    return Outcome(
        False,
        "the service did not start",
        "ready (GET /readyz answers 200)",
        SERVICE_DOWN.format(report=BENTO_REPORT, problem=problem, package=context.params.project.package),
    )
