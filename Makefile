# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/coop
REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: run test install services chromium lint typecheck pytest benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

services:
	bash scripts/services.sh

chromium:
	bash scripts/chromium.sh

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy .

pytest: install services chromium
	DATABASE_URL=$(PG_URL) COOP_TEST_REDIS_URL=$(REDIS_URL) $(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck pytest

benchmark: install services
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py migrate --noinput
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark packing --json benchmark-packing.json
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark csv_import --json benchmark-csv_import.json
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark feed --json benchmark-feed.json
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark matching --json benchmark-matching.json
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark matching --workers 2 --json benchmark-matching-workers.json
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py benchmark settlement --json benchmark-settlement.json

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache
