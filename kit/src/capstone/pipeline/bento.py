"""Pipeline stage `bento`: package the champion as a bento, ready to serve.

    python -m <package>.serving.build

1. find the champion: models:/<registered model>@champion in MLflow (version, run id, data version);
2. write its input contract (contract.py) from the training split: reports/input_schema.json;
3. import the champion into the project's BentoML store (.bentoml/), with the contract inside;
4. build a bento of service.py (no Docker; offline: no package lock against PyPI), labelled with the
   MLflow run id and the data version: reports/bento.json, plus reports/example_request.json for
   `make predict-example`.

Versions are content hashes, so a rerun with the same champion and code reuses what is in the store.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

from capstone.config import ConfigError, load_params
from capstone.dataset import load_schema
from capstone.pipeline import tracking
from capstone.serving import BOUNDS_MARGIN, MAX_RECORDS, MODEL_NAME, derive, record_model

CHAMPION = Path("reports/champion.json")
TRAIN = Path("data/split/train.csv")
TEST = Path("data/split/test.csv")
SCHEMA_OUT = Path("reports/input_schema.json")
EXAMPLE_OUT = Path("reports/example_request.json")
BENTO_OUT = Path("reports/bento.json")
ALIAS = "champion"
EXAMPLE_RECORDS = 2
SOURCE = Path("src")  # the team's package is src/<package>: what the bento carries


def run_stage() -> None:
    # Before bentoml is imported: the store lives in the repo, and nothing phones home.
    os.environ.setdefault("BENTOML_HOME", str(Path(".bentoml").resolve()))
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        params = load_params(Path("."))
    except ConfigError as problem:
        sys.exit(f"ERROR: {problem}")
    settings = params.model_extra.get("bento") or {}
    for path in (CHAMPION, TRAIN):
        if not path.is_file():
            sys.exit(f"ERROR: {path} not found; run the stages before bento first: dvc repro (or make pipeline)")

    import pandas as pd

    train = pd.read_csv(TRAIN)
    schema = load_schema(params)
    missing = [name for name in schema.feature_columns if name not in train.columns]
    if missing:
        sys.exit(f"ERROR: {TRAIN} lacks the feature columns {missing}; rerun the split stage: dvc repro split")
    contract = derive(
        schema,
        train,
        max_records=int(settings.get("max_records", MAX_RECORDS)),
        margin=float(settings.get("bounds_margin", BOUNDS_MARGIN)),
    )
    _write_json(SCHEMA_OUT, contract)
    example = _example(contract, pd.read_csv(TEST) if TEST.is_file() else train)
    _write_json(EXAMPLE_OUT, {"records": example})

    champion = _champion(params)
    print(f"Champion: {champion['model']} version {champion['version']} (run {champion['run_id']})")
    model = _import_model(champion, contract)
    bento = _build_bento(settings.get("name") or "champion_service", model, champion, params.project.package)
    _write_json(BENTO_OUT, {"tag": str(bento.tag), "model_tag": str(model.tag), "labels": dict(bento.info.labels)})
    print(f"Bento {bento.tag} in {os.environ['BENTOML_HOME']}; serve it with: make serve")


def _champion(params) -> dict:
    """The registered model version behind the champion alias, and its run's provenance tags."""
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or params.mlflow.tracking_uri)
    client = mlflow.MlflowClient()
    name = params.mlflow.registered_model
    try:
        version = client.get_model_version_by_alias(name, ALIAS)
    except MlflowException as problem:
        reason = json.loads(CHAMPION.read_text()).get("reason") or "no reason given"
        sys.exit(
            f"ERROR: registered model {name} has no '{ALIAS}' version in MLflow "
            f"({mlflow.get_tracking_uri()}), so there is nothing to serve (register said: {reason}); "
            "improve the model, then: make pipeline"
            f"\n{problem}"
        )
    tags = client.get_run(version.run_id).data.tags
    return dict(
        model=name,
        version=str(version.version),
        run_id=version.run_id,
        uri=f"models:/{name}/{version.version}",  # the alias, resolved: it cannot move mid-import
        data_version=tags.get("data_version") or _data_version_from_lock(),
        git_sha=tags.get("git_sha", ""),
        dataset=params.data.dataset,
        scaffold=params.project.scaffold,
    )


def _data_version_from_lock() -> str:
    """The md5 DVC recorded for data/raw, when the training run did not tag it."""
    import yaml

    lock = Path("dvc.lock")
    if not lock.is_file():
        return "unknown"
    outs = yaml.safe_load(lock.read_text()).get("stages", {}).get("ingest", {}).get("outs", [])
    return next((out.get("md5", "unknown") for out in outs if out.get("path") == "data/raw"), "unknown")


def _labels(champion: dict) -> dict[str, str]:
    return {
        "mlflow_run_id": champion["run_id"],
        "data_version": champion["data_version"],
        "mlflow_model": champion["model"],
        "mlflow_version": champion["version"],
        "mlflow_alias": ALIAS,
        "git_sha": champion["git_sha"],
        "dataset": champion["dataset"],
        "scaffold": champion["scaffold"],
    }


def _import_model(champion: dict, contract: dict):
    import bentoml
    from bentoml.exceptions import NotFound

    version = _digest(champion["run_id"], champion["version"], contract)
    tag = f"{MODEL_NAME}:v{champion['version']}-{version}"
    try:
        existing = bentoml.models.list(MODEL_NAME)
    except NotFound:  # the first import into this store
        existing = []
    latest = max(existing, key=lambda model: model.creation_time) if existing else None
    if latest is not None and str(latest.tag) == tag:
        print(f"Model {tag} is already in the store")
        return latest
    if any(str(model.tag) == tag for model in existing):
        # An older copy: import it again so that it is the latest, which `bentoml serve` from source uses.
        bentoml.models.delete(tag)
    print(f"Importing {champion['uri']} as {tag}")
    try:
        return bentoml.mlflow.import_model(
            tag, champion["uri"], labels=_labels(champion), metadata={"input_schema": contract}
        )
    except Exception as problem:  # MLflow and BentoML raise many kinds; the message is what helps
        sys.exit(
            f"ERROR: could not import {champion['uri']} into the BentoML store: {type(problem).__name__}; "
            f"check that the run's model files exist (MLflow artifacts, {champion['run_id']})\n{problem}"
        )


def _build_bento(name: str, model, champion: dict, package: str):
    import bentoml
    from bentoml.exceptions import BentoMLException, NotFound

    package_dir = SOURCE / package
    service = f"{package}.serving.service:ChampionService"
    # Anchored patterns (leading /): an unanchored one would also match BentoML's own staging copy.
    include = [f"/{package}/**/*.py"]
    python = dict(packages=_packages(model), lock_packages=False)  # lock_packages=True would ask PyPI
    labels = _labels(champion)
    sources = sorted(package_dir.rglob("*.py"))
    version = _digest(
        str(model.tag), labels, python, [(str(p.relative_to(package_dir)), p.read_bytes()) for p in sources]
    )
    try:
        bento = bentoml.bentos.get(f"{name}:{version}")
        print(f"Bento {bento.tag} is already in the store")
        return bento
    except NotFound:
        pass
    print(f"Building bento {name}:{version} (no Docker, no network)")
    try:
        return bentoml.bentos.build(
            service,
            name=name,
            version=version,
            labels=labels,
            description=(
                f"{champion['model']} version {champion['version']} (MLflow run {champion['run_id']}), "
                f"data version {champion['data_version']}"
            ),
            include=include,
            exclude=["__pycache__/", "*.pyc"],
            python=python,
            build_ctx=str(SOURCE.resolve()),
            args={"model": str(model.tag)},  # the bento serves exactly this model (service.py)
        )
    except BentoMLException as problem:
        sys.exit(f"ERROR: bentoml could not build {name} from {service}: {problem}")


def _packages(model) -> list[str]:
    """What the bento needs to run: MLflow as installed (BentoML adds itself) and the model's requirements."""
    from importlib.metadata import version

    pinned = [f"mlflow=={version('mlflow')}"]  # bentoml adds itself
    requirements = Path(model.path_of("mlflow_model/requirements.txt"))
    if requirements.is_file():
        for line in requirements.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and not line.startswith("mlflow"):
                pinned.append(line)
    return pinned


def _example(contract: dict, frame) -> list[dict]:
    """A few real rows that pass the contract (a test row may hold a category training never saw)."""
    columns = [column["name"] for column in contract["columns"]]
    Record = record_model(contract)
    rows = json.loads(frame[columns].head(200).to_json(orient="records"))  # NaN -> null
    good = []
    for row in rows:
        try:
            Record.model_validate(row)
        except ValueError:
            continue
        good.append(row)
        if len(good) == EXAMPLE_RECORDS:
            break
    if not good:
        sys.exit(f"ERROR: no row of {TEST} passes the input contract in {SCHEMA_OUT}; check that file's bounds")
    return good


def _digest(*parts) -> str:
    """A short, stable hash: the same inputs give the same version."""
    text = json.dumps(parts, sort_keys=True, default=lambda value: hashlib.md5(value).hexdigest())
    return hashlib.md5(text.encode()).hexdigest()[:12]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Run the stage; a tracking server's refusal (down, wrong login, another team's model) in one line."""
    with tracking.explained():
        run_stage()


if __name__ == "__main__":
    main()
