# ml-capstone: the template's own commands. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-print-directory

# Tests bake repos from this folder: no __pycache__ may appear inside the template.
export PYTHONDONTWRITEBYTECODE := 1
# No telemetry from the tools the tests and the demo run.
export MLFLOW_DISABLE_TELEMETRY := true
export BENTOML_DO_NOT_TRACK := true
export DVC_NO_ANALYTICS := 1
export DO_NOT_TRACK := true

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
BIN := .venv/bin
# pytest exits 5 when it selects no test; that is not a failure here.
PYTEST := $(BIN)/pytest
# The template folder holds Jinja, not Python: its code is linted inside baked repos (tests/).
LINTED := kit hooks tests benchmarks scripts cohort local_extensions.py
define run_pytest
	$(PYTEST) $(1) || { status=$$?; [ $$status -eq 5 ] || exit $$status; }
endef

.PHONY: help dev test test-fast lint demo bench bench-scale bench-tests request-log-bench docs docs-options docs-examples cohort-server cohort-teams cohort-trial cohort-bench gradebook-bench corpus clean

help: ## Show this list of commands
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | python3 scripts/make_help.py

# kit/pyproject.toml too: the course kit is an editable dependency, and uv.lock records its version.
$(BIN)/.synced: pyproject.toml uv.lock kit/pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@echo "Installing the template's development environment in .venv (uv sync --locked)"
	@$(UV) sync --locked --quiet
	@touch $@

dev: $(BIN)/.synced ## Install the template's development environment (.venv, with uv)

test: dev ## Run every test: fast tier plus full tier (bakes, installs, cruft); what CI runs
	$(call run_pytest,-n 2 --dist loadfile --durations=25)

test-fast: dev ## Run the fast tier: the kit's unit tests, bakes, refusals, docs (1 min 44 s to 2 min 28 s on 2 cores)
	$(call run_pytest,-m "not full" -n 2 --dist loadfile)

lint: dev ## Lint and format-check the template's own code
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

demo: dev ## Bake a default team repo, run its whole pipeline, serve the model and answer one prediction
	$(BIN)/python scripts/demo.py

bench: dev ## Measure everything (bake, setup, pipeline vs floor, feed, serving, check); writes benchmarks/results.md
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-scale: dev ## Measure make pipeline at 10k, 100k and 1M rows and fit the growth exponent (takes long)
	$(BIN)/python benchmarks/run.py --only scale $(BENCH_ARGS)

bench-tests: dev ## Time the whole test suite (fast + full tier; pytest took 26.5 min in a fresh-clone CI run on 2 cores)
	$(BIN)/python benchmarks/run.py --only tests --full-tier $(BENCH_ARGS)

request-log-bench: dev ## Measure the service's request log: requests/s at 16 clients, log on vs off (benchmarks/request_log.json)
	$(BIN)/python benchmarks/request_log.py $(BENCH_ARGS)

docs: dev ## Build the documentation site into site/ (mkdocs build --strict)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-options: dev ## Regenerate the generated doc pages: options, checkpoints, data domains
	$(BIN)/python scripts/docs_options.py
	$(BIN)/python scripts/docs_checkpoints.py
	$(BIN)/python scripts/docs_data.py

docs-examples: dev ## Regenerate docs/examples/ from a real run of a reference team repo (89 s on 2 cores)
	$(BIN)/python scripts/docs_examples.py

# The cohort's shared MLflow server (docs/cohort.md). Its settings come from the environment:
# COHORT_DB_URI, PGPASSWORD, COHORT_ARTIFACTS, MLFLOW_AUTH_ADMIN_PASSWORD; ARGS adds options (--host, --port).
cohort-server: dev ## Start the cohort's MLflow server on PostgreSQL with per-team logins (docs/cohort.md)
	$(BIN)/python cohort/server.py serve $(ARGS)

cohort-teams: dev ## Give each team in COHORT=cohort.yaml its MLflow login; passwords go to OUT=folder
	@test -n "$(COHORT)" && test -n "$(OUT)" || \
		{ echo "ERROR: say which cohort file and where the passwords go: make cohort-teams COHORT=cohort.yaml OUT=~/cohort-credentials" >&2; exit 1; }
	$(BIN)/python cohort/server.py add-teams "$(COHORT)" --out "$(OUT)" $(ARGS)

cohort-trial: dev ## Try the cohort server on this machine: a throwaway PostgreSQL and server, gone at Ctrl-C (ARGS=--s3: and S3)
	$(BIN)/python cohort/trial.py $(ARGS)

cohort-bench: dev ## Measure a team pipeline's tracking cost: cohort server (PostgreSQL) vs local sqlite
	$(BIN)/python benchmarks/cohort_tracking.py

gradebook-bench: dev ## Time capstone cohort status (the gradebook) for TEAMS=100 teams on a throwaway cohort server
	$(BIN)/python benchmarks/cohort_gradebook.py --teams $(or $(TEAMS),100) $(BENCH_ARGS)

corpus: dev ## Run both scaffolds on real public CSVs from PyPI packages and grade them; writes benchmarks/corpus.md (15 min when last measured)
	$(BIN)/python scripts/corpus.py $(ARGS)

clean: ## Delete caches
	rm -rf .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
