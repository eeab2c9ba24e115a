"""latency-budget (stage 5): the 95th percentile of single-record predictions is within the budget.

The requests go to the same running service as service-contract, one after the other, each with one
record of the example request (a new connection each time, as a simple client does). A few warm-up
requests come first. p95 is the nearest-rank percentile of `requests` timings (probes.percentile).
"""

import json
import time

from capstone.checkpoints import service
from capstone.checkpoints.probes import percentile
from capstone.checkpoints.registry import Outcome, gate, threshold
from capstone.checkpoints.server import ServiceDown

WARMUP_REQUESTS = 3  # the first predictions pay for lazy imports and caches: not what a client sees
ADVICE = dict(
    errors="Single-record predictions must succeed before their speed counts. First failure: `{first}`",
    slow=(
        "One prediction takes too long. Profile `predict` in src/{package}/serving/service.py and the "
        "model's pipeline: heavy features, a large ensemble, or work done per request that could be done "
        "once in `__init__`."
    ),
)


@gate("latency-budget")
def latency_budget(context, thresholds) -> Outcome:
    budget = threshold(thresholds, "p95_ms", 300)
    count = max(1, int(threshold(thresholds, "requests", 50)))
    example, _ = service.example_and_contract(context)
    try:
        running = service.running_service(context)
    except ServiceDown as problem:
        return service.service_down(problem, context)
    key = next(iter(example))
    bodies = [json.dumps({key: [record]}).encode() for record in example[key]]
    for index in range(WARMUP_REQUESTS):
        running.post("/predict", bodies[index % len(bodies)])
    timings, errors = [], []
    for index in range(count):
        started = time.perf_counter()
        status, body = running.post("/predict", bodies[index % len(bodies)])
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors.append(f"{status}: {body[:200]}")
    p95 = percentile(timings, 95)
    measured = f"p95 {p95:.0f} ms over {count} requests (median {percentile(timings, 50):.0f} ms)"
    expected = f"at most {budget:g} ms"
    if errors:
        return Outcome(
            False, f"{len(errors)} of {count} requests failed", expected, ADVICE["errors"].format(first=errors[0])
        )
    if p95 > budget:
        return Outcome(False, measured, expected, ADVICE["slow"].format(package=context.package))
    return Outcome(True, measured, expected)
