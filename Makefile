# The two commands of the README, and the checks CI runs verbatim.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-postgres install install-test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg setup.py pyproject.toml slaengine/_elapsed.c
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Migrate the SQLite database, load the demo data once, serve with the SLA clock.
run: install
	$(BIN)/slaengine db upgrade
	$(BIN)/slaengine demo --if-empty
	HOST=$(HOST) PORT=$(PORT) $(BIN)/slaengine run

## The whole suite (SQLite unless TEST_DATABASE_URL says otherwise).
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The whole suite against the local PostgreSQL server.
test-postgres: install-test
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://127.0.0.1:5432/test} \
	REQUIRE_POSTGRES=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff, as configured in ruff.toml: lint and formatting.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/calendar_bench.py
	$(BIN)/python bench/sweep_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
