# imagegen: every command a developer or CI needs. `make` lists them.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask --app imagegen.entrypoints.http.app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run serve worker migrate seed test test-unit test-integration \
        test-e2e lint fmt bench lock browser clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-17s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

run: $(STAMP) ## Serve the embedded setup on HOST:PORT (SQLite, local disk, no servers)
	$(FLASK) db upgrade
	$(FLASK) imagegen seed
	$(FLASK) run --host $(HOST) --port $(PORT) --no-reload --with-threads

serve: $(STAMP) ## Serve with Gunicorn using the environment's settings
	$(BIN)/gunicorn --config python:imagegen.entrypoints.gunicorn_conf \
		'imagegen.entrypoints.http.app:create_app()'

worker: $(STAMP) ## Run an RQ worker for the environment's Redis
	$(BIN)/python -m imagegen.entrypoints.rq_worker

migrate: $(STAMP) ## Apply database migrations
	$(FLASK) db upgrade

seed: $(STAMP) ## Create the demo accounts (refused in production)
	$(FLASK) imagegen seed

browser: ## Install Debian's Chromium for the browser test (needs root)
	@command -v chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser ## Run every test tier (CI=true: a missing service fails)
	$(BIN)/pytest tests

test-unit: $(STAMP) ## Run the unit tests only
	$(BIN)/pytest tests/unit

test-integration: $(STAMP) ## Run the adapter tests only
	$(BIN)/pytest tests/integration

test-e2e: $(STAMP) browser ## Run the end-to-end tests only
	$(BIN)/pytest tests/e2e

lint: $(STAMP) ## Check format, lint, types and the layer contract
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format the code
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

bench: $(STAMP) ## Print the benchmarks' figures, each with its same-run baseline
	$(BIN)/python -m bench

lock: ## Re-pin requirements*.lock from pyproject.toml in throwaway venvs
	./scripts/lock.sh

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
