"""The warm runner behind `make pipeline`: import the ML libraries once, then run every stage in a fork.

    python -m capstone.runner dvc repro [dvc options]

Why: DVC runs each of the nine stages as a new Python process, and on a small machine importing
pandas + scikit-learn + Great Expectations + MLflow costs 10-20 s per process. This command starts
one server process that imports them once, then runs `dvc repro` with CAPSTONE_RUNNER pointing at
the server. Each stage's `python -m capstone.run <module>` hands its work to the server, which forks
a copy of itself (the libraries already loaded) to run the module, with the stage's own working
directory, environment, arguments and standard streams. Results are identical to a plain `dvc repro`.
"""

import contextlib
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from capstone.run import RUNNER_VARIABLE

# Imported once by the server; every stage then starts with them loaded.
PRELOAD = [
    "numpy",
    "pandas",
    "pyarrow",
    "sklearn.compose",
    "sklearn.dummy",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.inspection",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "matplotlib.pyplot",
    "great_expectations",
    "mlflow",
    "mlflow.sklearn",
    "skops.io",
    "bentoml",
]


def preload() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots go to files; no display needed
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # a stage that needs it will say so itself
            __import__(name)


def run_stage(request: dict, fds: list[int]) -> None:
    """In the forked child: become the stage process, run the module, exit with its code."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [request["module"], *request["args"]]
    code = 0
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            code = 1
        else:
            code = stop.code or 0
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve(listener: socket.socket) -> None:
    """Answer stage requests one at a time (DVC runs stages one after another)."""
    preload()
    while True:
        connection, _ = listener.accept()
        with connection:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
            if not message:
                continue
            request = json.loads(message)
            sys.stdout.flush()
            sys.stderr.flush()
            child = os.fork()
            if child == 0:
                listener.close()
                connection.close()
                run_stage(request, fds)
            for fd in fds:
                os.close(fd)
            _, status = os.waitpid(child, 0)
            connection.sendall(str(os.waitstatus_to_exitcode(status)).encode())


def main() -> int:
    command = sys.argv[1:] or ["dvc", "repro"]
    folder = Path(tempfile.mkdtemp(prefix="capstone-runner-"))
    socket_path = str(folder / "runner.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(4)  # stages that connect before the imports are done simply wait in this queue
    server = os.fork()
    if server == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            serve(listener)
        finally:
            os._exit(0)
    listener.close()
    try:
        return subprocess.run(command, env={**os.environ, RUNNER_VARIABLE: socket_path}).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        os.kill(server, signal.SIGTERM)
        os.waitpid(server, 0)
        Path(socket_path).unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    sys.exit(main())
