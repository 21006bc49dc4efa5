# Family Justice Exchange — every target builds its own virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
PYTEST := $(BIN)/pytest -q -p no:cacheprovider

.PHONY: demo test lint bench reliability clean

$(READY): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (set PYTHON=…)") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(READY)

## make demo: run the service on SQLite with demo organisations and data at http://127.0.0.1:8000
demo: $(READY)
	$(BIN)/exchange demo

## make test: the whole suite on SQLite, then again on PostgreSQL when EXCHANGE_TEST_DATABASE_URL is set
## Debian packages the tests use, installed where we may (root on Debian): Chromium renders the pack and /docs,
## pdftoppm reads the pack's PDF back, and WeasyPrint subsets fonts with HarfBuzz's subsetter
TEST_DEBS := chromium poppler-utils libharfbuzz-subset0

test: $(READY)
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	EXCHANGE_TEST_DATABASE_URL= $(PYTEST)
	@if [ -n "$$EXCHANGE_TEST_DATABASE_URL" ]; then \
		echo "--- again on PostgreSQL"; $(PYTEST); fi

## make lint: ruff over the project
lint: $(READY)
	$(BIN)/ruff check exchange adapters schemas config tests benchmarks wsgi.py

## make bench: every benchmark, each printing its figure beside a baseline measured in the same run
BENCHMARKS := token submit deliver ingest metrics
bench: $(READY)
	@for b in $(BENCHMARKS); do echo "=== benchmarks/$$b.py"; $(BIN)/python -m benchmarks.$$b || exit 1; done

## make reliability: the crash test (ten SIGKILLs of gunicorn and the workers; PostgreSQL only, from
## EXCHANGE_TEST_DATABASE_URL, else skipped) and the soak (EXCHANGE_SOAK_SECONDS, default 600): the slow tests
reliability: $(READY)
	$(PYTEST) -s -m slow tests/reliability

clean:
	rm -rf $(VENV) instance .pytest_cache
