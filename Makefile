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

.PHONY: help run test test-services setup lint format migrations-check bench demo clean

help:
	@echo "make run    set up what is missing and serve the site at http://$(HOST):$(PORT)"
	@echo "make test   set up what is missing and run the whole test suite"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make test-services   the whole suite on PostgreSQL and an S3-compatible server"
	@echo "make bench  measure renditions and pages, write bench/RESULTS.md (under 10 minutes)"

# `make run` is for trying the site: debug on, unless the caller says otherwise.
run setup: export DJANGO_DEBUG ?= 1

run: setup
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) runserver $(HOST):$(PORT)

# Lint first: it takes a second and fails faster than any test.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/pytest $(PYTEST_ARGS)

# The whole suite again on real servers: a throwaway PostgreSQL and moto's S3-compatible
# server on loopback (.ci/services), stopped afterwards even when a test fails. moto's own
# venv is kept inside .venv so later runs skip installing it.
test-services: $(VENV)/.installed-dev
	@export SERVICES_VENV="$(CURDIR)/$(VENV)/moto-server"; trap '.ci/services stop' EXIT; \
	.ci/services start && set -a && . .services/env && set +a && $(BIN)/pytest $(PYTEST_ARGS)

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
bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/run.py $(FIGURES)

$(BENCH_VENV)/.installed: requirements.txt bench/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || { python="$$($(find_python))" && "$$python" -m venv $(BENCH_VENV); }
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements.txt
	@touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) staticfiles .pytest_cache .ruff_cache
