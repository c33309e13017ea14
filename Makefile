# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench sweep sweep-sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77"

# The editable install, byte-compiled as a wheel's install is: compileall writes .pyc even
# under PYTHONDONTWRITEBYTECODE=1, with which every process would compile ~100 modules again
# (0.07-0.1 s of each start). __pycache__/ is git-ignored.
$(STAMP): $(BIN)/python pyproject.toml setup.cfg Makefile
	$(BIN)/python -m pip install --quiet -e '.[test,dask,parquet,web,docs]'
	$(BIN)/python -m compileall -q mapdiff
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mapdiff demo --out out

# the suite on every core (pytest-xdist: one module per worker at a time, so module fixtures
# are built once; each worker its own read cache, tests/conftest.py);
# `$(BIN)/python -m pytest` alone runs it in one process
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check mapdiff tests benchmarks tools
	$(BIN)/ruff format --check mapdiff tests benchmarks tools

# The documentation site (docs/, mkdocs.yml): strict, so a warning or a broken reference
# fails.
.PHONY: docs

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir build/site

# Every speed target of issue 18 in one table (needs ../shared/data or MAPDIFF_SHARED_DATA;
# a temporary cache, removed at the end). benchmarks/{compare,history,encircle,load_all}.py
# print the details of one area each.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

# The real-corpus sweep (issue 26, tools/sweep.py): every reading operation and analysis
# over every release of every source in ../shared/data (or $MAPDIFF_SHARED_DATA), each
# unit a subprocess bounded in time and memory; fails on an exit code other than 0, a
# hang or a broken invariant. sweep-sample: a few releases per source (CI runs it after
# the tests). Both skip with a message when the data folder is absent. docs/sweep.md.
sweep: $(STAMP)
	nice -n 10 $(BIN)/python tools/sweep.py

sweep-sample: $(STAMP)
	nice -n 10 $(BIN)/python tools/sweep.py --sample

clean:
	rm -rf $(VENV) out build *.egg-info
