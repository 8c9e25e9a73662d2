# The README's two commands. Each sets up .venv on a fresh machine (Python >= 3.11, pip, make)
# from pyproject.toml pinned by constraints.txt, then does its job.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean constraints

$(STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

## make run: the whole reference study into out/ (no arguments, nothing to download)
run: $(STAMP)
	$(VENV)/bin/adamforge run

## make lint: static checks, each must pass: ruff lint, ruff format --check, mypy (pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python .ci/typecheck.py

## make test: the static checks (make lint), then the test suite
test: lint
	$(VENV)/bin/python -m pytest

## make bench: speed and memory figures (benchmarks/)
bench: $(STAMP)
	$(VENV)/bin/python benchmarks/run_all.py

## make constraints: re-pin constraints.txt from the current .venv (after changing dependencies)
constraints:
	$(VENV)/bin/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^adamforge' > constraints.txt

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache build/typecheck
