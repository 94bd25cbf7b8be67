# caretrail: two commands set everything up on a fresh machine.
#   make run   - virtual env, demo data on the embedded SQLite store, then the service
#   make test  - virtual env with the test extras, then the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/caretrail demo --if-empty
	$(BIN)/caretrail tasks --overdue --school school-001 --limit 20

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check domain workflows projections adapters tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.catch_up

clean:
	rm -rf $(VENV) caretrail-data .pytest_cache .mypy_cache .ruff_cache
