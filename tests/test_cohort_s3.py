"""Cohort tier: object storage end to end, on an S3 API (moto's server) on 127.0.0.1.

The answer `dvc_remote: s3://bucket/prefix?endpoint=http(s)://host` gives a team repository its S3
settings: the baked .dvc/config holds the URL and the store's address, never keys; the pre-gen hook
refuses any other query and an endpoint that is not an http(s) URL.

Full tier, everything real: `cohort/trial.py`'s trial_server(s3=True) starts PostgreSQL, moto and
`server.py serve` with its artifacts in a bucket; `server.py add-teams` gives two teams their logins.
Each team logs a run with an artifact through the server, which lands in the bucket and comes back
the same; the other team may not read it. Each team's baked repository pushes a file with `make push`
(keys from its .env only) to its prefix of the DVC bucket, and a fresh clone gets the same bytes back.
"""

import base64
import configparser
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from bakery import TEMPLATE, bake
from teamrepo import run, team_env
from test_cohort import as_user, client, dotenv
from test_cohort_trial_stop import need_postgres

sys.path.insert(0, str(TEMPLATE / "cohort"))
from trial import trial_server  # noqa: E402

pytestmark = pytest.mark.cohort
full = pytest.mark.full

TEAMS = ("team-alpha", "team-beta")
ARTIFACT = "notes/hello.txt"
BIN = Path(sys.executable).parent  # the template's .venv: dvc with dvc-s3, and the course kit
ENDPOINT = "https://s3.example.edu"


def dvc_config(repo: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(repo / ".dvc" / "config", encoding="utf-8")
    return config


def storage(repo: Path) -> dict[str, str]:
    """The default remote's settings as written in the baked .dvc/config (quotes removed)."""
    section = dvc_config(repo)["'remote \"storage\"'"]
    return {key: value.strip('"') for key, value in section.items()}


# The answer, baked: no server needed.


def test_the_endpoint_goes_to_dvc_config_and_no_key_anywhere(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config, dvc_remote=f"s3://cohort-dvc/churn-radar?endpoint={ENDPOINT}")
    assert storage(repo) == {"url": "s3://cohort-dvc/churn-radar", "endpointurl": ENDPOINT}
    # DVC reads it so, and the team's environment gets DVC's S3 support.
    listed = subprocess.run(
        [BIN / "dvc", "config", "--list", "--project"], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    assert "remote.storage.url=s3://cohort-dvc/churn-radar" in listed
    assert f"remote.storage.endpointurl={ENDPOINT}" in listed
    assert '"dvc-s3' in (repo / "pyproject.toml").read_text(encoding="utf-8")
    example = (repo / ".env.example").read_text(encoding="utf-8")
    assert "# AWS_ACCESS_KEY_ID=" in example and "# AWS_SECRET_ACCESS_KEY=" in example


def test_a_plain_s3_remote_has_no_endpoint(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config, dvc_remote="s3://cohort-dvc/churn-radar")
    assert storage(repo) == {"url": "s3://cohort-dvc/churn-radar"}


BAD_REMOTES = [
    (
        "s3://cohort-dvc/team?region=eu-west-1",
        "dvc_remote has the query '?region=eu-west-1'; an s3:// remote takes only",
    ),
    (f"s3://cohort-dvc/team?endpoint={ENDPOINT}&region=x", "an s3:// remote takes only ?endpoint="),
    ("s3://cohort-dvc/team?", "dvc_remote has the query '?'"),
    ("s3://cohort-dvc/team?endpoint=ftp://files.example.edu", "dvc_remote's endpoint 'ftp://files.example.edu' is not"),
    ("s3://cohort-dvc/team?endpoint=s3.example.edu", "dvc_remote's endpoint 's3.example.edu' is not an http(s) URL"),
    ("s3://cohort-dvc/team?endpoint=", "dvc_remote's endpoint '' is not an http(s) URL"),
    ("s3://cohort-dvc/team?endpoint=https://s3.example.edu:port", "is not an http(s) URL"),
    ("s3://cohort-dvc/team?endpoint=https://key:secret@s3.example.edu", "dvc_remote's endpoint contains credentials"),
    ("s3://?endpoint=https://s3.example.edu", "names no bucket"),
    ("/srv/cohort-dvc?endpoint=https://s3.example.edu", "which only an s3:// remote takes"),
]


@pytest.mark.parametrize(("remote", "message"), BAD_REMOTES, ids=[remote for remote, _ in BAD_REMOTES])
def test_a_bad_endpoint_answer_is_refused_with_one_line(tmp_path, cc_config, capfd, remote, message):
    from cookiecutter.exceptions import FailedHookException

    with pytest.raises(FailedHookException):
        bake(tmp_path / "out", cc_config, dvc_remote=remote)
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1 and message in lines[0], lines
    assert not any((tmp_path / "out").glob("*/*")), "a refused bake must not leave files"


# A real server with its artifacts on S3, and the teams' DVC remotes there.


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """PostgreSQL, moto and `server.py serve` (artifacts in moto's bucket); all stopped afterwards."""
    need_postgres()
    with trial_server(tmp_path_factory.mktemp("cohort-s3"), s3=True) as started:
        yield started


@pytest.fixture(scope="module")
def logins(server, tmp_path_factory) -> dict[str, dict[str, str]]:
    """The instructor's add-teams, for real: each team's .env values."""
    folder = tmp_path_factory.mktemp("cohort")
    (folder / "cohort.yaml").write_text(yaml.safe_dump({"teams": list(TEAMS)}))
    command = [sys.executable, str(TEMPLATE / "cohort" / "server.py"), "add-teams", str(folder / "cohort.yaml")]
    command += ["--out", str(folder / "credentials"), "--server", server.url]
    env = {**os.environ, "MLFLOW_AUTH_ADMIN_PASSWORD": server.admin_password}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return {team: dotenv(folder / "credentials" / f"{team}.env") for team in TEAMS}


@pytest.fixture(scope="module")
def logged(server, logins, tmp_path_factory) -> dict[str, tuple[str, str, bytes]]:
    """Each team, with its own login, logs a run with one artifact: team -> (experiment id, run id, bytes)."""
    mlflow = client(server)
    runs = {}
    for team in TEAMS:
        payload = f"{team} {secrets.token_hex(8)}\n".encode()
        source = tmp_path_factory.mktemp(team) / "hello.txt"
        source.write_bytes(payload)
        with as_user(logins[team]):
            experiment_id = mlflow.get_experiment_by_name(team).experiment_id
            run_id = mlflow.create_run(experiment_id).info.run_id
            mlflow.log_artifact(run_id, str(source), artifact_path=ARTIFACT.rsplit("/", 1)[0])
            mlflow.set_terminated(run_id)
        runs[team] = (experiment_id, run_id, payload)
    return runs


def artifact_url(server, experiment_id: str, run_id: str) -> str:
    """The server's artifact proxy address of ARTIFACT (the mlflow-artifacts:/ root is <experiment>/<run>/artifacts)."""
    return f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/{ARTIFACT}"


def fetch(url: str, login: dict[str, str], method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    user, password = login["MLFLOW_TRACKING_USERNAME"], login["MLFLOW_TRACKING_PASSWORD"]
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


@full
def test_each_teams_artifact_goes_through_the_server_into_the_bucket(server, logins, logged, tmp_path):
    mlflow = client(server)
    bucket = server.s3.client()
    for team, (experiment_id, run_id, payload) in logged.items():
        with as_user(logins[team]):
            back = mlflow.download_artifacts(run_id, ARTIFACT, str(tmp_path / team))
        assert Path(back).read_bytes() == payload
        key = f"mlflow/{experiment_id}/{run_id}/artifacts/{ARTIFACT}"
        listed = bucket.list_objects_v2(Bucket=server.s3.artifacts_bucket, Prefix=f"mlflow/{experiment_id}/")
        assert [item["Key"] for item in listed.get("Contents", [])] == [key]
        assert bucket.get_object(Bucket=server.s3.artifacts_bucket, Key=key)["Body"].read() == payload
    assert not (server.folder / "artifacts").exists(), "artifacts went to a local folder too"


@full
def test_a_team_cannot_read_or_write_another_teams_artifacts(server, logins, logged, tmp_path):
    from mlflow.exceptions import MlflowException

    experiment_id, run_id, payload = logged["team-alpha"]
    url = artifact_url(server, experiment_id, run_id)
    # The address is right: the owner reads the artifact through the proxy.
    assert fetch(url, logins["team-alpha"]) == (200, payload)
    # The other team is refused by the proxy itself (the path's experiment), and by the client.
    status, _ = fetch(url, logins["team-beta"])
    assert status == 403
    assert fetch(url, logins["team-beta"], "PUT", b"overwritten")[0] == 403
    with as_user(logins["team-beta"]), pytest.raises(MlflowException) as refused:
        client(server).download_artifacts(run_id, ARTIFACT, str(tmp_path))
    assert refused.value.get_http_status_code() == 403
    key = f"mlflow/{experiment_id}/{run_id}/artifacts/{ARTIFACT}"
    assert server.s3.client().get_object(Bucket=server.s3.artifacts_bucket, Key=key)["Body"].read() == payload


def without_keys(repo: Path) -> dict[str, str]:
    """The team's environment without AWS keys, nor ~/.aws files: the keys may come from its .env only."""
    env = {name: value for name, value in team_env(repo).items() if not name.startswith("AWS_")}
    nowhere = str(repo / "no-aws-files-here")
    return {**env, "AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_CONFIG_FILE": nowhere}


def checked(done: subprocess.CompletedProcess, what: str) -> None:
    assert done.returncode == 0, f"{what}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@full
def test_each_team_pushes_to_its_prefix_and_a_fresh_clone_pulls_the_same_bytes(server, tmp_path, cc_config):
    store = server.s3
    bucket = store.client()
    keys = "".join(f"{name}={value}\n" for name, value in store.env.items())
    for team in TEAMS:
        repo = bake(tmp_path / "teams", cc_config, project_slug=team, dvc_remote=store.dvc_remote(team))
        assert storage(repo) == {"url": f"s3://{store.dvc_bucket}/{team}", "endpointurl": store.endpoint}
        (repo / ".env").write_text(keys)
        assert run(repo, "git", "check-ignore", ".env").returncode == 0
        data = secrets.token_bytes(4096)
        (repo / "data" / "shared.bin").write_bytes(data)
        run(repo, str(BIN / "dvc"), "add", "data/shared.bin")
        run(repo, "git", "add", "data/shared.bin.dvc", "data/.gitignore")
        run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "Add shared.bin")
        # As the team does it: `make push` (the template's .venv stands in for the team's: no install).
        push = ["make", "push", f"BIN={BIN}"]
        done = subprocess.run(push, cwd=repo, env=without_keys(repo), capture_output=True, text=True, timeout=300)
        checked(done, "make push")
        listed = bucket.list_objects_v2(Bucket=store.dvc_bucket, Prefix=f"{team}/")
        assert [item["Key"] for item in listed.get("Contents", [])], f"nothing under {team}/ in the DVC bucket"
        # A teammate: a fresh clone (no cache, no data), the keys in its own .env.
        clone = tmp_path / "clones" / team
        run(tmp_path, "git", "clone", "-q", str(repo), str(clone))
        assert not (clone / "data" / "shared.bin").exists()
        (clone / ".env").write_text(keys)
        # Without make, as docs/cohort.md says: the .env into the shell first. (`make pull` would also
        # try the pipeline's outputs, which this repository never ran.)
        pull = f"set -a; . ./.env; set +a; {BIN / 'dvc'} pull data/shared.bin.dvc"
        done = subprocess.run(
            ["bash", "-c", pull], cwd=clone, env=without_keys(clone), capture_output=True, text=True, timeout=300
        )
        checked(done, "dvc pull")
        assert (clone / "data" / "shared.bin").read_bytes() == data
    prefixes = {item["Key"].split("/", 1)[0] for item in bucket.list_objects_v2(Bucket=store.dvc_bucket)["Contents"]}
    assert prefixes == set(TEAMS)
