# `make run` and `make test` set everything up first (idempotent), then do their job.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PYTHON

.PHONY: setup system services run doctor test bench bench-quick clean

setup: system $(VENV)/.installed

system:
	@scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

services:
	@scripts/ensure-services.sh

run: setup
	$(BIN)/codearena serve

doctor: setup
	$(BIN)/codearena doctor

test: setup services
	$(BIN)/pytest

bench: setup services
	$(BIN)/python -m bench

bench-quick: setup services
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) bench/results
