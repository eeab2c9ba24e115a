"""The cohort's MLflow tracking server: one PostgreSQL-backed server, one user per team, mentors who read all.

    python cohort/server.py serve                      # start the server (make cohort-server)
    python cohort/server.py add-teams cohort.yaml --out ~/cohort-credentials   # (make cohort-teams)

Settings come from environment variables, so no password ever sits on a command line or in a file
that git could pick up:

    COHORT_DB_URI               postgresql://mlflow@db-host:5432/mlflow (runs, models; no password in it)
    PGPASSWORD                  that database user's password (libpq reads it; or use ~/.pgpass)
    COHORT_ARTIFACTS            where the server keeps artifacts: a directory, or s3://bucket/prefix
    MLFLOW_AUTH_ADMIN_USERNAME  the server's admin user (default: admin)
    MLFLOW_AUTH_ADMIN_PASSWORD  its password; MLflow creates the admin with it on first start

docs/cohort.md is the instructor's guide: starting the server, adding teams, baking their repos.
"""

import hashlib
import hmac
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from contextlib import suppress
from pathlib import Path
from typing import Annotated

import typer
import yaml
from capstone.cohort import results

DB_URI = "postgresql://mlflow@127.0.0.1:5432/mlflow"
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0])

# Same rule as the template's project_slug: a team's user, experiment and model are named after its repo.
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MENTOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a team may do on its own experiment and model: log runs, register versions, move aliases.
# Not MANAGE: a team must not delete the experiment mentors grade from, nor hand it to another team.
TEAM_PERMISSION = "EDIT"
MENTOR_PERMISSION = "READ"
# Official checkpoint results (capstone.cohort.results): experiment checkpoints/<team>, written
# only by the login grader.<team>. A slug holds neither "/" nor ".", so no team can take these names.
RESULTS_PREFIX, GRADER_PREFIX = results.EXPERIMENT_PREFIX, results.GRADER_PREFIX


class Problem(Exception):
    """Something the instructor can fix; the message is one line: what, where, what to do."""


def fail(message: str, detail: object = None) -> None:
    typer.echo(f"ERROR: {message}", err=True)
    if detail:
        typer.echo(str(detail).strip(), err=True)
    raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------- serve


@app.command()
def serve(
    artifacts: Annotated[str, typer.Option(envvar="COHORT_ARTIFACTS", help="A directory or s3://bucket/prefix")] = "",
    db_uri: Annotated[str, typer.Option(envvar="COHORT_DB_URI", help="PostgreSQL for runs and models")] = DB_URI,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0: every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 5000,
    workers: Annotated[int, typer.Option(help="Web worker processes (about 300 MB each)")] = 2,
    allowed_hosts: Annotated[
        str, typer.Option(envvar="COHORT_ALLOWED_HOSTS", help="Host names clients use, e.g. mlflow.example.edu")
    ] = "",
    default_permission: Annotated[
        str, typer.Option(help="Rights on experiments not granted: NO_PERMISSIONS or READ (teams see each other)")
    ] = "NO_PERMISSIONS",
    auth_cache_seconds: Annotated[
        int, typer.Option(help="How long a worker trusts a checked password (0: check every request)")
    ] = 60,
) -> None:
    """Start `mlflow server` on PostgreSQL with basic auth; Ctrl-C (or SIGTERM to its PID) stops it."""
    if default_permission not in ("NO_PERMISSIONS", "READ"):
        fail(f"--default-permission is {default_permission!r}; use NO_PERMISSIONS (teams see only their own) or READ")
    if not os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD"):
        fail("MLFLOW_AUTH_ADMIN_PASSWORD is not set; export the admin password the server should use (never commit it)")
    if not artifacts:
        fail("COHORT_ARTIFACTS is not set; export where the artifacts go: a directory or s3://bucket/prefix")
    try:
        auth_db_uri = prepare_databases(db_uri)
        destination = prepare_artifacts(artifacts)
    except Problem as problem:
        fail(*problem.args)
    env = {
        **os.environ,
        # The URI through the environment, not the command line, where `ps` would show it to everyone.
        "MLFLOW_BACKEND_STORE_URI": db_uri,
        # MLflow 3.17 otherwise starts a job runner and seven huey consumers: not needed for tracking.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    # The web UI's CSRF protection needs a key that every worker and every restart shares. Unless
    # one is given, derive it from the admin password: as secret, as stable, one variable less.
    env.setdefault(
        "MLFLOW_FLASK_SERVER_SECRET_KEY",
        hmac.new(
            os.environ["MLFLOW_AUTH_ADMIN_PASSWORD"].encode(), b"ml-capstone cohort flask secret", hashlib.sha256
        ).hexdigest(),
    )
    command = [sys.executable, "-m", "mlflow", "server", "--app-name", "basic-auth"]
    command += ["--host", host, "--port", str(port), "--workers", str(workers)]
    # Proxied artifacts: clients upload through the server, so teams need no storage credentials.
    command += ["--serve-artifacts", "--artifacts-destination", destination]
    if allowed_hosts:
        command += ["--allowed-hosts", allowed_hosts]
    typer.echo(f"MLflow for the cohort on http://{host}:{port} (database {redact(db_uri)}, artifacts {destination})")
    sys.stdout.flush()
    # The server runs as a child, so that this process outlives it and deletes the auth config (it
    # holds the auth database's URI) however the server stops: SIGTERM or Ctrl-C to this PID included.
    with ForwardedSignals() as signals:
        config = write_auth_config(auth_db_uri, default_permission, auth_cache_seconds)
        try:
            code = signals.run({**env, "MLFLOW_AUTH_CONFIG_PATH": str(config)}, command)
        finally:
            shutil.rmtree(config.parent, ignore_errors=True)
    raise typer.Exit(code)


class ForwardedSignals:
    """Run a command as a child in its own process group, passing SIGTERM, SIGINT and SIGHUP on to the group.

    Inside the `with` block this process does not die of those signals: it passes them on, waits for
    the child, and then whatever follows the block runs (the cleanup). A signal that arrives before
    the child starts is passed on as soon as it has started.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.group: int | None = None
        self.previous: dict = {}

    def __enter__(self) -> "ForwardedSignals":
        self.previous = {number: signal.signal(number, self._forward) for number in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)

    def _forward(self, number: int, frame) -> None:
        self.received.append(number)
        if self.group is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.group, number)

    def run(self, env: dict[str, str], command: list[str]) -> int:
        """The child's exit code (128 + N when signal N ended it, as a shell reports it)."""
        if self.received:
            return 128 + self.received[0]
        child = subprocess.Popen(command, env=env, process_group=0)
        self.group = child.pid
        if self.received:  # arrived while the child was starting
            self._forward(self.received[-1], None)
        code = child.wait()
        stop_leftovers(child.pid)
        return code if code >= 0 else 128 - code


def stop_leftovers(group: int, grace: float = 10) -> None:
    """Wait up to `grace` seconds for what is left of the server's process group (web workers); then SIGKILL it."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def redact(uri: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", uri)


def prepare_databases(db_uri: str) -> str:
    """Check PostgreSQL answers; create the tracking and auth databases if missing; return the auth URI.

    The auth store (users, passwords, permissions) gets its own database on the same server: its
    tables must not mix with the tracking tables, and it can be backed up on its own.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        url = make_url(db_uri)
    except ArgumentError:
        raise Problem(f"COHORT_DB_URI {redact(db_uri)!r} is not a database URI; use {DB_URI}") from None
    if url.get_backend_name() != "postgresql" or not url.database:
        raise Problem(f"COHORT_DB_URI {redact(db_uri)!r} is not a PostgreSQL URI with a database name") from None
    auth_url = url.set(database=f"{url.database}_auth")
    where = f"{url.host or 'localhost'}:{url.port or 5432} as {url.username or 'the current user'}"
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            for name in (url.database, auth_url.database):
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if not exists:
                    # Identifiers cannot be bound parameters; the name is checked to be plain first.
                    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                        raise Problem(f"database name {name!r} has unusual characters; create it by hand with createdb")
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                    typer.echo(f"Created database {name} on {where}")
    except SQLAlchemyError as problem:
        first = str(getattr(problem, "orig", problem)).strip().splitlines()[0]
        raise Problem(
            f"cannot use PostgreSQL at {where} ({first}); start it, check COHORT_DB_URI and PGPASSWORD, "
            f"or create the databases {url.database} and {auth_url.database} for that user (createdb)",
            problem,
        ) from None
    finally:
        engine.dispose()
    return auth_url.render_as_string(hide_password=False)


def prepare_artifacts(artifacts: str) -> str:
    if artifacts.startswith("s3://"):
        try:
            import boto3  # noqa: F401  (MLflow's S3 store needs it)
        except ImportError:
            raise Problem(
                "the artifact store is on S3 but boto3 is not installed; install it: uv pip install boto3"
            ) from None
        return artifacts
    if "://" in artifacts:
        raise Problem(f"COHORT_ARTIFACTS {artifacts!r}: use a directory or an s3:// URL")
    path = Path(artifacts).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def write_auth_config(auth_db_uri: str, default_permission: str, auth_cache_seconds: int) -> Path:
    """MLflow's basic-auth settings, in a private temporary folder (the URI may hold a password).

    The admin password is not written: MLflow reads MLFLOW_AUTH_ADMIN_PASSWORD (and
    MLFLOW_AUTH_ADMIN_USERNAME) from the environment and creates the admin on the first start.
    """
    folder = Path(tempfile.mkdtemp(prefix="cohort-auth-"))  # mode 0700
    config = folder / "basic_auth.ini"
    config.write_text(
        "[mlflow]\n"
        f"default_permission = {default_permission}\n"
        f"database_uri = {auth_db_uri.replace('%', '%%')}\n"
        # MLFLOW_AUTH_ADMIN_USERNAME, when set, wins over this.
        "admin_username = admin\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # Checking a password (scrypt) costs about 0.3-0.6 s of CPU on a small machine, and a team's
        # pipeline makes hundreds of requests. Within this many seconds a worker trusts a password it
        # checked; the price: a changed password or deleted user may still work that long on other workers.
        f"auth_cache_ttl_seconds = {auth_cache_seconds}\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    return config


# ------------------------------------------------------------------------------------------ add-teams


def read_cohort(path: Path) -> tuple[list[str], list[str], str]:
    """The teams (repo slugs), the mentors (user names) and the optional server URL of a cohort file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as problem:
        raise Problem(f"cannot read the cohort file {path}; see cohort/cohort.example.yaml", problem) from None
    if not isinstance(data, dict):
        raise Problem(f"{path} must be a mapping with teams: and mentors: lists; see cohort/cohort.example.yaml")
    teams = [str(team) for team in data.get("teams") or []]
    mentors = [str(mentor) for mentor in data.get("mentors") or []]
    for team in teams:
        if not SLUG.match(team):
            raise Problem(f"{path}: team {team!r} is not a repo slug (lowercase letters, digits, single dashes)")
    for mentor in mentors:
        if not MENTOR.match(mentor):
            raise Problem(f"{path}: mentor {mentor!r} is not a user name (letters, digits, . _ -)")
        if mentor.startswith(GRADER_PREFIX):
            raise Problem(f"{path}: mentor {mentor!r} starts with {GRADER_PREFIX!r}, kept for the grader logins")
    names = teams + mentors
    clash = sorted({name for name in names if names.count(name) > 1})
    if clash:
        raise Problem(f"{path}: {', '.join(clash)} appears twice; every team and mentor needs its own user name")
    if not teams and not mentors:
        raise Problem(f"{path} lists no teams and no mentors; see cohort/cohort.example.yaml")
    return teams, mentors, str(data.get("server") or "")


def check_out_dir(out: Path) -> None:
    """Refuse to write passwords where git would pick them up."""
    probe = out if out.exists() else out.parent
    inside = subprocess.run(["git", "-C", str(probe), "rev-parse", "--is-inside-work-tree"], capture_output=True)
    if inside.returncode == 0:
        ignored = subprocess.run(["git", "-C", str(probe), "check-ignore", "-q", str(out.resolve())])
        if ignored.returncode != 0:
            raise Problem(f"{out} is inside a git repository and not ignored; choose a folder outside it for passwords")


def check_server(server: str) -> None:
    try:
        with urllib.request.urlopen(f"{server.rstrip('/')}/health", timeout=10) as response:
            response.read()
    except urllib.error.HTTPError:
        return  # it answers; the API calls will say more
    except (urllib.error.URLError, OSError) as problem:
        reason = getattr(problem, "reason", None) or problem
        raise Problem(f"cannot reach the MLflow server at {server} ({reason}); start it: make cohort-server") from None


@app.command("add-teams")
def add_teams(
    cohort_file: Annotated[Path, typer.Argument(help="YAML with teams: (repo slugs) and mentors: (user names)")],
    out: Annotated[Path, typer.Option(help="Folder for the new users' .env files, outside any git repository")],
    server: Annotated[
        str, typer.Option(envvar="MLFLOW_TRACKING_URI", help="The server's URL (else server: in the file)")
    ] = "",
    reset_passwords: Annotated[bool, typer.Option(help="Give existing users a new password too")] = False,
) -> None:
    """Create a user per team with EDIT on its experiment and model, and mentors who read everything.

    Safe to rerun after adding teams to the file: what exists is kept (passwords too, unless
    --reset-passwords). New passwords go to OUT/<user>.env, one file per user, to hand over privately.
    """
    try:
        teams, mentors, file_server = read_cohort(cohort_file)
        server = (server or file_server).rstrip("/")
        if not server.startswith(("http://", "https://")):
            raise Problem("no server URL; pass --server http://host:5000 or put server: in the cohort file")
        admin = os.environ.get("MLFLOW_AUTH_ADMIN_USERNAME") or "admin"
        password = os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD")
        if not password:
            raise Problem("MLFLOW_AUTH_ADMIN_PASSWORD is not set; export the admin password of the server")
        if admin in teams + mentors:
            raise Problem(
                f"{cohort_file} lists {admin!r}, the server's admin user; give that team or mentor another name"
            )
        check_out_dir(out)
        check_server(server)
    except Problem as problem:
        fail(*problem.args)
    # The MLflow clients take their credentials from these variables.
    os.environ.update(MLFLOW_TRACKING_USERNAME=admin, MLFLOW_TRACKING_PASSWORD=password)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)

    # Importing the auth client loads the server's modules, which warn about their own dependencies.
    warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.client import AuthServiceClient

    tracking, auth = MlflowClient(server), AuthServiceClient(server)
    try:
        for team in teams:
            results_id = ensure_results(auth, tracking, team, reset_passwords, out, server)
            issued = ensure_user(auth, team, reset_passwords)
            experiment_id = ensure_experiment(tracking, team)
            model = f"{team}-model"
            ensure_model(tracking, model)
            grant(auth, team, "experiment", experiment_id, TEAM_PERMISSION)
            grant(auth, team, "registered_model", model, TEAM_PERMISSION)
            # The team reads its official results and cannot write them.
            grant(auth, team, "experiment", results_id, "READ")
            report(out, server, team, issued, f"experiment {team} (id {experiment_id}), model {model}: EDIT")
        for mentor in mentors:
            issued = ensure_user(auth, mentor, reset_passwords)
            # "*": every experiment and model, including those made after this command ran.
            grant(auth, mentor, "experiment", "*", MENTOR_PERMISSION)
            grant(auth, mentor, "registered_model", "*", MENTOR_PERMISSION)
            report(out, server, mentor, issued, "every experiment and model: READ", mentor=True)
    except Problem as problem:
        fail(*problem.args)
    except MlflowException as problem:
        code = problem.get_http_status_code()
        if code == 401:
            fail(f"the server at {server} refused the admin login ({admin}); check MLFLOW_AUTH_ADMIN_PASSWORD", problem)
        fail(f"the server at {server} refused a request (HTTP {code}); see the detail below", problem)


def ensure_results(auth, tracking, team: str, reset: bool, out: Path, server: str) -> str:
    """The team's official results: experiment checkpoints/<team>, written only by grader.<team>.

    The grader login is created before the experiment, and an experiment that exists while its
    grader login does not was made by someone else (any login may create experiments, and its
    creator may write to it): refused, since runs in it could be forged.
    """
    experiment, grader = RESULTS_PREFIX + team, GRADER_PREFIX + team
    found = tracking.get_experiment_by_name(experiment)
    issued = ensure_user(auth, grader, reset, fresh=found is None)
    if issued is not None and found is not None:
        raise Problem(
            f"experiment {experiment} exists but the login {grader} did not: someone else created it, and its runs "
            f"could be forged; delete it for good (mlflow gc) and rerun"
        )
    results_id = ensure_experiment(tracking, experiment, {"cohort.team": team, "cohort.results": "checkpoints"})
    grant(auth, grader, "experiment", results_id, TEAM_PERMISSION)
    report(out, server, grader, issued, f"experiment {experiment} (id {results_id}): EDIT", grader=True)
    return results_id


def ensure_user(auth, name: str, reset: bool, fresh: bool = True) -> str | None:
    """Create the user (or reset its password); return the new password, or None if unchanged."""
    from mlflow.exceptions import MlflowException

    password = secrets.token_urlsafe(18)
    try:
        auth.get_user(name)
    except MlflowException as problem:
        if problem.get_http_status_code() != 404:
            raise
        if not fresh:
            return password  # not created: the caller refuses
        auth.create_user(name, password)
        return password
    if reset:
        auth.update_user_password(name, password)
        return password
    return None


def ensure_experiment(tracking, name: str, tags: dict | None = None) -> str:
    """The team's experiment, created by the admin so it exists before the team's first run.

    No artifact location: the server's default, mlflow-artifacts:/, sends artifacts through the server.
    """
    experiment = tracking.get_experiment_by_name(name)
    if experiment is None:
        return tracking.create_experiment(name, tags=tags or {"cohort.team": name})
    if experiment.lifecycle_stage == "deleted":
        tracking.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def ensure_model(tracking, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        tracking.get_registered_model(name)
    except MlflowException as problem:
        if problem.get_http_status_code() != 404:
            raise
        tracking.create_registered_model(name, description="The team's models; the champion alias marks the best.")


def grant(auth, user: str, resource_type: str, resource_id: str, permission: str) -> None:
    """Give `user` exactly `permission` on the resource (replacing a different earlier grant)."""
    from mlflow.exceptions import MlflowException

    try:
        auth.grant_user_permission(user, resource_type, resource_id, permission)
    except MlflowException as problem:
        if problem.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        if auth.get_user_permission(user, resource_type, resource_id).permission != permission:
            auth.revoke_user_permission(user, resource_type, resource_id)
            auth.grant_user_permission(user, resource_type, resource_id, permission)


def report(
    out: Path, server: str, user: str, password: str | None, rights: str, grader: bool = False, mentor: bool = False
) -> None:
    if password is None:
        typer.echo(f"  {user:<24} exists, password unchanged; {rights}")
        return
    env = out / f"{user}.env"
    if grader:
        text = (
            f"# The course's grader login for {user.removeprefix(GRADER_PREFIX)}: secrets of the team repository's\n"
            "# `holdout` environment (gh secret set --env holdout --env-file THIS_FILE), and the URL also as the\n"
            "# repository variable CAPSTONE_RESULTS_URI. Never the team's .env; never for the team.\n"
            f"CAPSTONE_RESULTS_URI={server}\n"
            f"CAPSTONE_RESULTS_USERNAME={user}\n"
            f"CAPSTONE_RESULTS_PASSWORD={password}\n"
        )
    elif mentor:
        text = (
            f"# MLflow credentials for the mentor {user} on the cohort server: read every team's runs (the web UI,\n"
            "# or `capstone cohort status` with these lines exported). Never commit them.\n"
            f"MLFLOW_TRACKING_URI={server}\n"
            f"MLFLOW_TRACKING_USERNAME={user}\n"
            f"MLFLOW_TRACKING_PASSWORD={password}\n"
        )
    else:
        text = (
            f"# MLflow credentials for {user} on the cohort server. Put these lines in the team repo's .env\n"
            "# (git ignores it); never commit them or paste them into an issue.\n"
            f"MLFLOW_TRACKING_URI={server}\n"
            f"MLFLOW_TRACKING_USERNAME={user}\n"
            f"MLFLOW_TRACKING_PASSWORD={password}\n"
        )
    # Written private (0600) from the start: the file holds a password.
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    typer.echo(f"  {user:<24} new password in {env}; {rights}")


if __name__ == "__main__":
    app()
