"""service-contract (stage 5): the running service answers a valid request correctly and refuses
malformed ones with 4xx.

The server is the real one (`make serve`), reached over HTTP like any client. A valid request
(reports/example_request.json) must get 200 and one prediction per record: the class and each
class's probability for a classifier, a finite estimate for a regressor (probes.answer_problems).
Each malformed request (probes.malformed_requests) must get a 4xx answer whose body names the field
at fault, so the client can fix it; a 5xx means the service crashed on a client's mistake.
"""

import json

from capstone.checkpoints import service
from capstone.checkpoints.probes import answer_problems, malformed_requests, names_field
from capstone.checkpoints.registry import Outcome, gate
from capstone.checkpoints.server import ServiceDown

EXPECTED = "right shape; 4xx naming the field for each malformed request"
ADVICE = dict(
    refused=(
        "The service refused or failed a valid request ({example}). Check {serving}service.py; "
        "`make serve` then `make predict-example` shows the same. The answer was:\n\n```\n{body}\n```"
    ),
    bad_shape="The answer to the valid example request has the wrong shape",
    mishandled="Malformed requests must get 4xx naming the field, never 5xx",
    fix="{first}: check the request and answer classes in {serving}contract.py and service.py.\n\n{lines}",
    not_4xx="- {problem}: got **{status}**, expected 4xx. The answer: `{body}`",
    unnamed="- {problem}: got {status}, but the answer does not name `{field}`",
)


@gate("service-contract")
def service_contract(context, thresholds) -> Outcome:
    example, contract = service.example_and_contract(context)
    try:
        running = service.running_service(context)
    except ServiceDown as problem:
        return service.service_down(problem, context)
    serving = f"src/{context.package}/serving/"
    status, body = running.post("/predict", json.dumps(example).encode())
    if status != 200:
        return Outcome(
            False,
            f"the example request got {status}",
            "200 and one prediction per record",
            ADVICE["refused"].format(example=service.EXAMPLE, serving=serving, body=body[:800]),
        )
    records = next(iter(example.values()))
    try:
        answer = json.loads(body)
    except json.JSONDecodeError:
        answer = body
    shape = answer_problems(answer, records, contract)
    probes = malformed_requests(example, contract)
    failures = []
    for probe in probes:
        status, body = running.post("/predict", probe.body)
        if not 400 <= status < 500:
            failures.append(ADVICE["not_4xx"].format(problem=probe.problem, status=status, body=body[:200]))
        elif probe.field and not names_field(body, probe.field):
            failures.append(ADVICE["unnamed"].format(problem=probe.problem, status=status, field=probe.field))
    if shape or failures:
        return Outcome(
            False,
            f"{len(shape)} answer problem(s), {len(failures)} malformed request(s) mishandled",
            EXPECTED,
            ADVICE["fix"].format(
                first=ADVICE["bad_shape"] if shape else ADVICE["mishandled"],
                serving=serving,
                lines="\n".join([f"- {problem}" for problem in shape] + failures),
            ),
        )
    return Outcome(
        True,
        f"200 with the right shape; {len(probes)} malformed requests got 4xx",
        "right shape; 4xx naming the field",
    )
