"""The warm runner behind `make pipeline`: import the ML libraries once, then run every stage in a fork.

    python -m capstone.runner dvc repro [dvc options]

Why: DVC runs each stage as a new Python process, and on a small machine importing
pandas + scikit-learn + Great Expectations + MLflow costs 10-20 s per process. This command starts
one server process that imports them once, then runs `dvc repro` with CAPSTONE_RUNNER pointing at
the server and a `python` shim (capstone/run.py) first on its PATH. Each stage's plain
`python -m <module>` (dvc.yaml) reaches the shim, which hands the work to the server; the server
forks a copy of itself (the libraries already loaded) to run the module, with the stage's own
working directory, environment, arguments and standard streams. The speed-up is optional and
invisible in dvc.yaml: a plain `dvc repro` gives the same outputs, only slower.

The imports come in tiers (PRELOAD), each loaded by its own process, forked from the one before: the
ingest stage starts once pandas is in, while Great Expectations loads on the other core; the
validation stages start once that is in, while scikit-learn, MLflow and BentoML load. A stage is
answered by the first tier process that has what it needs (STAGE_TIERS), so no stage waits for
imports it does not use, and the stages at the start run while the rest loads on the other core.
"""

import contextlib
import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from capstone.run import RUNNER_VARIABLE, write_shim

# Imported once, tier by tier, in the order the stages need them (see the module's docstring).
PRELOAD = [
    # ingest, clean
    ["numpy", "pandas", "pyarrow", "capstone.feed"],
    # validate_raw, validate_clean, explore
    ["great_expectations", "matplotlib.pyplot"],
    # split, train, evaluate, register, bento
    [
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
        "mlflow",
        "mlflow.sklearn",
        # MLflow's tracking store and BentoML's model store load on first use: without these,
        # train, evaluate, register and bento each imported them again (1-2 s per stage).
        "mlflow.store.tracking.sqlalchemy_store",
        "mlflow.store.model_registry.sqlalchemy_store",
        "skops.io",
        "bentoml",
        "bentoml.models",
    ],
]
# The tier a stage's module needs, by the last two parts of its name; any other stage (a team's own,
# too) waits for every tier.
STAGE_TIERS = {"data.ingest": 0, "data.clean": 0, "validation.validate": 1, "data.explore": 1}


def preload(modules: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots go to files; no display needed
    for name in modules:
        with contextlib.suppress(ImportError):  # a stage that needs it will say so itself
            __import__(name)


def create_tracking_store() -> None:
    """Create a new local MLflow database now, while earlier stages run, not in the train stage.

    Why: its schema migrations took 2-4 s of the first `make pipeline` (and of every CI run, which
    starts without mlflow.db). Only a sqlite store, so nothing is contacted over the network. It runs
    in a child process, so no database connection is carried into the stages' forks; it builds the
    database under a temporary name and links it into place whole, and finishes even on Ctrl-C, so
    a half-migrated mlflow.db (which every later stage would refuse) cannot happen.
    """
    try:
        from capstone.config import load_params

        uri = os.environ.get("MLFLOW_TRACKING_URI") or load_params(Path(".")).mlflow.tracking_uri
    except Exception:  # no params.yaml here, or a broken one: the stages will say so
        return
    target = Path(uri.removeprefix("sqlite:///"))
    if not uri.startswith("sqlite:///") or target.exists():
        return
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        building = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            import mlflow

            mlflow.MlflowClient(tracking_uri=f"sqlite:///{building}")
            os.link(building, target)  # fails, harmlessly, if a stage made one meanwhile
        except Exception:  # the train stage reports any problem with the store itself
            pass
        finally:
            building.unlink(missing_ok=True)
            os._exit(0)
    os.waitpid(child, 0)


def tier_needed(module: str) -> int:
    return STAGE_TIERS.get(".".join(module.split(".")[-2:]), len(PRELOAD) - 1)


def run_stage(request: dict, fds: list[int]) -> None:
    """In the forked child: become the stage process, run the module, exit with its code."""
    # Ctrl-C raises KeyboardInterrupt in the stage, as in a plain `python -m`: MLflow then marks the
    # run KILLED instead of leaving it RUNNING (the runner's own processes die on it at once).
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
    """Load the tiers, each in a new process; each answers the stages it can and hands on the others.

    Tier 0 takes the stages' connections from the listener; every later tier gets the requests the
    tier before it cannot answer, with the connection itself, over a socket pair.
    """
    requests, successor = listener, None
    for tier, modules in enumerate(PRELOAD):
        preload(modules)
        if tier + 1 == len(PRELOAD):
            create_tracking_store()
            break
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the next tier's process: load more, then answer what was handed on
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            here.close()
            requests.close()
            requests = there
            continue
        there.close()
        successor = here
        signal.signal(signal.SIGTERM, stop_with(pid))
        break
    answer(requests, successor, tier)


def stop_with(successor: int):
    """The SIGTERM handler of a tier: stop the tiers after it too, and wait for them (no orphans)."""

    def stop(*_) -> None:
        os.kill(successor, signal.SIGTERM)
        os.waitpid(successor, 0)
        os._exit(0)

    return stop


def answer(requests: socket.socket, successor: socket.socket | None, tier: int) -> None:
    """Answer stage requests one at a time (DVC runs stages one after another)."""
    while True:
        if requests.type == socket.SOCK_STREAM:  # the listener
            connection, _ = requests.accept()
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        else:  # handed on by the tier before: the connection comes first
            message, fds, _, _ = socket.recv_fds(requests, 1 << 20, 4)
            if not message:  # the tier before has stopped
                os._exit(0)
            connection = socket.socket(fileno=fds.pop(0))
        with connection:
            if not message:
                continue
            request = json.loads(message)
            if successor is not None and tier_needed(request["module"]) > tier:
                socket.send_fds(successor, [message], [connection.fileno(), *fds])
                for fd in fds:
                    os.close(fd)
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            child = os.fork()
            if child == 0:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the tier's hand-on handler
                for unused in (requests, successor, connection):
                    if unused is not None:
                        unused.close()
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
    shims = folder / "bin"
    shims.mkdir()
    write_shim(shims)
    env = {**os.environ, RUNNER_VARIABLE: socket_path, "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        os.kill(server, signal.SIGTERM)
        os.waitpid(server, 0)
        # ignore_errors: a /tmp cleaner may have removed the folder already; the pipeline's result stands.
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
