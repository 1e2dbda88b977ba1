# The README's two commands are `make run` and `make test`; the rest are their parts.
# Everything they make stays inside the repository: .venv/, db.sqlite3, staticfiles/, media/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
MANAGE := $(PYTHON) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# Lighthouse, for tests/browser/test_lighthouse.py: the version its package-lock.json pins.
LIGHTHOUSE_DIR := tests/browser/lighthouse
LIGHTHOUSE := $(LIGHTHOUSE_DIR)/node_modules/.installed
# The W3C Nu Html Checker (vnu.jar), for tests/test_html_validity.py: the version its
# package-lock.json pins. It runs on Debian's Java (.ci/install-system-packages).
VNU_DIR := tests/vnu
VNU := $(VNU_DIR)/node_modules/.installed

# Django 6 needs Python 3.12+. Take the first interpreter that really runs and is
# new enough: python3.13 on the PATH, then older names, then pyenv's installed
# versions (pyenv's shims answer only when a version is selected, so ask its folders).
define find_python
for candidate in python3.13 python3.12 python3.14 python3 \
    $$(command -v pyenv >/dev/null && ls -d "$$(pyenv root)"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
    "$$candidate" -c 'import sys; print(sys.executable)'; exit 0; \
  fi; \
done; \
echo "No Python 3.12 or newer found: install python3.13 and try again." >&2; exit 1
endef

.PHONY: help run setup test test-quick test-services system-packages lint format \
	migrations-check bench clean

help:
	@echo "make run                set up what is missing and serve the site at http://$(HOST):$(PORT)"
	@echo "make test               the contract: install what is missing (Debian packages, .venv), lint, then"
	@echo "                        the tests on PostgreSQL + S3 and the suite on SQLite + disk (docs/development.md)"
	@echo "make test-quick         day-to-day: the suite on SQLite, without the servers or the browser"
	@echo "make test-services      the whole suite, browser tests included, on PostgreSQL + S3"
	@echo "make system-packages    install the Debian packages the tests need (Chromium, WebKit, PostgreSQL 15, nginx, Java)"
	@echo "make setup              make .venv, migrate db.sqlite3, collect static files (make run does it)"
	@echo "make lint               ruff check and ruff format --check"
	@echo "make format             ruff check --fix and ruff format"
	@echo "make migrations-check   fail if a model change has no migration"
	@echo "make bench              measure renditions, pages and upload judging, write bench/RESULTS.md (its header says how long it ran)"
	@echo "make bench FIGURES=\"2\"   only those figures, printed; bench/RESULTS.md is left alone"
	@echo "make clean              remove .venv, bench/.venv, staticfiles and the tools' caches"
	@echo "PYTEST_ARGS=\"-k upload -x\" is passed to every pytest run of the test targets."

# `make run` is for trying the site: debug on, unless the caller says otherwise.
run setup: export DJANGO_DEBUG ?= 1
# Background work (renditions, visibility moves, e-mails) queued in db.sqlite3 for a worker
# started beside the server and stopped with it: no request waits for it (docs/production.md).
run: export DJANGO_TASKS_BACKEND ?= database

run: setup
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) db_worker --verbosity 0 & worker=$$!; trap 'kill $$worker' EXIT; \
	$(MANAGE) runserver $(HOST):$(PORT)

# The contract, on a fresh machine as in CI: install what is missing, lint (it fails faster
# than any test), then every test, chosen by marker and never skipped (tests/conftest.py):
# on PostgreSQL and S3 the tests that need them plus those whose behaviour depends on the
# database or the storage (BACKEND_TESTS); on SQLite and disk everything but the tests that
# need the servers. The first failure stops it with a non-zero exit; the last line printed
# is the second run's pytest summary.
test: system-packages $(VENV)/.installed-dev $(LIGHTHOUSE) $(VNU)
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	@echo "make test: on PostgreSQL and S3, the tests that need them or depend on them"
	@$(START_SERVICES) && $(BIN)/pytest -m "not browser" $(BACKEND_TESTS) $(PYTEST_ARGS)
	@echo "make test: on SQLite and local disk, all but the tests that need the servers"
	$(EMBEDDED) $(BIN)/pytest -m "not services" $(PYTEST_ARGS)

# What runs on the real servers besides tests/production: storing, naming, serving and
# deleting files, transactions and locks, the page cache's version row, the task queue, ZIPs
# streamed from the bucket.
BACKEND_TESTS := tests/production tests/models tests/test_concurrency.py tests/test_uploads.py \
	tests/test_media.py tests/test_signals.py tests/test_storage_outage.py tests/test_tasks.py \
	tests/test_cache.py tests/views/test_query_counts.py tests/test_migrations.py \
	tests/test_admin.py tests/test_access.py tests/test_visibility_move.py \
	tests/views/test_zip_downloads.py

# No apt, no servers, no browser: what changes from one edit to the next.
# (The Nu checker's jar is whatever `make test` last installed in tests/vnu/.)
test-quick: $(VENV)/.installed-dev
	$(EMBEDDED) $(BIN)/pytest -m "not services and not browser" $(PYTEST_ARGS)

test-services: system-packages $(VENV)/.installed-dev $(LIGHTHOUSE) $(VNU)
	@$(START_SERVICES) && $(BIN)/pytest $(PYTEST_ARGS)

system-packages:
	@.ci/install-system-packages

# The embedded default (SQLite in memory, media on disk), whatever the caller's shell exports.
EMBEDDED := env -u DATABASE_URL -u AWS_STORAGE_BUCKET_NAME

# A throwaway PostgreSQL and moto's S3-compatible server on loopback (.ci/services), their
# variables exported, stopped when the recipe's shell exits, even when a test fails.
# moto's own venv is kept inside .venv so later runs skip installing it.
START_SERVICES = export SERVICES_VENV="$(CURDIR)/$(VENV)/moto-server"; \
	trap '.ci/services stop' EXIT; \
	.ci/services start && set -a && . .services/env && set +a

# Everything `run` needs, made only when missing or out of date.
setup: $(VENV)/.installed
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0

$(VENV)/bin/python:
	@python="$$($(find_python))" && echo "Using $$python" && "$$python" -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

$(LIGHTHOUSE): $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json | system-packages
	cd $(LIGHTHOUSE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --ignore-scripts: vnu-jar's postinstall would download a Java runtime when none is on the
# PATH; the tests use Debian's.
$(VNU): $(VNU_DIR)/package.json $(VNU_DIR)/package-lock.json | system-packages
	cd $(VNU_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.installed-dev
	$(MANAGE) makemigrations --check --dry-run

# The benchmark has an environment of its own, bench/.venv: what it compares us with
# (easy-thumbnails, sorl-thumbnail, pyvips) must never become a dependency of the site.
BENCH_VENV := bench/.venv

# `make bench FIGURES="2 5"` runs only those figures and prints them, leaving RESULTS.md alone.
bench: $(BENCH_VENV)/.installed $(LIGHTHOUSE)
	$(BENCH_VENV)/bin/python bench/run.py $(FIGURES)

$(BENCH_VENV)/.installed: requirements.txt bench/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || { python="$$($(find_python))" && "$$python" -m venv $(BENCH_VENV); }
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements.txt
	@touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(LIGHTHOUSE_DIR)/node_modules $(VNU_DIR)/node_modules staticfiles .pytest_cache .ruff_cache
