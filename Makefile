# The one place that knows how to install, run, test and lint the project.
# Extra pytest arguments: make test PYTEST_ARGS="-k overwrite -x"

VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=
# pytest-django connects to the server's `postgres` database and creates test_loyalty itself,
# so the `loyalty` database does not need to exist.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/loyalty
DEV := DJANGO_DEBUG=1
# The virtualenv's own installers, pinned: the ones python3 -m venv brings (pip 23.2.1,
# setuptools 65.5.0 on Python 3.11) have known advisories (issue 13).
PIP_VERSION := 26.3
SETUPTOOLS_VERSION := 84.2.1

.PHONY: install migrate demo run test test-sqlite test-postgres lint

install: $(VENV)/installed

$(VENV)/installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check pip==$(PIP_VERSION) setuptools==$(SETUPTOOLS_VERSION)
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

migrate: install
	$(DEV) $(PYTHON) manage.py migrate --noinput

demo: migrate
	$(DEV) $(PYTHON) manage.py load_demo

# The web server and a background-import worker together, from the Procfile, with honcho.
# PORT=8001 make run serves another port.
PORT ?= 8000
run: demo
	$(DEV) PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

# Production: migrate, collect the admin's static files, then gunicorn (gunicorn.conf.py).
# Needs DJANGO_SECRET_KEY; DATABASE_URL, DJANGO_ALLOWED_HOSTS and more: docs/deploy.md.
# Background imports need at least one `make worker` beside it, here or on other machines.
.PHONY: serve
serve: install
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve needs DJANGO_SECRET_KEY: see docs/deploy.md" >&2; exit 1; }
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn --config gunicorn.conf.py

# A background-import worker on its own machine (same DATABASE_URL, DJANGO_SECRET_KEY or
# LOYALTY_JOBS_KEY, and shared storage: docs/deploy.md, "Background jobs").
.PHONY: worker
worker: install
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make worker needs DJANGO_SECRET_KEY: see docs/deploy.md" >&2; exit 1; }
	$(PYTHON) manage.py jobs_worker

# Lint (the layer contracts included), then SQLite, then PostgreSQL; one recipe so the
# order holds under make -j too.
test: install
	$(MAKE) lint
	scripts/ensure-chromium
	scripts/ensure-nginx
	scripts/ensure-redis
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	scripts/ensure-postgres
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

test-sqlite: install
	scripts/ensure-chromium
	scripts/ensure-nginx
	scripts/ensure-redis
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install
	scripts/ensure-chromium
	scripts/ensure-nginx
	scripts/ensure-redis
	scripts/ensure-postgres
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(DEV) $(VENV)/bin/mypy

# Known vulnerabilities in the installed, pinned dependencies (needs PyPI's JSON API).
.PHONY: audit
audit: install
	scripts/audit

# The customers_batch benchmark (a script, not a test): SQLite, then PostgreSQL if it is up.
# BENCH_SMALL_SECONDS=10 shortens the small-request runs, BENCH_SKIP_MILLION=1 skips 1M rows.
# Then bench/jobs.py: a 1,000,000-row background import (100,000 with BENCH_SKIP_MILLION=1),
# and bench/export.py: the admin's export of 270,000 customers (BENCH_EXPORT_ROWS), CSV and XLSX,
# and bench/preview.py: the admin's preview of a 100,000-line file (BENCH_PREVIEW_LINES),
# and bench/worker_memory.py: a web worker's memory around a 60 MB form body (BENCH_BODY_MB),
# with and without GUNICORN_MAX_WORKER_MEMORY_MB, and bench/search.py and
# bench/search_phone.py: the admin's name and phone searches over 270,000 customers
# (BENCH_SEARCH_ROWS), SQLite and PostgreSQL.
.PHONY: bench
bench: install
	$(PYTHON) bench/run.py
	$(PYTHON) bench/jobs.py
	$(PYTHON) bench/export.py
	$(PYTHON) bench/preview.py
	$(PYTHON) bench/worker_memory.py
	$(PYTHON) bench/search.py
	$(PYTHON) bench/search_phone.py
