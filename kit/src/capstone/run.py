"""Run one pipeline stage: `python -m capstone.run <module> [args]`, as dvc.yaml does.

It behaves exactly like `python -m <module> [args]`. When `make pipeline` has started the warm
runner (capstone/runner.py), the stage runs there instead, in a copy of a process that has already
imported pandas, scikit-learn, Great Expectations and MLflow, so it starts in milliseconds instead
of 10-20 seconds. Without the runner (a plain `dvc repro`), the stage runs here: same result, slower.

This file imports nothing heavy, on purpose: it is the part that runs for every stage.
"""

import json
import os
import runpy
import socket
import sys

RUNNER_VARIABLE = "CAPSTONE_RUNNER"  # the runner's socket path, set by `python -m capstone.runner`


def run_in_warm_runner(socket_path: str, module: str, args: list[str]) -> int | None:
    """Ask the runner to run the stage with our stdin/stdout/stderr; None if there is no runner."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(socket_path)
    except OSError:
        return None
    request = dict(module=module, args=args, cwd=os.getcwd(), env=dict(os.environ))
    with connection:
        # Hand over our three standard streams, so the stage's output appears where ours would.
        socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
        answer = connection.recv(64)
    return int(answer) if answer else 1


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("ERROR: no stage module given; usage: python -m capstone.run <module> [args]")
    module, args = sys.argv[1], sys.argv[2:]
    socket_path = os.environ.get(RUNNER_VARIABLE)
    if socket_path:
        code = run_in_warm_runner(socket_path, module, args)
        if code is not None:
            sys.exit(code)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
