"""The `python` of `make pipeline`: a stage's `python -m <module>` runs in the warm runner when there is one.

dvc.yaml says plainly what each stage runs (`python -m <package>.data.clean`). `make pipeline`
starts the warm runner (capstone/runner.py), which puts a `python` shim first on the PATH that
`dvc repro` sees: for `python -m <module> [args]` the shim hands the stage to the runner, a copy of
a process that has already imported pandas, scikit-learn, Great Expectations and MLflow, so it
starts in milliseconds instead of 10-20 seconds. Anything else, or no runner, execs the real
Python. A plain `dvc repro` never sees the shim: same outputs, only slower.

This file imports nothing heavy, on purpose: it is the part that runs for every stage.
"""

import json
import os
import shlex
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


def shim(argv: list[str] | None = None) -> None:
    """Be `python`: `-m <module> [args]` goes to the warm runner if one is up; otherwise exec Python."""
    argv = sys.argv[1:] if argv is None else argv
    socket_path = os.environ.get(RUNNER_VARIABLE)
    if socket_path and len(argv) >= 2 and argv[0] == "-m":
        code = run_in_warm_runner(socket_path, argv[1], argv[2:])
        if code is not None:
            sys.exit(code)
    os.execv(sys.executable, [sys.executable, *argv])


def write_shim(folder) -> None:
    """Write `folder/python`, the shim, for this environment's Python.

    A shell script, not a `#!<python>` line: a shebang breaks on a path with spaces (a project in
    "My Projects") and on long paths; sh passes the arguments on unchanged.
    """
    path = folder / "python"
    command = f"{shlex.quote(sys.executable)} -c 'from capstone.run import shim; shim()'"
    path.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
    path.chmod(0o755)
