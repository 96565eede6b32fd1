# The two commands of the README: `make demo` (main job on the embedded data) and
# `make test` (set up a fresh machine and pass the tests). Both (re)use the stack's venv.
#
# STACK picks one of the supported stacks (docs/compatibility.md), each in its own venv with
# its exact pins in requirements/ (one file per TensorFlow): tf221 (default) is Python 3.12 + TensorFlow 2.21 with
# tf-keras in .venv/; tf221-py313 is the same on Python 3.13 in .venv-tf221-py313/; tf215 is
# Python 3.11 + TensorFlow 2.15.1 in .venv-tf215/.
STACK ?= tf221
ifeq ($(STACK),tf221)
PYTHON_VERSION := 3.12
PINS := tf221
VENV := .venv
else ifeq ($(STACK),tf221-py313)
PYTHON_VERSION := 3.13
PINS := tf221
VENV := .venv-tf221-py313
else ifeq ($(STACK),tf215)
PYTHON_VERSION := 3.11
PINS := tf215
VENV := .venv-tf215
else
$(error STACK=$(STACK) is not a supported stack: use tf221, tf221-py313 or tf215)
endif
LOCK := requirements/$(PINS).txt
# Packages whose metadata pip cannot resolve on the stack, installed with --no-deps.
NODEPS := $(wildcard requirements/$(PINS)-nodeps.txt)
# pythonX.Y on PATH; where pyenv's shim has another version selected, pyenv's newest X.Y.
ifndef PYTHON
PYTHON := $(shell python$(PYTHON_VERSION) -c '' 2>/dev/null && echo python$(PYTHON_VERSION) || \
	{ v=$$(pyenv versions --bare 2>/dev/null | grep -x '$(PYTHON_VERSION)\.[0-9]*' | tail -1); \
	  test -n "$$v" && echo "$$(pyenv root)/versions/$$v/bin/python$(PYTHON_VERSION)"; })
endif
PY := $(VENV)/bin/python
# CPU=no-avx512 runs a suite as a CPU without AVX-512 computes it: NumPy and oneDNN pick
# their kernels at run time, and the sampler's draws and the floats follow (tests/cpu_kind.py).
AS_CPU := $(if $(CPU),$(PY) -m tests.cpu_kind $(CPU) -- )
STAMP := $(VENV)/.installed

.PHONY: install lock demo test test-long test-zoo test-zoo-configs test-fast test-numerics test-chaos lint dashboard dashboard-screenshot report-screenshot

# Reinstall only when the project's dependencies or the stack's pins change.
$(STAMP): pyproject.toml $(LOCK) $(NODEPS)
	@test -n "$(PYTHON)" || { echo "error: no python$(PYTHON_VERSION) found for STACK=$(STACK); pass PYTHON=/path/to/python$(PYTHON_VERSION)" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(PYTHON_VERSION)")' || \
		{ echo "error: $(VENV) is not Python $(PYTHON_VERSION), which STACK=$(STACK) needs: remove it (a Python 3.11 .venv of before can become .venv-tf215), check PYTHON=" >&2; exit 2; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[dev,postgres,slurm]'
	$(if $(NODEPS),$(PY) -m pip install --quiet --no-deps -c $(LOCK) -r $(NODEPS))
	@touch $(STAMP)

install: $(STAMP)

# Rewrite the stack's pins from its venv, after installing a changed requirement in it.
lock: install
	@{ sed -n '/^#/p' $(LOCK); $(PY) -m pip freeze --exclude-editable; } > $(LOCK).new
	@mv $(LOCK).new $(LOCK)

demo: install
	$(PY) -m sweep experiment=demo

test: install postgres chromium
	$(AS_CPU)$(PY) -m pytest -m "not chaos and not long and not zoo and not zoo_configs"

# Further real trainings (SIGKILL + resume, fine-tuning, the OD API's exporter, NaN stop):
# 7 min here, kept out of `make test` to hold it within 25 min; .ci/run runs both.
test-long: install postgres
	$(AS_CPU)$(PY) -m pytest -m long

# Every zoo family trains 2 steps (ssd640, plain SSD, EfficientDet D0, RetinaNet 50, Faster
# R-CNN 50, CenterNet), and every logbook run (experiment=logbook/run_1..8) trains 2 steps and
# keeps its seed fields: ~14 min; .ci/run runs it.
test-zoo: install
	$(AS_CPU)$(PY) -m pytest -m zoo

# Every one of the 31 zoo configs builds and computes a loss: ~12 min.
test-zoo-configs: install
	$(AS_CPU)$(PY) -m pytest -m zoo_configs

# Kill storms on PostgreSQL and the journal file, a PostgreSQL restart, 32 workers on one
# study, the SLURM cluster, SIGINT/SIGKILL of a sweep: ~9 min here; .ci/run runs it. The tests
# wait for events under generous bounds, and their daemons stop even when a test fails.
test-chaos: install postgres slurm
	$(AS_CPU)$(PY) -m pytest -m chaos

test-fast: install postgres chromium
	$(AS_CPU)$(PY) -m pytest -m "not slow and not chaos"

# What rests on TensorFlow's internals, whatever its marks: op determinism and the ordered
# sums (same seed, same metrics.json), ten steps per call with the losses of one, our loop
# against the OD API's own train_loop, the tf-slim fix under the OD API's own tools, and
# TF_USE_LEGACY_KERAS in every process: ~6 min. .ci/run runs it on the other stacks.
test-numerics: install
	$(AS_CPU)$(PY) -m pytest tests/training/test_determinism.py tests/training/test_ordered_sums.py \
		tests/training/test_steps_per_call.py tests/training/test_od_api_parity.py \
		tests/training/test_od_api_tools.py tests/test_legacy_keras.py

# The PostgreSQL tests start a throwaway server themselves; they only need it installed.
.PHONY: postgres
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# The SLURM tests start a throwaway single-node cluster themselves (munged, MariaDB for
# slurmdbd, whose sacct tells submitit that a job was cancelled, slurmctld, slurmd).
.PHONY: slurm
slurm:
	@test -x /usr/sbin/slurmctld -a -x /usr/sbin/slurmd -a -x /usr/sbin/slurmdbd -a -x /usr/sbin/munged -a -x /usr/sbin/mariadbd || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server)

# The dashboard test drives Debian's headless Chromium through chromedriver (selenium);
# a browser downloaded by a Python package cannot be fetched here.
.PHONY: chromium
chromium:
	@test -x /usr/bin/chromedriver || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

lint: install
	$(VENV)/bin/ruff check src sweep tests

# The studies of `python -m sweep -m hparams_search=...` with their trials' artifacts, on
# http://127.0.0.1:$(DASHBOARD_PORT)/ only (forward the port to view it from elsewhere).
STORAGE ?= outputs/studies/journal.log
ARTIFACTS ?= outputs/studies/artifacts
DASHBOARD_PORT ?= 8080
dashboard: install
	@mkdir -p $(ARTIFACTS)
	$(VENV)/bin/optuna-dashboard '$(STORAGE)' --artifact-dir '$(ARTIFACTS)' --host 127.0.0.1 --port $(DASHBOARD_PORT)

# A toy study's best trial in optuna-dashboard, in headless Chromium (docs/dashboard.png
# itself is a real race's trial: the command is in docs/studies.md).
dashboard-screenshot: install chromium
	$(PY) -m tests.dashboard.screenshot --out docs/dashboard.png

# A toy study's report in headless Chromium (docs/report.png itself is a real race's Race
# section: the command is in docs/studies.md).
report-screenshot: install chromium
	$(PY) -m tests.report.screenshot --out docs/report.png
