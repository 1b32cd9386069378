# The one place that knows how to install, run, test and lint the project.
# Extra pytest arguments: make test PYTEST_ARGS="-k overwrite -x"

VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=
# pytest-django connects to the server's `postgres` database and creates test_loyalty itself,
# so the `loyalty` database does not need to exist.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/loyalty
DEV := DJANGO_DEBUG=1

.PHONY: install migrate demo run test test-sqlite test-postgres lint

install: $(VENV)/installed

$(VENV)/installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

migrate: install
	$(DEV) $(PYTHON) manage.py migrate --noinput

demo: migrate
	$(DEV) $(PYTHON) manage.py load_demo

run: demo
	$(DEV) $(PYTHON) manage.py runserver 127.0.0.1:8000

# SQLite first, then PostgreSQL; one recipe so the order holds under make -j too.
test: install
	scripts/ensure-chromium
	LOYALTY_TESTING=1 $(VENV)/bin/pytest $(PYTEST_ARGS)
	scripts/ensure-postgres
	LOYALTY_TESTING=1 DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

test-sqlite: install
	scripts/ensure-chromium
	LOYALTY_TESTING=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install
	scripts/ensure-chromium
	scripts/ensure-postgres
	LOYALTY_TESTING=1 DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
