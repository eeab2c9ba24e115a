"""`make serve`: serve the champion on 127.0.0.1 until Ctrl-C.

    python -m <package>.serving.serve            # the bento the pipeline built (reports/bento.json)
    python -m <package>.serving.serve --source   # service.py as it is now, without a new bento

The port is $PORT, else serve.port in params.yaml. This process becomes `bentoml serve` itself
(os.execv), so its PID is the server's: Ctrl-C, or `kill <pid>`, stops it and its worker.

The request log's settings (serve.request_log) are checked here and handed to the service, with the
path made absolute against this folder, in $CAPSTONE_REQUEST_LOG (capstone.requestlog): BentoML runs
the worker in the bento's folder. Set that variable to `off`, or to a file, to override them.
"""

import json
import os
import sys
from pathlib import Path

from capstone import requestlog
from capstone.config import ConfigError, load_params
from capstone.pipeline.runtime import THREAD_VARIABLES

BENTO = Path("reports/bento.json")
BENTOML = Path(sys.executable).with_name("bentoml")  # the one in this environment (.venv/bin)


def main() -> None:
    try:
        params = load_params(Path("."))
        request_log = requestlog.request_log_settings(params, Path(".").resolve())
        if os.environ.get(requestlog.ENV_VAR) is not None:  # set by hand, for this run
            request_log = requestlog.settings_from_environment(os.environ[requestlog.ENV_VAR], request_log)
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    settings = params.model_extra.get("serve") or {}
    host = str(settings.get("host", "127.0.0.1"))
    port = os.environ.get("PORT") or str(settings.get("port", 3000))
    if "--source" in sys.argv[1:]:
        target = f"{params.project.package}.serving.service:ChampionService"
    elif BENTO.is_file():
        target = json.loads(BENTO.read_text())["tag"]
    else:
        sys.exit(f"ERROR: no bento built yet ({BENTO} is missing); run: make pipeline")
    os.environ.setdefault("BENTOML_HOME", str(Path(".bentoml").resolve()))
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # One thread per numeric library, as in training (capstone.pipeline.runtime): the worker has one CPU
    # (service.py), and OpenMP threads fighting over it made the single predictions of a
    # gradient-boosting champion 4 times slower on a busy 2-core machine (p95 1.8 s, not 0.14 s).
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if request_log.enabled:
        try:
            Path(request_log.path).parent.mkdir(parents=True, exist_ok=True)
            Path(request_log.path).open("a").close()
        except OSError as problem:
            sys.exit(
                f"ERROR: cannot write the request log {request_log.path}: {problem.strerror or problem}; "
                "choose another serve.request_log.path in params.yaml"
            )
    os.environ[requestlog.ENV_VAR] = request_log.model_dump_json()
    print(f"Serving {target} on http://{host}:{port} (ready when /readyz answers 200). Ctrl-C stops it.")
    print(f"Try it: make predict-example, or open http://{host}:{port}/ for the API docs.")
    logged = f"to {request_log.path}" if request_log.enabled else "off"
    print(f"Request log (serve.request_log in params.yaml): {logged}", flush=True)
    command = [str(BENTOML), "serve", target, "--host", host, "--port", port]
    if "--source" in sys.argv[1:]:
        command += ["--working-dir", str(Path("src").resolve())]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
