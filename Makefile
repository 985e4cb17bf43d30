# ipc-course: `make lab` opens the course, `make test` runs every test.
# Both create the virtual environment first when it is missing or stale.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser
CHROMIUM ?= $(shell command -v chromium chromium-browser 2>/dev/null | head -1)

# Per-cell timeout for executed notebooks (seconds), and the start methods each run uses
# ("default" = the platform's).  `make test` runs the lab checks under LAB_METHODS and the
# notebooks under NOTEBOOK_METHODS; `make test-all` adds whatever of ALL_METHODS that left out.
CELL_TIMEOUT     ?= 120
LAB_METHODS      ?= default
NOTEBOOK_METHODS ?= default
ALL_METHODS      ?= fork spawn forkserver
# METHODS="..." picks the methods of test-labs and test-notebooks (all three by default); given to
# `make test` or `make test-all`, it replaces LAB_METHODS and NOTEBOOK_METHODS.
ifneq ($(filter command line environment,$(origin METHODS)),)
  LAB_METHODS      := $(METHODS)
  NOTEBOOK_METHODS := $(METHODS)
endif
METHODS          ?= $(ALL_METHODS)
BUDGET           ?= 60
# `make test-matrix`: `make test-all`'s start-method runs on every other Python version listed
# that is installed (on PATH, or under pyenv).
MATRIX_VERSIONS ?= 3.10 3.12 3.13 3.14

# Keep Jupyter, IPython and matplotlib state inside the project.
STATE := $(CURDIR)/.jupyter
export JUPYTER_CONFIG_DIR        := $(STATE)/config
export JUPYTER_RUNTIME_DIR       := $(STATE)/runtime
export JUPYTERLAB_SETTINGS_DIR   := $(STATE)/lab/user-settings
export JUPYTERLAB_WORKSPACES_DIR := $(STATE)/lab/workspaces
export IPYTHONDIR                := $(STATE)/ipython
export MPLCONFIGDIR              := $(STATE)/matplotlib
export DASK_TEMPORARY_DIRECTORY  := $(STATE)/dask
export PYTHONDONTWRITEBYTECODE   := 1

NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT)

.PHONY: help setup lab course html test test-all test-methods test-unit test-labs test-notebooks test-browser test-matrix labs bench budget clean chromium

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

setup: $(STAMP)  ## create .venv and install the course (no-op when up to date)

# uv installs the same packages as pip would, in a fifth of the time (it downloads and compiles in parallel).
UV := $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) -e '.[test]'
	touch $@

# Ctrl-C stops the server at once (no "Shutdown this server?" prompt).
LAB_OPTS := --ServerApp.answer_yes=True $(if $(filter 0,$(shell id -u)),--allow-root)

# INSTRUCTOR=1: open the nbgrader course folder instead, with nbgrader's instructor panels.
INSTRUCTOR ?=
COURSE     ?= build/course

# The server's root is the project folder (chapters, labs, README; solutions for an instructor),
# and the browser opens chapter 00 in it.
lab: $(STAMP)  ## open the course in JupyterLab (chapter 00 first); LAB_ARGS=--no-browser ...; INSTRUCTOR=1 to grade
ifeq ($(INSTRUCTOR),)
	$(PY) -m ipclab jupyter-config $(JUPYTER_CONFIG_DIR) --role learner --settings $(JUPYTERLAB_SETTINGS_DIR)
	$(VENV)/bin/jupyter lab $(LAB_OPTS) --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS) notebooks/00_setup.ipynb
else
	$(MAKE) --no-print-directory course
	$(PY) -m ipclab jupyter-config $(STATE)/instructor --role instructor --settings $(JUPYTERLAB_SETTINGS_DIR)
	cd $(COURSE) && JUPYTER_CONFIG_DIR=$(STATE)/instructor $(abspath $(VENV))/bin/jupyter lab $(LAB_OPTS) $(LAB_ARGS)
endif

course: $(STAMP)  ## write the nbgrader course folder $(COURSE) (config, source/labNN/) from solutions/
	$(PY) -m ipclab course $(COURSE)

# Every test run goes through tests/run.py: it checks the start methods first, runs its pytest
# runs side by side (they mostly wait; what measures -- tests marked `serial`, notebook cells
# whose metadata says "alone" -- runs alone), and prints each notebook's time, slowest first.
JOBS := 6
RUN  := $(PY) tests/run.py --jobs $(JOBS)
RUN_NOTEBOOKS = -- $(NBVAL)

test: $(STAMP)  ## the quick run: unit tests, lab checks under LAB_METHODS, notebooks and solutions once (quick mode)
	$(RUN) --unit --labs "$(LAB_METHODS)" --notebooks "$(NOTEBOOK_METHODS)" $(RUN_NOTEBOOKS)

test-all: $(STAMP)  ## the full run (CI): make test, every other start method, every chapter at full size, the browser
	$(MAKE) --no-print-directory test
	$(MAKE) --no-print-directory test-methods
	$(MAKE) --no-print-directory html
	$(MAKE) --no-print-directory test-browser

test-methods: $(STAMP)  ## what `make test` left out: the other start methods, and the tests marked full
	$(RUN) --full --labs "$(ALL_METHODS)" --labs-done "$(LAB_METHODS)" \
	  --notebooks "$(ALL_METHODS)" --notebooks-done "$(NOTEBOOK_METHODS)" $(RUN_NOTEBOOKS)

test-unit: $(STAMP)  ## the unit tests alone, one at a time (no lab checks, no notebooks)
	IPCLAB_QUICK=1 $(PY) -m pytest tests --ignore=tests/browser --ignore=tests/test_labs.py

test-labs: $(STAMP)  ## the lab checks alone: wrong and right answers under each of METHODS
	$(RUN) --labs "$(METHODS)"

test-notebooks: $(STAMP)  ## execute notebooks/ and solutions/ under each of METHODS (quick mode)
	$(RUN) --notebooks "$(METHODS)" $(RUN_NOTEBOOKS)

budget: $(STAMP)  ## run notebooks/ and solutions/ in quick mode alone, and exit 1 if one takes over BUDGET s
	$(RUN) --notebooks default --notebook-jobs 1 --budget $(BUDGET) $(RUN_NOTEBOOKS)

$(BROWSER_STAMP): $(STAMP)
	$(UV) -e '.[test,browser]'
	touch $@

chromium:  ## install Debian's Chromium for the browser tests when it is missing (needs root)
	@if [ -n "$(CHROMIUM)" ]; then echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && echo "installed chromium"; \
	else echo "Chromium is missing. Install it (Debian/Ubuntu: sudo apt-get install chromium)" \
	  "or point CHROMIUM=/path/to/chrome at one, then run make test-browser again."; exit 1; fi

test-browser: $(BROWSER_STAMP) chromium  ## run every chapter and a lab in JupyterLab in headless Chromium
	IPCLAB_QUICK=1 CHROMIUM="$${CHROMIUM:-$$(command -v chromium chromium-browser | head -1)}" \
	  $(PY) -m pytest tests/browser

test-matrix: $(STAMP)  ## make test and make test-methods on every other Python version found, each in .venv-X.Y
	@set -e; for v in $(MATRIX_VERSIONS); do \
	  py=$$(command -v python$$v || true); \
	  if [ -z "$$py" ] || ! $$py -c '' 2>/dev/null; then \
	    py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v 2>/dev/null | tail -1); fi; \
	  if [ -n "$$py" ]; then \
	    echo "== Python $$v: $$py"; \
	    $(MAKE) --no-print-directory test test-methods PYTHON=$$py VENV=.venv-$$v; \
	  else echo "== Python $$v not found, skipped"; fi; \
	done

html: $(STAMP)  ## run every chapter once (full size) and write the course as a static website in build/html
	$(PY) -m ipclab html build/html

labs: $(STAMP)  ## regenerate labs/ from solutions/
	$(PY) -m ipclab labs

bench: $(STAMP)  ## the toolkit's own costs, then chapter 10's full comparison: table, CSV and figure in results/
	$(PY) -m ipclab bench toolkit
	$(PY) -m ipclab bench compare --out results

clean:  ## remove the virtual environments and everything the build or Jupyter made
	rm -rf .venv .venv-* .jupyter build *.egg-info
	find . -name __pycache__ -o -name .ipynb_checkpoints | xargs rm -rf
	rm -f labs/lab*_ex*.py solutions/lab*_ex*.py
