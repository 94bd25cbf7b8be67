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

.PHONY: run test browser-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

# make run: demo data (once), demo users of $(DEMO_SCHOOL) with fresh tokens, then the API.
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCHOOL ?= school-001
DEMO_USERS := $(DEMO_SCHOOL)-supervisor:supervisor $(DEMO_SCHOOL)-t01:teacher $(DEMO_SCHOOL)-auditor:auditor

run: $(RUN_STAMP)
	$(BIN)/caretrail demo --if-empty
	@for entry in $(DEMO_USERS); do \
	  $(BIN)/caretrail users add --name $${entry%%:*} --role $${entry##*:} --school $(DEMO_SCHOOL) --if-missing || exit 1; \
	done
	@echo
	@echo "caretrail API: http://$(HOST):$(PORT)/api/v1   (OpenAPI docs: http://$(HOST):$(PORT)/docs)"
	@echo "demo tokens (valid 30 days; each 'make run' replaces them):"
	@for entry in $(DEMO_USERS); do \
	  printf '  %-11s %-24s ' $${entry##*:} $${entry%%:*}; \
	  $(BIN)/caretrail tokens issue --user $${entry%%:*} --label make-run --replace --days 30 --quiet || exit 1; \
	done
	@echo 'try: curl -H "Authorization: Bearer <teacher token>" http://$(HOST):$(PORT)/api/v1/me/tasks'
	@echo
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

clean:
	rm -rf $(VENV) caretrail-data .pytest_cache .mypy_cache .ruff_cache
