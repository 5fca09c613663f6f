# `make run` and `make test` set everything up first (idempotent), then do their job.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PYTHON

.PHONY: setup system services run doctor test test-unit test-deploy web screenshots test-clients lint-imports config-docs lock bench bench-quick bench-compare bench-worker-ab bench-submission-ab peer clean

setup: system $(VENV)/.installed web

# Clients from npm that the tests drive unchanged (Piston's piston-client).
test-clients:
	@scripts/install-test-clients.sh

# The web app's editor (CodeMirror from npm, lock file), copied into the package's static files.
web:
	@scripts/build-web.sh

system:
	@scripts/install-system-deps.sh
	@scripts/install-languages.sh

# The versions in constraints.txt (the ones the tests last passed with), within pyproject.toml's ranges.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# constraints.txt afresh: the newest releases pyproject.toml admits, installed in a scratch venv and
# frozen. Then `make test` (the new .venv takes them) before committing it.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

services:
	@scripts/ensure-services.sh

run: setup
	$(BIN)/codearena serve

doctor: setup
	$(BIN)/codearena doctor --all

# Every tier; a service or tool the integration tests need and lack fails them (not a skip).
test: setup services test-clients
	CODEARENA_TESTS_REQUIRE_ALL=1 $(BIN)/pytest

# The unit tier: seconds, no root, no network service, no compiler (import layers included).
test-unit: $(VENV)/.installed
	$(BIN)/pytest tests/unit -q

# The deployment tier: builds the image and runs deploy/docker-compose.yml for real (needs Docker;
# ../shared/tools/docker-offline.sh installs it where no image registry is reachable). Minutes.
test-deploy: setup
	CODEARENA_TESTS_REQUIRE_ALL=1 $(BIN)/pytest -m compose tests/compose -v

# docs/screenshots/: each page of the web app, taken by the browser tests themselves.
screenshots: setup
	CODEARENA_SCREENSHOTS=1 $(BIN)/pytest tests/web -q

lint-imports: $(VENV)/.installed
	$(BIN)/lint-imports

# docs/configuration.md from the settings tree (a unit test checks it is current).
config-docs: $(VENV)/.installed
	$(BIN)/codearena config --markdown > docs/configuration.md

bench: setup services peer
	$(BIN)/python -m bench

bench-quick: setup services peer
	$(BIN)/python -m bench --quick

# The judging benchmarks' peer, DMOJ, in its own virtualenv (.venv-dmoj)
peer:
	@scripts/install-dmoj.sh

# This tree against another commit, interleaved in one run: make bench-compare REF=main~1
bench-compare: setup services
	$(BIN)/python -m bench.compare_refs $(REF)

# A worker's CPU per C hello job (issue 16's floor), this tree against another commit, rounds
# interleaved: make bench-worker-ab REF=main~1 (AB_LANGUAGES=c,java: their hellos in turn)
bench-worker-ab: setup services
	$(BIN)/python -m bench.worker_ab $(REF) $(if $(AB_LANGUAGES),--languages $(AB_LANGUAGES))

# A judged submission's CPU in the platform, the service and the worker (aplusb, C, queue mode),
# this tree against another commit, rounds interleaved: make bench-submission-ab REF=main~1
bench-submission-ab: setup services
	$(BIN)/python -m bench.submission_ab $(REF)

clean:
	rm -rf $(VENV) bench/results
