"""Full tier, privacy: baking, the pipeline and the service connect to nothing but this machine.

Two watchers, on every process of each command:
- strace records every connect() system call (Python or not: git, DVC's daemons, BentoML's workers);
  only loopback (127.0.0.0/8, ::1) and Unix sockets may appear;
- a Python audit hook (a sitecustomize.py on PYTHONPATH) records every name looked up
  (socket.getaddrinfo / gethostbyname): a lookup of a telemetry host shows even when the resolver
  itself is on loopback, where strace alone would miss it.
The telemetry switches the test harness sets for other tests (MLFLOW_DISABLE_TELEMETRY, DO_NOT_TRACK,
BENTOML_DO_NOT_TRACK, DVC_NO_ANALYTICS, CI) are removed first: only the template's own settings count.
`make setup` is not watched: it installs from PyPI on purpose.
"""

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from bakery import template_source
from teamrepo import free_port, http, run, team_env

pytestmark = pytest.mark.full

ROWS = 3000
# Switches other tests rely on; a team's machine has none of them.
HARNESS_SWITCHES = (
    "MLFLOW_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
    "BENTOML_DO_NOT_TRACK",
    "DVC_NO_ANALYTICS",
    "CI",
    "GITHUB_ACTIONS",
)
# The audit hook, as the sitecustomize.py every watched Python process imports at start.
SITECUSTOMIZE = r"""
import os, sys

LOCAL = {"", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def _watch(event, args):
    if event in ("socket.getaddrinfo", "socket.gethostbyname"):
        host = args[0].decode(errors="replace") if isinstance(args[0], bytes) else str(args[0] or "")
        if host not in LOCAL and not host.startswith("127."):
            with open(os.environ["PHONE_HOME_NAMES"], "a") as log:
                log.write(f"{os.getpid()} {event} {host} {' '.join(sys.argv)[:160]}\n")


sys.addaudithook(_watch)
"""

# strace's rendering of an IPv4 or IPv6 destination, in a connect() line.
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:127.0.0.1 is loopback too
    return ip.is_loopback or ip.is_unspecified


class Watcher:
    """Runs commands under strace and the audit hook; collects what left the machine."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "hook").mkdir(exist_ok=True)
        (folder / "hook" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.names = folder / "names.log"
        self.names.touch()

    def env(self, base: dict) -> dict:
        env = {key: value for key, value in base.items() if key not in HARNESS_SWITCHES}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.folder / "hook"), env.get("PYTHONPATH")]))
        env["PHONE_HOME_NAMES"] = str(self.names)
        return env

    def command(self, name: str, *command: str) -> list[str]:
        return [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=connect",
            "-e",
            "signal=none",
            "-o",
            str(self.folder / f"{name}.strace"),
            *command,
        ]

    def outside(self, name: str) -> list[str]:
        """The connects of `name` to any address but loopback, and every name looked up so far."""
        found = []
        for line in (self.folder / f"{name}.strace").read_text().splitlines():
            match = ADDRESS.search(line) if "connect(" in line else None
            if match and not is_local(match.group(1) or match.group(2)):
                found.append(line)
        return found + self.names.read_text().splitlines()


@pytest.fixture(scope="module")
def watcher(tmp_path_factory):
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (.ci/run installs it: apt-get install strace)")
    return Watcher(tmp_path_factory.mktemp("phone-home"))


def test_the_watchers_see_an_outside_connection(watcher):
    """The control: a lookup and a connect to a public address are caught (so the others can pass honestly)."""
    probe = (
        "import socket\n"
        "try: socket.getaddrinfo('telemetry.example.com', 443)\n"
        "except OSError: pass\n"
        "s = socket.socket(); s.setblocking(False)\n"
        "try: s.connect(('192.0.2.1', 443))\n"  # TEST-NET-1: never routed, nothing is sent
        "except OSError: pass\n"
    )
    subprocess.run(watcher.command("control", sys.executable, "-c", probe), env=watcher.env(os.environ), check=True)
    caught = watcher.outside("control")
    assert any("192.0.2.1" in line for line in caught), caught
    assert any("telemetry.example.com" in line for line in caught), caught
    watcher.names.write_text("")  # the control's lookup is not the template's


@pytest.fixture(scope="module")
def baked(watcher, tmp_path_factory, cc_config):
    out = tmp_path_factory.mktemp("phone-home-bake")
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    # The snapshot the other tests bake from: make setup then installs the working tree's kit from it.
    template = template_source()
    command = [str(cookiecutter), str(template), "--no-input", "--config-file", str(cc_config), "-o", str(out)]
    env = watcher.env({**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    subprocess.run(watcher.command("bake", *command), env=env, check=True, capture_output=True)
    (repo,) = [path for path in out.iterdir() if path.is_dir()]
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("rows: 20000", f"rows: {ROWS}"))
    return repo


def test_baking_connects_nowhere(watcher, baked):
    assert (watcher.folder / "bake.strace").is_file() and (baked / ".git").is_dir()  # watched, and it baked
    assert watcher.outside("bake") == []


def test_the_telemetry_settings_are_in_the_baked_repo(baked):
    makefile = (baked / "Makefile").read_text()
    for setting in ("MLFLOW_DISABLE_TELEMETRY := true", "DO_NOT_TRACK := true", "BENTOML_DO_NOT_TRACK := true"):
        assert f"export {setting}" in makefile, setting
    assert "export DVC_NO_ANALYTICS := 1" in makefile
    dvc_config = (baked / ".dvc" / "config").read_text()
    assert re.search(r"(?m)^\s*analytics = false$", dvc_config) and re.search(r"check_update = false", dvc_config)


def test_the_pipeline_connects_nowhere(watcher, baked):
    run(baked, "make", "setup")  # from PyPI on purpose: not watched
    env = watcher.env(team_env(baked))
    result = subprocess.run(
        watcher.command("pipeline", "make", "pipeline"), cwd=baked, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert watcher.outside("pipeline") == []
    # strace followed every stage: each one's connect to the warm runner's socket is in its log.
    assert (watcher.folder / "pipeline.strace").read_text().count("runner.sock") >= 9
    # GX wrote its own switch into the committed project config.
    assert "analytics_enabled: false" in (baked / "gx" / "great_expectations.yml").read_text()


def test_serving_connects_nowhere(watcher, baked):
    port = free_port()
    env = watcher.env(team_env(baked))
    env.pop("BENTOML_HOME")  # make serve sets it, as for a team
    log = (watcher.folder / "serve.log").open("w")
    server = subprocess.Popen(
        watcher.command("serve", "make", "serve", f"PORT={port}"), cwd=baked, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if http("GET", f"{url}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        body = (baked / "reports" / "example_request.json").read_bytes()
        status, answer = http("POST", f"{url}/predict", body)
        assert status == 200, answer
        assert len(json.loads(answer)) == len(json.loads(body)["records"])
    finally:
        # strace -> make -> BentoML's arbiter (serve.py execs it): SIGTERM the arbiter, by its PID.
        for process in psutil.Process(server.pid).children(recursive=True):
            if "bentoml" in " ".join(process.cmdline()) and process.parent().name() == "make":
                process.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for process in psutil.Process(server.pid).children(recursive=True):
                process.kill()
            server.kill()
            server.wait()
        log.close()
    assert watcher.outside("serve") == []
