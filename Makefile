# The two set-up commands of README.md. Both work on a fresh Debian machine with Python 3.11+.
#   make site   install sitegen into .venv, import the synthetic sample responses, build the example site into output/ (--local: it opens from disk)
#   make test   install the system packages the tests drive (Chromium, Java, PostgreSQL), check lint, format
#               and types, then run the tests on both cores

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: site test lint install install-test system-packages

site: install
	$(BIN)/sitegen responses import --open-cases data/sample-responses.jsonl
	$(BIN)/sitegen cases import data/sample-case-steps.jsonl
	$(BIN)/sitegen build --local

test: system-packages install-test lint
	$(BIN)/pytest -n 2

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .

install-test:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'

system-packages:
	scripts/install-system-packages
