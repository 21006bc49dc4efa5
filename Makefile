# Family Justice Exchange — every target builds the virtual environment it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/pytest -q -p no:cacheprovider
# where `make demo` serves: `make demo DEMO_PORT=8001` (exchange demo checks it is free before loading)
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
# where the development OpenID provider the pages sign in with listens (on 127.0.0.1)
DEMO_IDP_PORT ?= 8010

.PHONY: demo test lint bench reliability clean

# One virtual environment; each target installs only the extras it uses (setup.cfg), marked done by
# $(VENV)/.ready-<target>: the service alone for the demo, the test tools for the tests and lint, and
# the benchmarks' tools besides (they reuse the tests' helpers). Installing more extras later adds to it.
EXTRAS_demo  := dev-idp
EXTRAS_test  := test
EXTRAS_bench := test,bench
ready = $(VENV)/.ready-$(1)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (set PYTHON=…)") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.ready-%: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.$(if $(EXTRAS_$*),[$(EXTRAS_$*)])'
	touch $@

## everything a developer uses (the tests and the benchmarks)
$(VENV)/.ready: $(call ready,bench)
	touch $@

## make demo: run the service on SQLite with demo organisations and data at http://$(DEMO_HOST):$(DEMO_PORT)
demo: $(call ready,demo)
	$(BIN)/exchange demo --host $(DEMO_HOST) --port $(DEMO_PORT) --idp-port $(DEMO_IDP_PORT)

## Debian packages the tests use, installed where we may (root on Debian): Chromium renders the pack and /docs,
## pdftoppm reads the pack's PDF back, WeasyPrint subsets fonts with HarfBuzz's subsetter, the demo's
## test runs the curl lines the demo prints, and SoftHSM2 is the PKCS#11 token the key store is tested on
TEST_DEBS := chromium poppler-utils libharfbuzz-subset0 curl softhsm2

## make test: the whole suite on SQLite, then again on PostgreSQL when EXCHANGE_TEST_DATABASE_URL is set
test: $(call ready,test)
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	EXCHANGE_TEST_DATABASE_URL= $(PYTEST)
	@if [ -n "$$EXCHANGE_TEST_DATABASE_URL" ]; then \
		echo "--- again on PostgreSQL"; $(PYTEST); fi

## make lint: ruff over the project
lint: $(call ready,test)
	$(BIN)/ruff check exchange adapters schemas config tests benchmarks wsgi.py

## make bench: every benchmark, each printing its figure beside a baseline measured in the same run
BENCHMARKS := token submit deliver ingest metrics demo ssda903_rules agreement_cin agreement_ssda903
bench: $(call ready,bench)
	@for b in $(BENCHMARKS); do echo "=== benchmarks/$$b.py"; $(BIN)/python -m benchmarks.$$b || exit 1; done

## make reliability: the crash test (ten SIGKILLs of gunicorn and the workers; PostgreSQL only, from
## EXCHANGE_TEST_DATABASE_URL, else skipped) and the soak (EXCHANGE_SOAK_SECONDS, default 600): the slow tests
reliability: $(call ready,test)
	$(PYTEST) -s -m slow tests/reliability

clean:
	rm -rf $(VENV) instance .pytest_cache
