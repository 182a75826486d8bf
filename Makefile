# fase-hub — `make demo` runs the main job, `make test` runs the suite. Both set up .venv from requirements.lock.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-$(shell (cat requirements.lock pyproject.toml 2>/dev/null) | sha1sum | cut -c1-12)
VENDOR_STAMP := vendor/dist/.stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo airflow test check lock bench bench-tools clean browser

install: $(STAMP) $(VENDOR_STAMP) browser

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --python $(BIN)/python -q requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# The console's and the Data Docs' front-end assets: npm packages at pinned versions, sha512-checked, reduced
# to the files served (vendor/manifest.json); nothing is fetched from a CDN at run time.
$(VENDOR_STAMP): vendor/manifest.json vendor/fetch.py
	@command -v npm >/dev/null || { echo "npm is required to vendor the console's assets (apt-get install npm)"; exit 1; }
	$(PY) vendor/fetch.py

# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
browser:
	@test -x /usr/bin/chromium || ! command -v apt-get >/dev/null || \
	  { $(SUDO) apt-get install -y -q chromium chromium-driver || \
	    echo "could not install chromium: the browser tests will be skipped (they fail under CI)"; }

demo: install
	$(BIN)/fase demo --fresh

# Airflow 3 on this machine with the hub's DAGs (after `make demo` or `fase sandbox up`): prints the UI address and
# login; Ctrl-C stops it. FASE_CONFIG=... chooses another configuration.
airflow: install
	$(BIN)/fase airflow

# Two pytest-xdist workers (the machine's two cores; `auto` is the same here); a test module is one work unit, the
# Airflow topologies one between them, the longest first (tests/conftest.py). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
test: install check
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

# Lint, format, types and layers, in seconds: run it before every commit (`make test` runs it first).
check: install
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

lock:
	$(BIN)/uv pip compile pyproject.toml --extra test -p 3.11 -o requirements.lock

# The open-loop load generator of bench/api_load.py (an independent tool, not the project's own code).
bench-tools:
	@command -v wrk >/dev/null || ! command -v apt-get >/dev/null || $(SUDO) apt-get install -y -q wrk

bench: install bench-tools
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var vendor/dist
