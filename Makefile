# Care — developer commands. `make run` starts everything; `make test` runs the suite.
# Without DATABASE_URL / REDIS_URL in the environment, devstack starts an embedded PostgreSQL
# (data in var/pgdata) and a private redis-server for the command; with them (CI) it starts nothing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
DEVSTACK := $(PY) -m devstack exec --
PYTEST_ARGS ?=
# Parallel workers (pytest-xdist), each on its own database, Redis key prefix and media folder.
TEST_WORKERS ?= 3

# Dummy values that satisfy config.settings.production for `check --deploy` (never used to connect).
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DATABASE_URL=postgres://care:care@127.0.0.1:5432/care \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	ALLOWED_HOSTS=care.example.org \
	FIELD_KEYS=k1:$$($(PY) -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())') FIELD_KEY_ID=k1 \
	BLIND_INDEX_KEY=$$($(PY) -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')

.PHONY: help venv run test lint check bench browser load

help:
	@echo "make run      migrate, seed demo data, serve http://127.0.0.1:8000/ with celery worker+beat"
	@echo "make test     pytest (PYTEST_ARGS='-k foo' to narrow); installs chromium for e2e when root"
	@echo "make lint     ruff check"
	@echo "make check    missing migrations + production 'check --deploy'"
	@echo "make bench    timing scripts in bench/ (print figures, assert nothing)"
	@echo "make load     100 users for 60 s on gunicorn, p50/p95 per page (after make bench)"
	@echo "make venv     create .venv and install '.[dev]' when pyproject.toml changed"

venv: $(VENV)/.installed

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# Re-install only when pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

run: venv
	$(PY) -m devstack run

test: venv browser
	$(DEVSTACK) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

check: venv
	$(DEVSTACK) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Each bench/*.py seeds a realistic volume into its own database and prints figures.
bench: venv
	@for script in bench/*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks in bench/"; break; }; \
		echo "== $$script"; $(DEVSTACK) $(PY) "$$script" || exit $$?; \
	done

# 100 concurrent users for 60 s against gunicorn on the bench database (seeded by `make bench`).
load: venv
	$(DEVSTACK) $(PY) bench/lib/load.py

# The e2e tests drive Debian's chromium through Playwright (no browser download).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk; \
	else \
		echo "warning: /usr/bin/chromium is missing and we are not root; browser tests will fail." >&2; \
		echo "         install it with: sudo apt-get install chromium fonts-noto-cjk" >&2; \
	fi
