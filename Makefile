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

# make run: demo data (once), demo users of $(DEMO_SCHOOL) with fresh tokens, then the API.
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCHOOL ?= school-001
DEMO_USERS := $(DEMO_SCHOOL)-supervisor:supervisor $(DEMO_SCHOOL)-t01:teacher $(DEMO_SCHOOL)-auditor:auditor

run: $(STAMP)
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

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check domain workflows projections adapters tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.catch_up
	$(BIN)/python -m bench.overdue

clean:
	rm -rf $(VENV) caretrail-data .pytest_cache .mypy_cache .ruff_cache
