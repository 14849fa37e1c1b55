# syncd developer tasks. Works on a fresh Debian machine with python3 >= 3.11, as root or not.
#   make test         run the test suite (creates .venv, installs LibreOffice when root)
#   make demo         sync the demo copies in examples/demo into a fresh demo-run/ folder
#   make bench        run the benchmarks (make bench-quick for a short run)
#   make clean        remove generated files (make distclean also removes .venv)

# Recipes run under a known shell with errors fatal, whatever the caller's shell is.
SHELL := /bin/sh
.SHELLFLAGS := -eu -c
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_DIR := demo-run
DEMO_CANONICAL := $(DEMO_DIR)/canonical/Campaign tracker.xlsx

.PHONY: venv libreoffice test demo bench bench-quick clean distclean

venv: $(STAMP)

# The interpreter itself: made once. Debian ships venv support separately (python3-venv), so a
# failed first attempt installs it when we can, instead of leaving a broken half-made .venv.
$(VPY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "syncd needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 ..." >&2; exit 1; }
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing python3-venv (needed to create $(VENV))..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "Cannot create $(VENV): install Python's venv support first (Debian: sudo apt-get install python3-venv)." >&2; \
	    exit 1; \
	  fi; \
	fi

# Re-install only when the dependencies may have changed.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# LibreOffice is optional: without it the tests that re-save files with LibreOffice are skipped.
libreoffice:
	@if command -v soffice >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing LibreOffice Calc (for the tests that re-save files with LibreOffice)..."; \
	  if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; then \
	    echo "LibreOffice installed."; \
	  else \
	    echo "Could not install LibreOffice; the LibreOffice tests will be skipped."; \
	  fi; \
	else \
	  echo "LibreOffice is not installed, so the LibreOffice tests will be skipped (to run them: sudo apt-get install libreoffice-calc-nogui)."; \
	fi

test: venv libreoffice
	$(VPY) -m pytest $(PYTEST_ARGS)

# A fresh copy each time, so the demo always starts from the mailed copies and no earlier sync.
demo: venv
	rm -rf $(DEMO_DIR)
	cp -R examples/demo $(DEMO_DIR)
	rm -rf $(DEMO_DIR)/.syncd $(DEMO_DIR)/canonical
	@status=0; $(VENV)/bin/syncd sync -c $(DEMO_DIR)/syncd.toml || status=$$?; \
	if [ -f "$(DEMO_CANONICAL)" ]; then \
	  echo ""; \
	  echo "The canonical workbook is: $(CURDIR)/$(DEMO_CANONICAL)"; \
	  echo "Open it in Excel or LibreOffice; run 'make demo' again to start over."; \
	fi; \
	exit $$status

bench: venv
	$(VPY) -m bench

bench-quick: venv
	$(VPY) -m bench --quick
	$(VPY) -m bench.stages --quick

clean:
	rm -rf $(DEMO_DIR) build dist .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune \
	  -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
