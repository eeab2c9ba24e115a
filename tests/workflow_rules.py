"""The checkpoint's trust model as static rules over GitHub Actions workflows (parsed YAML).

`violations(file, workflow, side=..., kit_version=...)` returns one line per violation, naming the
file, the job and the step. The rules (design.md, "Trust"; stack-notes.md, "GitHub Actions facts"):

1. A job that references the holdout secret (`secrets.CAPSTONE_HOLDOUT_*`), the grader's login to the
   cohort server (`secrets.CAPSTONE_RESULTS_*`), or the whole `secrets` context, names
   `environment: holdout`: environment secrets reach only jobs that name the
   environment, and its required reviewers (the mentors) hold such a job until they approve.
2. Such a job runs no team code: no `make`, nothing from `.venv/`, no `uv run`/`uv sync`, no Python
   but `"$GRADER/bin/python" -m capstone.checkpoints.ci`, no capstone but `"$GRADER/bin/capstone"`,
   no `dvc`, `pre-commit`, `pytest`, no script or shell from the checkout, no `pip install -e .`,
   no `sudo`, no local action (`uses: ./...`).
3. Such a job downloads no artifact that a job running team code uploaded (nor one of another run,
   or one no job of the workflow uploads), except those in ARTIFACT_ALLOWLIST.
4. A reusable workflow (`on: workflow_call`) installs capstone-kit by version or at the course's
   ref, checks the installed version against KIT_VERSION in the same step, installs it before a step
   uses "$GRADER/bin/", and never touches the team's lock (`uv sync`, `uv pip install -r`,
   `--locked`, `uv.lock`, `.venv/bin/capstone`), except in the grading job's command that hands the
   team's checkout to `"$GRADER/bin/capstone" grade run` (the grader builds the team's environment
   for the team's code, as the team's user). Its KIT_VERSION is kit/pyproject.toml's version;
   KIT_VERSION and KIT_INDEX_URL are literals of the workflow's `env:` that no job or step sets again.
5. A reusable workflow takes nothing from its caller: no `on.workflow_call.inputs`, no
   `on.workflow_call.secrets`. The course's repository and commit come from GitHub's OIDC token: the
   stage job's step `course` reads its `job_workflow_ref` and `job_workflow_sha` claims (from
   ACTIONS_ID_TOKEN_REQUEST_URL, which no `env:` sets) and checks both with `grep -Eq '^...$'` before
   writing the outputs `repository` and `sha`. An install at the course's ref takes COURSE_REPOSITORY
   and COURSE_REF from `steps.course.outputs.*` (stage job, after the `course` step) or from
   `needs.stage.outputs.course-*` (a job that needs stage, whose outputs are the `course` step's):
   never `inputs.*`, a literal or a `github.*` value. Only the stage job may have `id-token: write`
   (its own, or inherited from the workflow or the caller), and never a job that runs team code.
6. A team workflow never references the holdout secret, and calls the course's checkpoint as
   `uses: <owner>/<name>/.github/workflows/checkpoint.yml@<40-hex sha>`, passing no `with:` and no
   secrets, with the job's permissions exactly contents: read, pull-requests: read, id-token: write
   (the course's stage job reads its OIDC token). The team's checkpoint.yml is such a caller.

Beyond these, uv_config_violations: a job holding the secret runs uv with --no-config (uv run in the
team's checkout reads the team's pyproject.toml [tool.uv] and uv.toml). test_workflow_trust.py marks
the course's workflow as breaking it (xfail) until the workflow changes.

The shell is read approximately (simple commands split at ; && || | & $( ` ( and newlines, leading
keywords and assignments skipped): good enough for the workflows this project writes, and strict
where it is unsure (a shell string, an unknown download, a relative path).
"""

import json
import re
from collections.abc import Iterator

HOLDOUT_ENVIRONMENT = "holdout"
# GitHub's contexts are case-insensitive; `secrets['X']` and `toJSON(secrets)` reach the secret too.
SECRET_REFERENCE = re.compile(
    r"secrets\s*(?:\.\s*CAPSTONE_(?:HOLDOUT|RESULTS)_|\[\s*['\"]CAPSTONE_(?:HOLDOUT|RESULTS)_)|toJSON\(\s*secrets\s*\)",
    re.IGNORECASE,
)

# Artifacts a job holding the secret may download although a job that ran team code uploaded them:
# (job id in the course's reusable workflow, artifact name).
ARTIFACT_ALLOWLIST = {
    # The scoring job needs the champion's answers on the holdout's features, which only the grading job
    # (where the team's model runs) can produce. They travel as data: arrays read with
    # numpy.load(allow_pickle=False) and JSON, never code, so the secret's job runs nothing the team wrote.
    ("score", "checkpoint-graded"),
    # The recording job logs the final report, which the grader (not the team's user) wrote in its own
    # folder; it is read as JSON and uploaded as files, never run.
    ("record", "checkpoint-report"),
}

GRADER_BIN = re.compile(r"^\$(?:GRADER|\{GRADER\})/bin/")
GRADER_USE = re.compile(r"\$(?:GRADER|\{GRADER\})/bin/")
CI_HELPER = re.compile(r"^-m\s+capstone\.checkpoints\.ci(?:\s|$)")
PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "source", ".", "eval"}
# Words before a command that leave the command to run (a prefix, not the command itself).
PREFIXES = {"if", "then", "do", "else", "elif", "while", "until", "!", "{", "time", "exec", "command", "nohup", "env"}
# Anywhere in a script of a job that holds the secret: the team's environment or tools.
TEAM_CODE_ANYWHERE = [
    (re.compile(r"\.venv/"), "uses the team's .venv/"),
    (re.compile(r"\buv\s+(?:--?\S+\s+)*(?:tool\s+)?(?:run|sync)\b"), "runs `uv run`/`uv sync` (the team's project)"),
    (re.compile(r"\bdvc\s+\w"), "runs dvc (the team's pipeline)"),
    (re.compile(r"\bpre-commit\b"), "runs pre-commit (the team's hooks)"),
    (re.compile(r"\bpytest\b"), "runs pytest (the team's tests)"),
    (re.compile(r"\bgh\s+run\s+download\b"), "downloads artifacts with gh (producer unknown)"),
]
KIT_INSTALLS = (
    "capstone-kit==$KIT_VERSION",
    "capstone-kit @ git+https://github.com/$COURSE_REPOSITORY@$COURSE_REF",
)
VERSION_CHECK = re.compile(r'test "\$\("\$GRADER/bin/capstone" --version\)" = "capstone-kit \$KIT_VERSION"')
# Where an install at the course's ref takes the course's repository and commit: in the stage job, from
# its `course` step (GitHub's OIDC token); in the other jobs, from the stage job's outputs.
STAGE_JOB = "stage"
COURSE_STEP = "course"
COURSE_FROM_STEP = {"COURSE_REPOSITORY": "steps.course.outputs.repository", "COURSE_REF": "steps.course.outputs.sha"}
COURSE_FROM_STAGE = {
    "COURSE_REPOSITORY": "needs.stage.outputs.course-repository",
    "COURSE_REF": "needs.stage.outputs.course-sha",
}
STAGE_OUTPUTS = {"course-repository": "steps.course.outputs.repository", "course-sha": "steps.course.outputs.sha"}
# What the `course` step reads: the token's request URL and the two claims that name the called workflow.
OIDC_WORDS = ("ACTIONS_ID_TOKEN_REQUEST_URL", "job_workflow_ref", "job_workflow_sha")
# The step's outputs, and values their `grep -Eq` regex must accept and refuse.
COURSE_OUTPUTS = {
    "repository": (
        ["my-course/ml-capstone", "uni-x/capstone.course_2"],
        ["evil/fork/x", "my-course/ml-capstone@main", "a b/c", "../x", "x", ""],
    ),
    "sha": (
        ["0123456789abcdef0123456789abcdef01234567"],
        ["main", "0123456789abcdef", "0123456789abcdef0123456789abcdef012345678", "v0.2.0", ""],
    ),
}
OUTPUT_WRITE = re.compile(r'\b(?:echo|printf)\s+(?:\'[^\']*\'\s+)?"(?P<name>\w+)=\$\{?(?P<var>\w+)\}?"')
# The course's settings: literals in the workflow's env:, never set again by a job or a step.
COURSE_SETTINGS = ("KIT_VERSION", "KIT_INDEX_URL")
CALLER_PERMISSIONS = {"contents": "read", "pull-requests": "read", "id-token": "write"}
TEAM_LOCK = [
    (re.compile(r"\buv\s+sync\b"), "uv sync"),
    (re.compile(r"\buv\s+pip\s+(?:install|sync)\b[^\n]*\s(?:-r|--requirements?)[\s=]"), "uv pip install -r"),
    (re.compile(r"\buv\s+pip\s+sync\b"), "uv pip sync"),
    (re.compile(r"--locked\b"), "--locked"),
    (re.compile(r"\buv\.lock\b"), "uv.lock"),
    (re.compile(r"\.venv/bin/capstone\b"), ".venv/bin/capstone"),
]
# The grading job's hand-over to the grader, the one command where the team's lock may be named.
GRADE_RUN = re.compile(r'"\$GRADER/bin/capstone" grade run ')
CALLER = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)/\.github/workflows/checkpoint\.yml@(?P<ref>\S+)$")
SHA = re.compile(r"^[0-9a-f]{40}$")


# --- reading a workflow ------------------------------------------------------------------------


def triggers(workflow: dict) -> dict:
    """The `on:` of a workflow (PyYAML reads the key `on` as True), as a mapping."""
    on = workflow.get(True, workflow.get("on", {}))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def is_reusable(workflow: dict) -> bool:
    return "workflow_call" in triggers(workflow)


def strings(value) -> Iterator[str]:
    """Every key and string value in a parsed YAML value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif value is not None:
        yield str(value)


def holds_secret(job: dict) -> bool:
    return any(SECRET_REFERENCE.search(text) for text in strings(job))


def environment_name(job: dict) -> str | None:
    environment = job.get("environment")
    if isinstance(environment, dict):
        return environment.get("name")
    return environment


def step_label(index: int, step: dict) -> str:
    name = step.get("name") or step.get("uses") or (step.get("run") or "").strip().splitlines()[0][:60]
    return f"step {index + 1} ({name})"


def where(file: str, job_id: str | None = None, step: str | None = None) -> str:
    """file: job <id>: step <n> (<name>), as far as known."""
    if job_id is None:
        return f"{file}: (workflow)"
    return f"{file}: job {job_id}" + (f": {step}" if step else "")


def logical_lines(script: str) -> list[str]:
    """The script's lines with continuations joined and comment lines dropped."""
    joined = re.sub(r"\\\n", " ", script)
    return [line for line in joined.splitlines() if not line.lstrip().startswith("#")]


def simple_commands(script: str) -> list[str]:
    """The script's simple commands: split at ; && || | & ( ) and newlines outside quotes; each command
    substitution ($(...) or `...`, also inside double quotes) is a command of its own."""
    text = script.replace("\\\n", " ")
    found: list[str] = []
    stack = [{"buf": [], "quote": None, "tick": False}]

    def flush(context: dict) -> None:
        segment = "".join(context["buf"]).strip()
        if segment:
            found.append(segment)
        context["buf"] = []

    i = 0
    while i < len(text):
        context, char = stack[-1], text[i]
        if context["quote"] == "'":
            context["buf"].append(char)
            context["quote"] = None if char == "'" else "'"
            i += 1
        elif char == "\\":
            context["buf"].append(text[i : i + 2])
            i += 2
        elif text.startswith("$(", i) or (char == "`" and not context["tick"]):
            context["buf"].append("$SUBSTITUTION")
            stack.append({"buf": [], "quote": None, "tick": char == "`"})
            i += 1 if char == "`" else 2
        elif len(stack) > 1 and context["quote"] is None and char == ("`" if context["tick"] else ")"):
            flush(stack.pop())
            i += 1
        elif context["quote"] == '"':
            context["buf"].append(char)
            context["quote"] = None if char == '"' else '"'
            i += 1
        elif char in "\"'":
            context["quote"] = char
            context["buf"].append(char)
            i += 1
        elif char == "#" and (not context["buf"] or context["buf"][-1].isspace()):
            while i < len(text) and text[i] != "\n":  # a comment
                i += 1
        else:
            separator = next(
                (sep for sep in ("&&", "||", ";", "|", "&", "\n", "(", ")") if text.startswith(sep, i)), None
            )
            if separator:
                flush(context)
                i += len(separator)
            else:
                context["buf"].append(char)
                i += 1
    while stack:
        flush(stack.pop())
    return found


def commands(script: str) -> Iterator[tuple[str, str]]:
    """(command word without quotes, the rest of its simple command) for each simple command."""
    for rest in simple_commands(script):
        while True:  # skip prefixes and assignments (VAR=value command)
            match = re.match(r"""(?:"[^"]*"|'[^']*'|[^\s"']+)+""", rest)
            if not match:
                break
            word = match.group(0)
            if word in PREFIXES or re.fullmatch(r"[A-Za-z_]\w*=.*", word, re.S):
                rest = rest[match.end() :].lstrip()
                continue
            yield word.replace('"', "").replace("'", ""), rest[match.end() :].strip()
            break


def installs_team_package(rest: str) -> bool:
    """`pip install` (pip's or uv's) of the checkout: -e, ., ./path, -r requirements."""
    words = rest.split()
    if "install" not in words:
        return False
    after = words[words.index("install") + 1 :]
    return any(
        word in (".", "-e", "--editable", "-r", "--requirement") or word.startswith(("./", "-e.", "--editable="))
        for word in after
    )


def team_code(script: str) -> list[str]:
    """What in a `run:` script executes the team's code (or might: a shell string, a relative path)."""
    found = [message for pattern, message in TEAM_CODE_ANYWHERE if pattern.search("\n".join(logical_lines(script)))]
    for word, rest in commands(script):
        base = word.rsplit("/", 1)[-1]
        if base in ("make", "gmake"):
            found.append("runs `make` (the team's Makefile)")
        elif base == "sudo":
            found.append("runs sudo")
        elif base == "dvc":
            found.append("runs dvc (the team's pipeline)")
        elif base in ("tox", "nox"):
            found.append(f"runs {base} (the team's tools)")
        elif base in SHELLS:
            found.append(f"runs a shell script or string ({word} {rest[:40]})".rstrip())
        elif PYTHON.match(base):
            if not (GRADER_BIN.match(word) and CI_HELPER.match(rest)):
                shown = " ".join(rest.split()[:2])
                found.append(f'runs `{word} {shown}` (only "$GRADER/bin/python" -m capstone.checkpoints.ci)')
        elif base == "capstone":
            if not GRADER_BIN.match(word):
                found.append(f'runs {word} (only the course\'s grader, "$GRADER/bin/capstone")')
        elif base in ("pip", "pip3") or (base == "uv" and rest.startswith("pip")):
            if installs_team_package(rest):
                found.append(f"installs the checkout ({word} {rest[:40]})")
        elif word.startswith(("./", "../")) or ("/" in word and not word.startswith(("/", "$", "~"))):
            found.append(f"runs a file from the checkout ({word})")
    return list(dict.fromkeys(found))


def uses_of(steps: list[dict], action: str) -> Iterator[tuple[int, dict]]:
    for index, step in enumerate(steps):
        if str(step.get("uses", "")).startswith(f"actions/{action}@"):
            yield index, step


def runs_team_code(job: dict) -> bool:
    if str(job.get("uses", "")).startswith("./"):
        return True
    steps = job.get("steps") or []
    return any(team_code(step.get("run") or "") or str(step.get("uses", "")).startswith("./") for step in steps)


def expression(value) -> str | None:
    """The expression of a value that is one `${{ ... }}` and nothing else; None for anything else."""
    match = re.fullmatch(r"\$\{\{\s*(.*?)\s*\}\}", str(value).strip(), re.S)
    return match.group(1) if match else None


def shown(source: str) -> str:
    return "${{ " + source + " }}"


def needed(job: dict) -> list[str]:
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def id_token_write(workflow: dict, job: dict) -> str | None:
    """Where a job of a reusable workflow gets `id-token: write` from, or None if it has not got it.

    A job without permissions has the workflow's; a reusable workflow without them has its caller's
    (the team's caller grants id-token: write to the stage job's token)."""
    if "permissions" in job:
        permissions, source = job["permissions"], "its permissions"
    elif "permissions" in workflow:
        permissions, source = workflow["permissions"], "the workflow's permissions"
    else:
        return "the caller's permissions: neither the job nor the workflow sets any"
    if permissions == "write-all" or (isinstance(permissions, dict) and permissions.get("id-token") == "write"):
        return source
    return None


# --- the rules ---------------------------------------------------------------------------------


def secret_job_rules(file: str, workflow: dict, reusable: bool) -> list[str]:
    """Rules 1-3: the jobs that hold the secret name the environment, run no team code, take no team files."""
    problems = []
    jobs = workflow.get("jobs") or {}
    uploaded: dict[str, set[str]] = {}
    for job_id, job in jobs.items():
        for _, step in uses_of(job.get("steps") or [], "upload-artifact"):
            uploaded.setdefault(str((step.get("with") or {}).get("name", "artifact")), set()).add(job_id)
    team_jobs = {job_id for job_id, job in jobs.items() if runs_team_code(job)}
    for job_id, job in jobs.items():
        if not holds_secret(job):
            continue
        if environment_name(job) != HOLDOUT_ENVIRONMENT:
            problems.append(
                f"{where(file, job_id)}: references secrets.CAPSTONE_HOLDOUT_ but is not bound to "
                f"`environment: {HOLDOUT_ENVIRONMENT}` (environment: {job.get('environment')!r})"
            )
        if str(job.get("uses", "")).startswith("./"):
            problems.append(f"{where(file, job_id)}: holds the secret and calls a local workflow ({job['uses']})")
        steps = job.get("steps") or []
        for index, step in enumerate(steps):
            label = step_label(index, step)
            if str(step.get("uses", "")).startswith("./"):
                problems.append(
                    f"{where(file, job_id, label)}: holds the secret and uses a local action ({step['uses']})"
                )
            for message in team_code(step.get("run") or ""):
                problems.append(f"{where(file, job_id, label)}: holds the secret and {message}")
        for index, step in uses_of(steps, "download-artifact"):
            label = step_label(index, step)
            options = step.get("with") or {}
            if "run-id" in options:
                problems.append(f"{where(file, job_id, label)}: holds the secret and downloads another run's artifact")
                continue
            names = [str(options["name"])] if "name" in options else sorted(uploaded)
            if "name" not in options and "pattern" not in options and not names:
                problems.append(f"{where(file, job_id, label)}: holds the secret and downloads every artifact")
            for name in names:
                producers = uploaded.get(name, set())
                if not producers:
                    problems.append(
                        f"{where(file, job_id, label)}: holds the secret and downloads artifact {name!r}, "
                        "which no job of this workflow uploads"
                    )
                elif producers & team_jobs and not (reusable and (job_id, name) in ARTIFACT_ALLOWLIST):
                    problems.append(
                        f"{where(file, job_id, label)}: holds the secret and downloads artifact {name!r}, uploaded by "
                        f"a job that runs team code ({', '.join(sorted(producers & team_jobs))})"
                    )
    return problems


def reusable_rules(file: str, workflow: dict, kit_version: str | None) -> list[str]:
    """Rule 4: the course's grader, installed by version or at the course ref, checked, never the team's lock;
    the course's settings are the workflow's literals. Rule 5's install sources (see course_rules)."""
    problems = []
    jobs = workflow.get("jobs") or {}
    settings = workflow.get("env") or {}
    installs_kit = "capstone-kit" in json.dumps(jobs)
    if installs_kit and kit_version is not None:
        declared = settings.get("KIT_VERSION")
        if str(declared) != kit_version:
            problems.append(
                f"{where(file)}: env KIT_VERSION is {declared!r}, kit/pyproject.toml's version is {kit_version!r}"
            )
    for name in COURSE_SETTINGS:
        if name in settings and "${{" in str(settings[name]):
            problems.append(
                f"{where(file)}: env {name} is {settings[name]!r}, an expression (the course's settings are "
                "literals of this file: nothing of the caller's may choose them)"
            )
    for job_id, job in jobs.items():
        steps = job.get("steps") or []
        for name in COURSE_SETTINGS:
            if name in (job.get("env") or {}):
                problems.append(f"{where(file, job_id)}: sets its own {name} (the workflow's is the course's)")
        installed_at = None
        for index, step in enumerate(steps):
            label = step_label(index, step)
            script = step.get("run") or ""
            env = step.get("env") or {}
            for name in COURSE_SETTINGS:
                if name in env:
                    problems.append(
                        f"{where(file, job_id, label)}: sets its own {name} (the workflow's is the course's)"
                    )
            lines = logical_lines(script)
            kit_lines = [number for number, line in enumerate(lines) if "capstone-kit" in line and "install" in line]
            for number in kit_lines:
                if not any(form in lines[number] for form in KIT_INSTALLS):
                    problems.append(
                        f"{where(file, job_id, label)}: installs capstone-kit neither as capstone-kit==$KIT_VERSION "
                        f"nor at the course's ref: {lines[number].strip()}"
                    )
            if kit_lines:
                if not any(VERSION_CHECK.search(line) for line in lines[kit_lines[-1] + 1 :]):
                    problems.append(f"{where(file, job_id, label)}: installs capstone-kit without checking its version")
                problems += install_source_rules(file, job_id, job, index, step)
                installed_at = index if installed_at is None else installed_at
            elif GRADER_USE.search(script) and installed_at is None:
                problems.append(f"{where(file, job_id, label)}: runs the grader before installing it")
            for command in simple_commands(script):
                if job_id == "grade" and GRADE_RUN.search(command):
                    continue  # this command only, not the rest of its line
                for pattern, lock in TEAM_LOCK:
                    if pattern.search(command):
                        problems.append(f"{where(file, job_id, label)}: installs or runs from the team's lock ({lock})")
    return list(dict.fromkeys(problems))


def install_source_rules(file: str, job_id: str, job: dict, index: int, step: dict) -> list[str]:
    """Rule 5, for a step that installs capstone-kit: COURSE_REPOSITORY and COURSE_REF, where its script
    uses them, are the `course` step's outputs (stage job) or the stage job's (any other job)."""
    problems = []
    at = where(file, job_id, step_label(index, step))
    script, env = step.get("run") or "", step.get("env") or {}
    expected = COURSE_FROM_STEP if job_id == STAGE_JOB else COURSE_FROM_STAGE
    used = [variable for variable in expected if re.search(rf"\$\{{?{variable}\b", script)]
    for variable in used:
        if expression(env.get(variable)) != expected[variable]:
            problems.append(f"{at}: {variable} is {env.get(variable)!r}, not {shown(expected[variable])}")
        if re.search(rf"\b{variable}=", script):
            problems.append(f"{at}: sets {variable} in its script (it is {shown(expected[variable])})")
    if used and job_id == STAGE_JOB:
        if not any(earlier.get("id") == COURSE_STEP for earlier in (job.get("steps") or [])[:index]):
            problems.append(f"{at}: installs at the course's ref before the `{COURSE_STEP}` step has read it")
    elif used and STAGE_JOB not in needed(job):
        problems.append(f"{at}: takes the course's ref from needs.stage, but the job does not need {STAGE_JOB}")
    return problems


def course_rules(file: str, workflow: dict) -> list[str]:
    """Rule 5: the reusable workflow takes nothing from its caller; the course's repository and commit come
    from GitHub's OIDC token (the `course` step); only the stage job may get that token."""
    problems = []
    call = triggers(workflow).get("workflow_call")
    for key in ("inputs", "secrets"):
        if isinstance(call, dict) and key in call:
            names = ", ".join(map(str, call[key] or {})) or "none"
            problems.append(
                f"{where(file)}: declares {key} (on.workflow_call.{key}: {names}): the course's workflow takes "
                "nothing from its caller, whose pull request could change it"
            )
    jobs = workflow.get("jobs") or {}
    for job_id, job in jobs.items():
        for index, step in enumerate(job.get("steps") or []):
            if step.get("id") == COURSE_STEP:
                problems += course_step_rules(file, workflow, job_id, job, index, step)
    if "needs.stage.outputs.course-" in json.dumps(jobs):
        stage = jobs.get(STAGE_JOB) or {}
        outputs = stage.get("outputs") or {}
        for name, source in STAGE_OUTPUTS.items():
            if expression(outputs.get(name)) != source:
                problems.append(
                    f"{where(file, STAGE_JOB)}: output {name} is {outputs.get(name)!r}, not {shown(source)}"
                )
        if not any(step.get("id") == COURSE_STEP for step in stage.get("steps") or []):
            problems.append(
                f"{where(file, STAGE_JOB)}: other jobs take the course's ref from it, but it has no "
                f"`{COURSE_STEP}` step"
            )
    for job_id, job in jobs.items():
        source = id_token_write(workflow, job)
        if source is None:
            continue
        if runs_team_code(job):
            problems.append(
                f"{where(file, job_id)}: runs team code with id-token: write ({source}): the team's code could "
                "get an OIDC token in the course workflow's name"
            )
        elif job_id != STAGE_JOB:
            problems.append(
                f"{where(file, job_id)}: has id-token: write ({source}); only the {STAGE_JOB} job reads the "
                "course's OIDC token"
            )
    return list(dict.fromkeys(problems))


def course_step_rules(file: str, workflow: dict, job_id: str, job: dict, index: int, step: dict) -> list[str]:
    """The `course` step: reads the two claims from GitHub's OIDC token, and checks each output it writes
    (`grep -Eq '^...$'` alone on its line, before the write, in a step that stops at a failure)."""
    problems = []
    at = where(file, job_id, step_label(index, step))
    script = step.get("run") or ""
    for word in OIDC_WORDS:
        if word not in script:
            problems.append(
                f"{at}: the {COURSE_STEP} step does not read {word} (the course's repository and commit "
                "come from GitHub's OIDC token)"
            )
    for scope, env in (
        ("the workflow", workflow.get("env")),
        ("the job", job.get("env")),
        ("the step", step.get("env")),
    ):
        for key in env or {}:
            if str(key).upper().startswith("ACTIONS_ID_TOKEN_REQUEST"):
                problems.append(f"{at}: {scope} sets {key} (the token must be the runner's, from GitHub)")
    if step.get("continue-on-error") not in (None, False):
        problems.append(f"{at}: continue-on-error: the job goes on when the {COURSE_STEP} step's checks fail")
    if step.get("shell") not in (None, "bash") or re.search(r"\bset\s+\+\w*e", script):
        problems.append(f"{at}: the {COURSE_STEP} step does not stop at a failed check (bash -e)")
    lines = logical_lines(script)
    writes = [
        (number, match["name"], match["var"])
        for number, line in enumerate(lines)
        for match in OUTPUT_WRITE.finditer(line)
    ]
    if "GITHUB_OUTPUT" not in script:
        problems.append(f"{at}: the {COURSE_STEP} step writes no outputs (GITHUB_OUTPUT)")
    for name, (good, bad) in COURSE_OUTPUTS.items():
        found = [(number, var) for number, output, var in writes if output == name]
        if not found:
            problems.append(f"{at}: the {COURSE_STEP} step writes no output {name}")
        for number, var in found:
            check = re.compile(
                rf"""^(?:printf\s+'%s\\n'|echo)\s+"\$\{{?{var}\}}?"\s*\|\s*grep\s+-Eq\s+'(?P<regex>[^']*)'$"""
            )
            regexes = [match["regex"] for line in lines[:number] if (match := check.match(line.strip()))]
            if not regexes:
                problems.append(
                    f"{at}: writes the output {name} without checking ${var} first "
                    f"(printf '%s\\n' \"${var}\" | grep -Eq '^...$', alone on its line)"
                )
                continue
            wrong = [regex for regex in regexes if regex_faults(regex, good, bad)]
            if len(wrong) == len(regexes):
                problems.append(f"{at}: the check of ${var} ({name}) {regex_faults(wrong[-1], good, bad)}")
    return problems


def regex_faults(regex: str, good: list[str], bad: list[str]) -> str | None:
    """What is wrong with a `grep -Eq` regex for one of the course step's outputs (None: nothing)."""
    if not (regex.startswith("^") and regex.endswith("$")):
        return f"'{regex}' is not anchored (^...$)"
    try:
        compiled = re.compile(regex)
    except re.error:
        return f"'{regex}' is not a regex this test reads"
    refused = [value for value in good if not compiled.search(value)]
    accepted = [value for value in bad if compiled.search(value)]
    if refused:
        return f"'{regex}' refuses {refused[0]!r}"
    if accepted:
        return f"'{regex}' accepts {accepted[0]!r}"
    return None


def team_rules(file: str, workflow: dict) -> list[str]:
    """Rule 6: no holdout secret on the team's side; the caller pinned to a commit of the course, passing
    nothing, with exactly the permissions the course's jobs need."""
    problems = []
    jobs = workflow.get("jobs") or {}
    callers = 0
    for job_id, job in jobs.items():
        if holds_secret(job):
            problems.append(
                f"{where(file, job_id)}: a team workflow references secrets.CAPSTONE_HOLDOUT_ (the secret exists "
                "only in the environment the course's jobs name)"
            )
        uses = str(job.get("uses", ""))
        if not uses.endswith("checkpoint.yml") and "/.github/workflows/checkpoint.yml@" not in uses:
            continue
        callers += 1
        if "with" in job:
            names = ", ".join(map(str, job["with"] or {})) or "nothing"
            problems.append(
                f"{where(file, job_id)}: passes inputs to the course's workflow (with: {names}); it takes none: "
                "only the `uses:` line chooses the grader"
            )
        if "secrets" in job:
            problems.append(f"{where(file, job_id)}: passes secrets to the course's workflow (it needs none)")
        if job.get("permissions") != CALLER_PERMISSIONS:
            problems.append(
                f"{where(file, job_id)}: permissions are {job.get('permissions')!r}, not exactly {CALLER_PERMISSIONS!r}"
            )
        match = CALLER.match(uses)
        if not match:
            problems.append(
                f"{where(file, job_id)}: calls {uses!r}, not <owner>/<name>/.github/workflows/checkpoint.yml@<sha>"
            )
        elif not SHA.match(match["ref"]):
            problems.append(
                f"{where(file, job_id)}: the course's workflow is pinned to {match['ref']!r}, not a 40-hex commit sha"
            )
    if file.rsplit("/", 1)[-1] == "checkpoint.yml" and not callers:
        problems.append(f"{where(file)}: the team's checkpoint.yml does not call the course's checkpoint workflow")
    return problems


def violations(file: str, workflow: dict, *, side: str, kit_version: str | None = None) -> list[str]:
    """Every violation of the rules in `workflow` (read from `file`); `side` is "course" or "team"."""
    assert side in ("course", "team"), side
    reusable = is_reusable(workflow)
    problems = secret_job_rules(file, workflow, reusable=side == "course" and reusable)
    if reusable:
        problems += reusable_rules(file, workflow, kit_version)
        problems += course_rules(file, workflow)
    if side == "team":
        problems += team_rules(file, workflow)
    return list(dict.fromkeys(problems))


# --- beyond the rules above: uv reads the checkout's configuration -------------------------------


def uv_config_violations(file: str, workflow: dict) -> list[str]:
    """uv run in the team's checkout reads its pyproject.toml [tool.uv] and uv.toml (indexes, find-links,
    Python downloads): a job that holds the secret must run uv with --no-config (or UV_NO_CONFIG)."""
    problems = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        if (
            not holds_secret(job)
            or "UV_NO_CONFIG" in (job.get("env") or {})
            or "UV_NO_CONFIG" in (workflow.get("env") or {})
        ):
            continue
        for index, step in enumerate(job.get("steps") or []):
            if "UV_NO_CONFIG" in (step.get("env") or {}) or "runner.temp" in str(step.get("working-directory")):
                continue
            for word, rest in commands(step.get("run") or ""):
                if word.rsplit("/", 1)[-1] == "uv" and "--no-config" not in rest:
                    problems.append(
                        f"{where(file, job_id, step_label(index, step))}: runs `uv {rest.split()[0]}` in the team's "
                        "checkout without --no-config (the team's pyproject.toml configures it)"
                    )
    return list(dict.fromkeys(problems))
