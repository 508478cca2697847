# Everything builds its own virtualenv from nothing; only `python3` (>= 3.10) is needed.
PYTHON ?= python3
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
# The newest 3.1.x and 3.2.x: the unit and integration suites also run against each.
MATRIX ?= 3.1.8 3.2.2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)
PYTEST := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: test suite examples suite-only pytest-only matrix e2e-oldest lint demo bench mutants dist clean ui-browser ui-shots e2e-distributed distributed-services

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e ".[test]" "apache-airflow==$(AIRFLOW_VERSION)"
	touch $@

# The whole suite: lint, then unit + integration + e2e on Airflow $(AIRFLOW_VERSION), the example DAG
# tests, then the matrix.
test: lint suite examples matrix e2e-oldest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/unasync.py --check

# Unit and integration tests spread over 4 pytest-xdist workers (they mostly wait on loopback HTTP, so 4
# fit 2 cores); the real deployments (e2e, distributed, browser) one after another in one process,
# since each is a whole Airflow of its own and their timings are what they test.
XDIST := -n 4
suite: $(STAMP) ui-browser distributed-services
	$(PYTEST) $(XDIST) -m "not e2e" tests
	$(PYTEST) -m e2e tests

# The browser tests (tests/ui) drive Debian's Chromium and chromedriver: installed here when missing
# and we are root on Debian (as on CI); anywhere else tests/ui is skipped and pytest's summary says
# "BROWSER TESTS NOT RUN" in red.
ui-browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== installing Debian's chromium and chromium-driver for tests/ui =="; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
			|| echo "!! could not install chromium: tests/ui will be reported as NOT RUN"; \
	else echo "!! no chromium/chromedriver and not root: tests/ui will be reported as NOT RUN"; fi

# The distributed profile alone (tests/e2e/test_distributed_e2e.py; make test runs it too): PostgreSQL
# and Redis from Debian's packages (installed here when missing and we are root on Debian, as on CI;
# elsewhere its tests are skipped, with the reason), CeleryExecutor, two workers, two triggerers, on
# Airflow $(AIRFLOW_VERSION).
e2e-distributed: $(STAMP) distributed-services
	$(PYTEST) -m distributed tests/e2e/test_distributed_e2e.py

distributed-services:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== installing Debian's postgresql and redis-server for the distributed e2e profile =="; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null; } \
			|| echo "!! could not install postgresql/redis-server: the distributed profile will be skipped"; \
	else echo "!! no postgresql/redis-server and not root: the distributed profile will be skipped"; fi

# A screenshot of each browser check, for a reviewer: ui-shots/<check>.png.
ui-shots: $(STAMP) ui-browser
	rm -rf ui-shots
	HFHUB_UI_SHOTS="$(abspath ui-shots)" $(PYTEST) tests/ui
	@echo "== screenshots: $(abspath ui-shots) =="; ls ui-shots

# The example DAG tests, as a user runs theirs: their own pytest session, since their conftest gives
# Airflow a scratch AIRFLOW_HOME before Airflow is imported (see "Test your DAGs offline").
examples: $(STAMP)
	$(PYTEST) dags_examples/tests

# The suites that touch Airflow (not e2e) on each older Airflow line, one virtualenv each; the hub
# client and the fake Hub import no Airflow, so they run once above, and the wheel-install test
# (tests/release) makes its own clean virtualenvs for 3.1 and 3.3 whatever Airflow runs it.
MATRIX_ARGS := --ignore=tests/e2e --ignore=tests/ui --ignore=tests/hub --ignore=tests/testing --ignore=tests/release
matrix:
	@for version in $(MATRIX); do \
		$(MAKE) --no-print-directory VENV=.venv-$$version AIRFLOW_VERSION=$$version PYTEST_ARGS="$(XDIST) $(MATRIX_ARGS)" suite-only || exit 1; \
	done

# On the oldest Airflow line, the end-to-end scenarios that differ there: no trigger on_kill before
# 3.3, so a kill while deferred is the trigger's cleanup()'s to handle.
OLDEST ?= 3.1.8
OLDEST_E2E := tests/e2e/test_jobs_e2e.py -k "kill_while_deferred or few_seconds"
e2e-oldest:
	$(MAKE) --no-print-directory VENV=.venv-$(OLDEST) AIRFLOW_VERSION=$(OLDEST) PYTEST_ARGS='$(OLDEST_E2E)' pytest-only

pytest-only: $(STAMP)
	@echo "== Airflow $(AIRFLOW_VERSION): $(PYTEST_ARGS) =="
	$(PYTEST) $(PYTEST_ARGS)

suite-only: $(STAMP)
	@echo "== Airflow $(AIRFLOW_VERSION) =="
	$(PYTEST) $(PYTEST_ARGS) tests

# The wheel and sdist in dist/ (uv builds the wheel from the sdist, so a file missing from the sdist
# fails here); tests/release/test_wheel.py builds the same way and installs the wheel.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/uv build --out-dir dist
	$(BIN)/twine check --strict dist/*

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

bench: $(STAMP)
	@PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks

# Deliberate breakages, one at a time in a copy of the tree: each must make its tests fail.
mutants: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python scripts/mutants.py

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .demo dist build ui-shots
