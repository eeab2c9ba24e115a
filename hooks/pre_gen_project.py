"""Check the answers before anything is written.

On a bad answer this prints exactly one line to stderr, starting with "ERROR:", that says which
answer is wrong and what is allowed, then exits 1. Cookiecutter then stops and prints its own
"Stopping generation" message (and a traceback) after ours; the first line is the one to read.

This file is a Jinja template (cookiecutter renders hooks), so the answers arrive once, as JSON,
on the line below; never paste an answer into Python source with quotes around it.
"""

import json
import keyword
import re
import sys
from urllib.parse import urlsplit

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")  # fmt: skip (tojson escapes ' so ''' is safe)

CHOICES = {
    "dataset": ["churn", "credit_default", "house_prices", "custom_csv"],
    "scaffold": ["skeleton", "reference"],
    "python_version": ["3.11", "3.12"],
    "license": ["MIT", "Apache-2.0", "none"],
}

# Import names the team's package must not take besides the standard library's: the generated
# project installs or uses these, and a package with the same name would shadow them on import.
# (`test` is CPython's own test suite, which sys.stdlib_module_names leaves out.)
RESERVED_IMPORT_NAMES = {
    "bentoml",
    "capstone",
    "docs",
    "dvc",
    "great_expectations",
    "gx",
    "mlflow",
    "numpy",
    "pandas",
    "pre_commit",
    "pydantic",
    "pytest",
    "rich",
    "ruff",
    "scipy",
    "sklearn",
    "src",
    "tabulate",
    "test",
    "tests",
    "typer",
    "yaml",
}

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# A GitHub user or organisation: 1-39 letters, digits or single inner dashes.
GITHUB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
GITHUB_USER = re.compile(rf"^@?{GITHUB_NAME}$")
GITHUB_USER_OR_TEAM = re.compile(rf"^@?{GITHUB_NAME}(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Schemes DVC can use as a remote (a path with no scheme is a local directory).
DVC_SCHEMES = {"azure", "gdrive", "gs", "hdfs", "http", "https", "oss", "s3", "ssh", "webdav", "webdavs", "webhdfs"}
MLFLOW_SCHEMES = {"databricks", "http", "https", "mssql", "mysql", "postgresql", "sqlite"}


class BadAnswer(Exception):
    """One answer is wrong; the message says which and what is allowed."""


def check_one_line(key, max_length):
    value = ANSWERS[key]
    if not value.strip():
        raise BadAnswer(f"{key} is empty; give some text (one line, at most {max_length} characters).")
    if CONTROL_CHARACTERS.search(value):
        raise BadAnswer(f"{key} contains a line break or control character; use one line of printable text.")
    if len(value) > max_length:
        raise BadAnswer(f"{key} is {len(value)} characters long; use at most {max_length}.")


def check_choice(key):
    if ANSWERS[key] not in CHOICES[key]:
        allowed = ", ".join(CHOICES[key])
        raise BadAnswer(f"{key} is {ANSWERS[key]!r}; choose one of: {allowed}.")


def check_slug():
    slug = ANSWERS["project_slug"]
    if not SLUG.match(slug):
        raise BadAnswer(
            f"project_slug {slug!r} is not a valid name; use lowercase letters, digits and single dashes, "
            "starting with a letter (for example 'churn-radar')."
        )


def check_package_name():
    name = ANSWERS["__package_name"]
    if not name.isidentifier() or keyword.iskeyword(name):
        raise BadAnswer(
            f"package name {name!r} (from project_slug) is not a Python identifier; choose another project_slug."
        )
    if name in sys.stdlib_module_names or name in RESERVED_IMPORT_NAMES:
        raise BadAnswer(
            f"package name {name!r} (from project_slug) would shadow the module {name!r} "
            "from the standard library or a dependency; choose another project_slug."
        )


def split_handles(value):
    return [part.strip() for part in value.split(",") if part.strip()]


def check_handles(key, pattern, required, what):
    handles = split_handles(ANSWERS[key])
    if required and not handles:
        raise BadAnswer(
            f"{key} is empty; give at least one {what}, comma-separated (for example 'ada,my-course/mentors')."
        )
    for handle in handles:
        if not pattern.match(handle):
            raise BadAnswer(
                f"{key} has {handle!r}, which is not a GitHub {what}; use comma-separated names like 'ada-lovelace'."
            )


def check_github_org():
    org = ANSWERS["github_org"]
    if not GITHUB_USER.match(org) or org.startswith("@"):
        raise BadAnswer(
            f"github_org {org!r} is not a GitHub organisation name; use letters, digits and single dashes (at most 39)."
        )


def scheme_of(url):
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    return match.group(1).lower() if match else None


def check_dvc_remote():
    remote = ANSWERS["dvc_remote"]
    if not remote.strip() or CONTROL_CHARACTERS.search(remote) or '"' in remote or "'" in remote:
        raise BadAnswer(
            f"dvc_remote {remote!r} is not usable; give a directory path or a DVC URL without quotes or line breaks."
        )
    scheme = scheme_of(remote)
    if scheme is not None and scheme not in DVC_SCHEMES:
        allowed = ", ".join(sorted(DVC_SCHEMES))
        raise BadAnswer(f"dvc_remote has the unknown scheme '{scheme}://'; use a directory path or one of: {allowed}.")
    if scheme is not None and ":" in remote.split("://", 1)[1].split("/", 1)[0].rpartition("@")[0]:
        # user:password@ (or key:secret@ for s3) would be committed in .dvc/config and the answers file
        raise BadAnswer(
            "dvc_remote contains credentials (user:password@), which would be committed; give the address without "
            "them and keep the secret out of git: for s3 in .env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
            "otherwise with `dvc remote modify --local storage password ...` (.dvc/config.local)."
        )
    if scheme == "s3":
        check_s3_remote(remote)
    elif "?endpoint=" in remote:
        raise BadAnswer(
            f"dvc_remote {remote!r} has ?endpoint=, which only an s3:// remote takes "
            "(s3://bucket/prefix?endpoint=https://s3.example.edu)."
        )


def check_s3_remote(remote):
    """s3://bucket/prefix, optionally ?endpoint=http(s)://host[:port] (an S3-compatible store); .dvc/config splits it.

    Nothing else may follow the "?": the keys come from the team's .env, never from an answer that is committed.
    """
    location, _, query = remote.partition("?")
    if not location[len("s3://") :].split("/", 1)[0]:
        raise BadAnswer(f"dvc_remote {remote!r} names no bucket; use s3://bucket/prefix.")
    if "?" not in remote:
        return
    if not query.startswith("endpoint=") or "&" in query:
        raise BadAnswer(
            f"dvc_remote has the query {'?' + query!r}; an s3:// remote takes only "
            "?endpoint=https://s3.example.edu (the address of an S3-compatible store)."
        )
    endpoint = query[len("endpoint=") :]
    parts = urlsplit(endpoint)
    try:
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        parts = parts._replace(netloc="")
    if "@" in parts.netloc:
        raise BadAnswer(
            "dvc_remote's endpoint contains credentials, which would be committed; give the store's address "
            "only and put the keys in .env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)."
        )
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(char in endpoint for char in " ?#$")
    ):
        raise BadAnswer(
            f"dvc_remote's endpoint {endpoint!r} is not an http(s) URL; "
            "give the store's address, for example s3://bucket/prefix?endpoint=https://s3.example.edu."
        )


def check_mlflow_uri():
    uri = ANSWERS["mlflow_tracking_uri"]
    if uri == "":
        return
    scheme = scheme_of(uri) or uri.split(":", 1)[0].lower()
    if CONTROL_CHARACTERS.search(uri) or any(char in uri for char in ' "$'):
        raise BadAnswer(
            "mlflow_tracking_uri contains spaces, quotes, '$' or control characters; give a URI such as http://host:5000."
        )
    if "@" in uri.split("://", 1)[-1].split("/", 1)[0]:
        raise BadAnswer(
            "mlflow_tracking_uri contains credentials, which would be committed; "
            "give the URI without them and put them in .env (MLFLOW_TRACKING_USERNAME/PASSWORD)."
        )
    if scheme == "file":
        raise BadAnswer(
            "mlflow_tracking_uri uses file:, which MLflow 3 no longer supports; leave it empty for sqlite or give http(s)://."
        )
    if scheme not in MLFLOW_SCHEMES:
        allowed = ", ".join(sorted(MLFLOW_SCHEMES))
        raise BadAnswer(
            f"mlflow_tracking_uri has the unknown scheme {scheme!r}; leave it empty or use one of: {allowed}."
        )


def check_kit_index_url():
    """Empty (the kit comes from the template's git repository) or the URL of a package index (PEP 503)."""
    url = ANSWERS["kit_index_url"]
    if url == "":
        return
    if CONTROL_CHARACTERS.search(url) or any(char in url for char in " \"'$"):
        raise BadAnswer(
            "kit_index_url contains spaces, quotes, '$' or control characters; give an index URL "
            "such as https://pypi.my-course.edu/simple/."
        )
    if scheme_of(url) not in {"http", "https", "file"}:
        raise BadAnswer(
            f"kit_index_url {url!r} is not an index URL; leave it empty or give an http(s):// or file:// URL."
        )
    if "@" in url.split("://", 1)[-1].split("/", 1)[0]:
        raise BadAnswer(
            "kit_index_url contains credentials, which would be committed; give the URL without them "
            "and let uv read them from the environment (UV_INDEX_COURSE_USERNAME/PASSWORD)."
        )


def check_course_repository():
    """Empty (the template's own GitHub repository) or owner/name on GitHub."""
    value = ANSWERS["course_repository"]
    if value == "":
        return
    owner, _, name = value.partition("/")
    if not GITHUB_USER.match(owner) or not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name) or name in {".", ".."}:
        raise BadAnswer(
            f"course_repository {value!r} is not a GitHub repository; give owner/name, "
            "for example 'my-course/ml-capstone', or leave it empty."
        )


def main():
    check_one_line("project_name", 80)
    check_one_line("description", 200)
    check_slug()
    check_package_name()
    check_github_org()
    check_handles("team_members", GITHUB_USER, required=False, what="user")
    check_handles("mentors", GITHUB_USER_OR_TEAM, required=True, what="user or org/team")
    for key in CHOICES:
        check_choice(key)
    check_dvc_remote()
    check_mlflow_uri()
    check_kit_index_url()
    check_course_repository()


if __name__ == "__main__":
    try:
        main()
    except BadAnswer as problem:
        print(f"ERROR: {problem}", file=sys.stderr)
        sys.exit(1)
