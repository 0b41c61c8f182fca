# Two commands do everything on a fresh clone: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint catalogs

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

catalogs: $(STAMP)
	$(PY) -m bot i18n compile

# Without TELEGRAM_TOKEN: the terminal chat on the embedded SQLite. With it: live on Telegram.
run: catalogs
	$(PY) -m bot

# The whole suite, on SQLite and on PostgreSQL (TEST_POSTGRES_URL, default the local server).
test: catalogs
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
