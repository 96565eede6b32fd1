# The two commands of the README: `make demo` (main job on the embedded data) and
# `make test` (set up a fresh machine and pass the tests). Both (re)use .venv/.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-chaos lint dashboard

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m sweep experiment=demo

test: install postgres
	$(PY) -m pytest -m "not chaos"

# Timed kill/interrupt tests: they failed intermittently under load (see the README).
test-chaos: install postgres
	$(PY) -m pytest -m chaos

test-fast: install postgres
	$(PY) -m pytest -m "not slow and not chaos"

# The PostgreSQL tests start a throwaway server themselves; they only need it installed.
.PHONY: postgres
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

lint: install
	$(VENV)/bin/ruff check src sweep tests

dashboard: install
	$(VENV)/bin/optuna-dashboard outputs/studies/journal.log
