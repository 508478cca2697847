# Everything builds its own virtualenv from nothing; only `python3` (>= 3.10) is needed.
PYTHON ?= python3
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
# The newest 3.1.x and 3.2.x: the unit and integration suites also run against each.
MATRIX ?= 3.1.8 3.2.2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)
PYTEST := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: test suite suite-only matrix lint demo bench mutants clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e ".[test]" "apache-airflow==$(AIRFLOW_VERSION)"
	touch $@

# The whole suite: lint, then unit + integration + e2e on Airflow $(AIRFLOW_VERSION), then the matrix.
test: lint suite matrix

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/unasync.py --check

suite: $(STAMP)
	$(PYTEST) tests

# The suites that touch Airflow (not e2e) on each older Airflow line, one virtualenv each; the hub
# client and the fake Hub import no Airflow, so they run once above.
MATRIX_ARGS := --ignore=tests/e2e --ignore=tests/hub --ignore=tests/testing
matrix:
	@for version in $(MATRIX); do \
		$(MAKE) --no-print-directory VENV=.venv-$$version AIRFLOW_VERSION=$$version PYTEST_ARGS="$(MATRIX_ARGS)" suite-only || exit 1; \
	done

suite-only: $(STAMP)
	@echo "== Airflow $(AIRFLOW_VERSION) =="
	$(PYTEST) $(PYTEST_ARGS) tests

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

bench: $(STAMP)
	@PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks

# Deliberate breakages, one at a time in a copy of the tree: each must make its tests fail.
mutants: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python scripts/mutants.py

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .demo
