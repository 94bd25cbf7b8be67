# caretrail: two commands set everything up on a fresh machine.
#   make run   - virtual env, demo data on the embedded SQLite store, then the service
#   make test  - virtual env with the test extras, then the whole suite
# Each installs only what it needs: `make run` on a fresh machine installs no test tool.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs, and what testing needs besides (the test extras: pytest, hypothesis,
# schemathesis, mypy, ruff, playwright): each is installed once per change of pyproject.toml.
# The browser tests' Chromium and CJK font come from Debian (.ci/browser-deps, as root; never
# `playwright install`, which downloads a browser).
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test browser-deps lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

# make run: demo data (once); the demo people of $(DEMO_SCHOOL) with new passwords (and
# API tokens), printed; then the service: the pages at /, the API at /api/v1.
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCHOOL ?= school-001
export CARETRAIL_PUBLIC_URL ?= http://$(HOST):$(PORT)

run: $(RUN_STAMP)
	$(BIN)/caretrail demo --if-empty
	@echo
	@$(BIN)/caretrail demo-people --school $(DEMO_SCHOOL)
	@echo
	@echo "caretrail: $(CARETRAIL_PUBLIC_URL)/   (API: $(CARETRAIL_PUBLIC_URL)/api/v1, docs: $(CARETRAIL_PUBLIC_URL)/docs)"
	$(BIN)/caretrail serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP) browser-deps
	$(BIN)/python -m pytest -q

browser-deps:
	@bash .ci/browser-deps

lint: $(TEST_STAMP)
	$(BIN)/ruff check domain workflows projections adapters tests bench
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.catch_up
	$(BIN)/python -m bench.overdue

# The pages' catalogs after a change of their strings: new messages are added untranslated
# (tests/unit/web/test_catalogs.py fails until both catalogs translate them).
WEB := adapters/driving/web
messages: $(RUN_STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F $(WEB)/babel.cfg -k N_ --no-location --sort-output -o build/messages.pot $(WEB)
	$(BIN)/pybabel update -i build/messages.pot -d $(WEB)/locales --no-fuzzy-matching --ignore-obsolete -w 100

clean:
	rm -rf $(VENV) caretrail-data .pytest_cache .mypy_cache .ruff_cache
