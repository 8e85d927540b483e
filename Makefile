# The two commands of the README: `make run` and `make test`. Everything else helps them.
# Each target creates .venv and installs the locked dependencies when they are missing or
# the lock file changed, so a machine that has never seen the project needs nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
DATA   ?= var
PORT   ?= 8100
PYTEST_ARGS ?=
# Test processes for the fast tier (pytest-xdist): one per core by default.
WORKERS ?= auto

.PHONY: run test test-fast test-slow bench lint format messages browser clean help

help:
	@echo "make run        set up and run the federation (portal :$(PORT), nodes :$(PORT)+1..5)"
	@echo "make test       set up and run the whole test suite (unit, integration, e2e, browser)"
	@echo "make test-fast  unit and integration tests only (no node processes, no browser)"
	@echo "make bench      run every benchmark in bench/ (results in bench/results/)"
	@echo "make lint       ruff, ruff format --check, mypy --strict, import-linter"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.main-installed: requirements/main.lock pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/main.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@ $(VENV)/.main-installed

run: $(VENV)/.main-installed
	$(BIN)/eaeu up --data-dir $(DATA) --base-port $(PORT)

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-noto-core fonts-dejavu-core >/dev/null; \
	else echo "chromium is missing and cannot be installed here: browser tests will be skipped"; fi

# Two runs, one coverage: the fast tier on every core, then the tier that starts node
# processes and Chromium on its own, so that its timings are not taken on a machine that is
# busy with other tests. Exit code 5 (nothing selected, e.g. by PYTEST_ARGS) is no failure.
test: $(VENV)/.dev-installed browser
	$(BIN)/python -m pytest -m "not slow and not browser" -n $(WORKERS) \
	  --cov --cov-report= $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m "slow or browser" \
	  --cov --cov-append --cov-report=term $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -m "not slow and not browser" -n $(WORKERS) $(PYTEST_ARGS)

test-slow: $(VENV)/.dev-installed browser
	$(BIN)/python -m pytest -m "slow or browser" $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix src tests bench tools
	$(BIN)/ruff format src tests bench tools

# Re-extract translatable strings and merge them into the Russian catalog.
messages: $(VENV)/.dev-installed
	$(BIN)/python tools/messages.py

# Regenerate the lock files after a change of dependencies in pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml \
	  --python-version 3.11 --generate-hashes -o requirements/main.lock
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --generate-hashes -o requirements/dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov
