# Every target does its own set-up: on a fresh clone `make up` and `make test` just work.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# CI=true only makes the test output more verbose; it changes nothing else.
PYTEST_FLAGS := $(if $(filter true,$(CI)),-v --color=no,)
REGISTRY_URL ?= http://127.0.0.1:$(or $(REGISTRY_PORT),8081)
SCHEMAS_DIR ?= schemas
# The registry clients of other ecosystems that tests/clients runs (see tests/README.md).
CLIENTS_JS := tests/clients/js
CLIENTS_GO := tests/clients/go
CLIENTS_JS_INSTALLED := $(CLIENTS_JS)/node_modules/.package-lock.json
CLIENTS_GO_BINARY := $(CLIENTS_GO)/bin/registry-client-go
# -mod=mod: go.sum is completed rather than refused if a module's checksum is missing.
CLIENTS_GOFLAGS := -mod=mod -buildvcs=false

.PHONY: help install lock kafka-jars spark-jars peer-jars wrk chromium screenshots client-deps lint format test test-unit test-integration \
        test-faults test-clients test-e2e up down status logs psql query lake-maintain clean register-schemas \
        check-schemas bench tail-events metrics

help: ## List the targets
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_-]+:.*?## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(INSTALLED) ## Create .venv and install the project and its test tools (idempotent)

lock: ## Re-resolve pyproject.toml's ranges in a scratch venv and pin the result in constraints.txt
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | sort -f > constraints.txt
	rm -rf .lock-venv

kafka-jars: $(INSTALLED) ## Fetch the Kafka broker jars from Maven Central (once per stack/pom.xml)
	$(BIN)/python -m stack jars

spark-jars: $(INSTALLED) ## Fetch Iceberg's Spark runtime and the PostgreSQL JDBC driver (once per stack/spark-pom.xml)
	$(BIN)/python -m stack spark-jars

peer-jars: $(INSTALLED) ## Fetch Kafka Connect, Debezium and Iceberg's Connect sink, the benchmark's peers (once per pom)
	$(BIN)/python -m stack peer-jars

wrk: $(INSTALLED) ## Unpack wrk from Debian's packages, the benchmark's HTTP load generator (once)
	$(BIN)/python -m stack wrk

chromium: $(INSTALLED) ## Unpack Chromium from Debian's packages, the browser of the console's tests (once)
	$(BIN)/python -m stack chromium

screenshots: chromium ## Shoot the console's main pages into docs/screenshots/ (against `make up`, or CONSOLE_URL)
	$(BIN)/python -m tests.e2e.screenshots

$(CLIENTS_JS_INSTALLED): $(CLIENTS_JS)/package.json $(CLIENTS_JS)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 20+) is needed for the JavaScript clients of tests/clients"; exit 1; }
	cd $(CLIENTS_JS) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(CLIENTS_GO_BINARY): $(CLIENTS_GO)/go.mod $(CLIENTS_GO)/go.sum $(wildcard $(CLIENTS_GO)/*.go)
	@command -v go >/dev/null || { echo "Go is needed for the Go client of tests/clients"; exit 1; }
	cd $(CLIENTS_GO) && GOFLAGS='$(CLIENTS_GOFLAGS)' go mod download
	cd $(CLIENTS_GO) && GOFLAGS='$(CLIENTS_GOFLAGS)' go build -o bin/registry-client-go .

client-deps: $(CLIENTS_JS_INSTALLED) $(CLIENTS_GO_BINARY) ## Fetch the JavaScript (npm ci) and Go (go mod download) registry clients, once per lock file

lint: $(INSTALLED) ## Check style and types (ruff, ruff format --check, mypy --strict); changes nothing
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED) ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint kafka-jars spark-jars chromium client-deps ## Lint, then unit, integration, fault and client tests against real Kafka and PostgreSQL
	$(BIN)/python -m pytest $(PYTEST_FLAGS) tests/unit tests/integration tests/faults tests/clients

test-unit: $(INSTALLED) ## Unit tests only (no processes)
	$(BIN)/python -m pytest $(PYTEST_FLAGS) tests/unit

test-integration: kafka-jars spark-jars chromium ## Integration tests only (start their own Kafka and PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_FLAGS) tests/integration

test-faults: kafka-jars ## Fault scenarios against a whole local stack of their own; prints their figures
	$(BIN)/python -m pytest $(PYTEST_FLAGS) -p no:randomly tests/faults

test-clients: $(INSTALLED) client-deps ## Python, JavaScript and Go registry clients against the registry; prints what each did
	$(BIN)/python -m pytest $(PYTEST_FLAGS) tests/clients

test-e2e: $(INSTALLED) ## End-to-end tests against a stack started by `make up`
	$(BIN)/python -m pytest $(PYTEST_FLAGS) tests/e2e

up: $(INSTALLED) ## Start the platform (Docker Compose if an engine answers, else local processes)
	@$(BIN)/python -m stack up

down: $(INSTALLED) ## Stop everything `make up` started
	@$(BIN)/python -m stack down

status: $(INSTALLED) ## Show each service: pid, address, ready or not
	$(BIN)/python -m stack status

logs: $(INSTALLED) ## Follow the logs of every service, or of one: make logs S=kafka
	$(BIN)/python -m stack logs $(S)

tail-events: $(INSTALLED) ## Follow the events topic, decoded through the registry (Ctrl-C stops): make tail-events N=10
	@$(BIN)/python -m stack tail-events $(if $(N),--last $(N),)

metrics: $(INSTALLED) ## One line per service: outbox backlog, relay counters, consumer lag and dead letters
	@$(BIN)/python -m stack metrics

register-schemas: $(INSTALLED) ## Register every schema of schemas/ in the registry (idempotent)
	@$(BIN)/python -m registry.cli register --schemas-dir $(SCHEMAS_DIR) --registry-url $(REGISTRY_URL)

check-schemas: $(INSTALLED) ## Check the newest schema of each subject: offline and against the registry
	@$(BIN)/python -m registry.cli check --schemas-dir $(SCHEMAS_DIR) --registry-url $(REGISTRY_URL)

bench: kafka-jars peer-jars wrk ## Run the benchmarks; prints ratios against baselines and peers measured in the same run
	$(BIN)/python -m bench

lake-maintain: $(INSTALLED) ## Compact the Iceberg lake's small files, expire old snapshots, remove orphan files
	@$(BIN)/python -m stack lake-maintain $(ARGS)

query: $(INSTALLED) ## Query the lake with DuckDB (view `events`): make query, or make query SQL="…" [AS_OF=<snapshot id or time>]
	@QUERY_AS_OF="$(AS_OF)" $(BIN)/python -m stack query "$(SQL)"

psql: $(INSTALLED) ## Open psql on the stack's database, or run SQL: make psql SQL="select * from users"
	@$(BIN)/python -m stack psql $(if $(SQL),--command "$(SQL)",)

clean: down ## Stop the stack and delete its state (.stack/) and the lake (data/)
	rm -rf .stack data
