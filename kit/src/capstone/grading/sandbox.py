"""Run the team's code as another OS user, with an environment the grader writes from scratch.

In the grading job the grader (this kit, installed by the course) runs the team's Makefile, pipeline,
model and tests only through TeamUser.run(). With a separate unprivileged user, that code cannot
write the grader's installation, its working files or the report, and cannot read the grader's
environment (/proc/<pid>/environ is readable by the same user only). Its environment is built from
an allowlist: no holdout secret, no token, nothing of the runner's that was not named here.

How the switch is made:
- as root: `setpriv --reuid U --regid G --clear-groups` (util-linux, on Debian and Ubuntu);
- as a user with passwordless sudo (GitHub's runners): `sudo -n -u USER`;
- with no user given, the team's code runs as the grader's own user, and the report says so.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# What the team's processes may inherit from the grader's environment, by name; nothing else passes.
INHERITED = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "TERM",
    "CI",
    "GITHUB_ACTIONS",
    "UV_PYTHON",
    "UV_OFFLINE",
    "UV_NO_CACHE",
    "UV_INDEX_URL",
)
# Always set: the tools' telemetry off, as in the team's Makefile.
QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "DVC_NO_ANALYTICS": "1",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "PYTHONUNBUFFERED": "1",
}
# Never passed on, whatever a caller asks for (a holdout secret, a token, the runner's own channels).
FORBIDDEN_PREFIXES = ("CAPSTONE_HOLDOUT_", "GITHUB_TOKEN", "ACTIONS_", "GH_TOKEN", "AWS_SECRET")


class SandboxError(RuntimeError):
    """The team user cannot be set up (unknown user, no way to switch); the message says what to do."""


@dataclass(frozen=True)
class TeamUser:
    """Who the team's processes run as, and how the switch is made."""

    uid: int
    gid: int
    name: str
    home: Path
    prefix: tuple[str, ...] = ()  # the command that switches user (empty: the grader's own user)

    @property
    def separate(self) -> bool:
        return bool(self.prefix)

    @property
    def note(self) -> str:
        """One line for the report: how the team's code ran."""
        if self.separate:
            return f"the team's code ran as the unprivileged user {self.name} (uid {self.uid})"
        return "the team's code ran as the grader's own user: no separate user was given (--as-user)"

    @classmethod
    def grader(cls) -> TeamUser:
        """No switch: the team's code runs as this process's user (local use)."""
        uid = os.getuid()
        return cls(uid, os.getgid(), _name(uid), Path(os.environ.get("HOME") or "/tmp"))

    @classmethod
    def named(cls, user: str, home: Path | None = None) -> TeamUser:
        """The user `user` (a name, or a numeric uid that need not exist when the grader is root)."""
        entry = _entry(user)
        if entry is not None:
            uid, gid, name, default_home = entry.pw_uid, entry.pw_gid, entry.pw_name, Path(entry.pw_dir)
        elif user.isdigit():
            uid = gid = int(user)
            name, default_home = f"uid-{uid}", Path(f"/tmp/capstone-team-{uid}")
        else:
            raise SandboxError(f"no user {user!r} on this machine: create it (`sudo useradd --create-home {user}`)")
        if uid == 0:
            raise SandboxError("the team's code must not run as root: give --as-user an unprivileged user")
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                raise SandboxError(
                    "setpriv (util-linux) is needed to switch to the team user: apt-get install util-linux"
                )
            prefix = ("setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--")
        elif entry is not None and shutil.which("sudo"):
            prefix = ("sudo", "-n", "-u", name, "--")
        else:
            raise SandboxError(f"cannot run code as {user!r}: run the grader as root, or with passwordless sudo")
        return cls(uid, gid, name, home or default_home, prefix)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The team's environment: the allowlist, the quiet flags, HOME, and `extra` (never a secret)."""
        env = {name: os.environ[name] for name in INHERITED if name in os.environ}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env.update(QUIET)
        env["HOME"] = str(self.home)
        for name, value in (extra or {}).items():
            if not name.startswith(FORBIDDEN_PREFIXES):
                env[name] = value
        return env

    def command(self, args: Sequence[str], env: Mapping[str, str]) -> list[str]:
        """`args` as the team user, with exactly `env` (env -i: nothing else is inherited)."""
        return [*self.prefix, "env", "-i", *(f"{name}={value}" for name, value in env.items()), *map(str, args)]

    def run(
        self,
        args: Sequence[str],
        cwd: Path,
        extra: Mapping[str, str] | None = None,
        timeout: float | None = None,
        capture: bool = False,
    ) -> subprocess.CompletedProcess:
        """Run `args` in `cwd` as the team user; its output goes to ours (the job log), or is captured."""
        self.prepare_home()
        env = self.environment(extra)
        # env= too: setpriv, sudo and env themselves run as the team user for a moment, and must not
        # carry the grader's environment either (/proc/<pid>/environ is the team user's to read).
        return subprocess.run(
            self.command(args, env),
            cwd=cwd,
            env=env,
            timeout=timeout,
            check=False,
            start_new_session=True,
            capture_output=capture,
            text=capture,
        )

    def prepare_home(self) -> None:
        """A HOME the team user owns (uv's cache, pip's config): created when the user has none."""
        if self.home.is_dir() or not self.separate:
            return
        self.home.mkdir(parents=True, exist_ok=True)
        os.chown(self.home, self.uid, self.gid)

    def give(self, folder: Path) -> None:
        """Hand `folder` (the team's checkout) to the team user, so its pipeline can write there."""
        if not self.separate:
            return
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, self.uid, self.gid)

    def end(self) -> int:
        """Stop every process the team user still has (a daemon its code left behind); how many were stopped.

        A process can be forking while /proc is read, so the scan repeats until it finds nothing three
        times in a row.
        """
        if not self.separate:
            return 0
        stopped, quiet = set(), 0
        for _ in range(200):
            pids = [pid for pid in _pids_of(self.uid) if pid != os.getpid()]
            quiet = 0 if pids else quiet + 1
            if quiet >= 3:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    stopped.add(pid)
                except ProcessLookupError:
                    pass
                except PermissionError:  # sudo mode: not root, so kill through sudo
                    subprocess.run([*self.prefix, "kill", "-KILL", str(pid)], check=False, capture_output=True)
                    stopped.add(pid)
            time.sleep(0.05)
        return len(stopped)


def _entry(user: str):
    try:
        return pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except KeyError:
        return None


def _name(uid: int) -> str:
    entry = _entry(str(uid))
    return entry.pw_name if entry else f"uid-{uid}"


def _pids_of(uid: int) -> list[int]:
    """The live processes whose real uid is `uid` (from /proc; a zombie is already dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        if int(fields.get("Uid", "-1 0").split()[0]) == uid:
            found.append(int(entry.name))
    return found
