# The one place commands live. `make run` and `make test` work on a fresh clone
# with only Python 3.11+, make and the system package manager.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
STATIC := apps/static/vendor
PORT   ?= 8501
# Where the app listens: empty = server.address of .streamlit/config.toml (127.0.0.1, this
# computer only). `make run HOST=0.0.0.0` opens it to the network (set up sign-in first).
HOST   ?=
# `make test` runs every test, spread over the computer's cores by pytest-xdist (a file
# stays on one worker; at most 4 workers). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
PYTEST_WORKERS := -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder

.PHONY: install bytecode run test test-quick lint typecheck pytest bench sample static browser postgres clean help

help:
	@echo "make install  - create .venv/ and install the project with all extras"
	@echo "make run      - install if needed, then start the app on Exempelkommun (127.0.0.1; HOST=0.0.0.0 opens it)"
	@echo "make test     - install if needed, then ruff, mypy and the whole pytest suite (every test, on all cores)"
	@echo "make test-quick - the pytest suite without the tests marked slow (while you work; CI runs make test)"
	@echo "make bench    - run the benchmarks in benchmarks/"
	@echo "make sample   - regenerate sample_data/ (Exempelkommun)"
	@echo "make postgres - install PostgreSQL and PostGIS (apt-get) for the server-store tests"

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found " + sys.version.split()[0] + "); run: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -e ".[app,fast]" --group dev
	-$(MAKE) --no-print-directory static
	touch $(STAMP)

# The project's own modules compiled ahead (stale ones again): every fresh process (the
# app's start, a command, a test worker) then skips compiling 40 000 lines, about 0.3 s,
# also where PYTHONDONTWRITEBYTECODE keeps Python from writing the bytecode itself.
bytecode: install
	@$(PY) -m compileall -q lagesbild_geo apps >/dev/null

# Leaflet and Leaflet.draw served by the app itself (offline / intranet maps).
# Fetched from the npm registry at install time; never committed. Optional:
# without npm the app falls back to folium's CDN links.
static:
	@if [ -f $(STATIC)/leaflet/leaflet.js ] && [ -f $(STATIC)/leaflet-draw/leaflet.draw.js ]; then \
	  echo "map scripts already in $(STATIC)"; \
	elif command -v npm >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d) && mkdir -p $(STATIC) && \
	  (cd $$tmp && npm pack --silent leaflet@1.9.4 leaflet-draw@1.0.4 >/dev/null) && \
	  rm -rf $(STATIC)/leaflet $(STATIC)/leaflet-draw && mkdir -p $(STATIC)/leaflet $(STATIC)/leaflet-draw && \
	  tar -xzf $$tmp/leaflet-1.9.4.tgz -C $$tmp && cp -r $$tmp/package/dist/. $(STATIC)/leaflet/ && rm -rf $$tmp/package && \
	  tar -xzf $$tmp/leaflet-draw-1.0.4.tgz -C $$tmp && cp -r $$tmp/package/dist/. $(STATIC)/leaflet-draw/ && \
	  rm -rf $$tmp && echo "map scripts installed in $(STATIC)"; \
	else \
	  echo "npm not found: the app will load Leaflet from its CDN links"; \
	fi

# Headless Chromium for the browser tests, from the system package manager.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# PostgreSQL and PostGIS for the server-store tests (each test session starts its own
# private cluster in a temporary folder; nothing is configured system-wide), from the
# system package manager: postgresql, postgis and the postgis extension built for the
# distribution's PostgreSQL (postgresql-15-postgis-3 on Debian 12).
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
	    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then \
	  echo "PostgreSQL and PostGIS already installed"; \
	else \
	  SUDO=$$([ "$$(id -u)" = "0" ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql postgis >/dev/null && \
	  major=$$(ls /usr/lib/postgresql | sort -n | tail -1) && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-$$major-postgis-3 >/dev/null && \
	  echo "installed PostgreSQL $$major and PostGIS"; \
	fi

STORE ?= lagesbild_data/atgarder.sqlite

# A new store starts with Exempelkommun's example measure, so the follow-up can be tried at once.
# apps/serve.py = `streamlit run apps/lagesbild_app.py` + building the starting picture meanwhile.
run: install bytecode
	@[ -f "$(STORE)" ] || $(VENV)/bin/lagesbild measures example --store "$(STORE)"
	LAGESBILD_STORE="$(STORE)" $(VENV)/bin/python apps/serve.py --server.port $(PORT) $(if $(HOST),--server.address $(HOST)) --browser.gatherUsageStats false

lint: install
	$(VENV)/bin/ruff check lagesbild_geo apps tests benchmarks

# mypy checks the modules in worker processes, one per core (a fresh clone: 46 s -> 24 s on two).
typecheck: install
	$(VENV)/bin/mypy --num-workers auto lagesbild_geo apps

pytest: install bytecode
	$(PY) -m pytest $(PYTEST_WORKERS)

test: install bytecode
	$(VENV)/bin/ruff check lagesbild_geo apps tests benchmarks
	$(VENV)/bin/mypy --num-workers auto lagesbild_geo apps
	$(PY) -m pytest $(PYTEST_WORKERS)

# While you work: everything but the tests marked slow (browser, many processes, whole
# Exempelkommun builds). Not a substitute for `make test`, which CI runs.
test-quick: install bytecode
	$(PY) -m pytest $(PYTEST_WORKERS) -m "not slow"

bench: install bytecode
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

sample: install
	$(VENV)/bin/lagesbild sample sample_data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
