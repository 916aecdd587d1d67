# The README's two commands: `make demo` (the main job) and `make test`.
# Both create .venv from the project's own files first; nothing else is needed.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
BUILD   := build
# Keep PyTensor's compiled code inside the build folder, so warm runs reuse it.
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/$(BUILD)/pytensor
export MPLBACKEND ?= Agg

.PHONY: demo test setup lab clean snapshot bench docs

$(STAMP): pyproject.toml constraints.txt
	@PYBIN=$$(scripts/find-python) || exit 1; \
	  echo "Using $$PYBIN ($$($$PYBIN --version))"; \
	  [ -x $(PY) ] || $$PYBIN -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --prefix $(VENV) --name python3 --display-name "Python 3 (decide)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py --out $(BUILD)

# In parallel on every core (pytest-xdist). tests/conftest.py keeps a test file on one worker, and the notebooks'
# nbval cells with tests/test_notebooks.py (one kernel per notebook; the demo's run is compared with nbval's).
# The 20 slowest tests are listed at the end.
# Linear algebra on one thread in each worker: two workers each running two BLAS threads on two cores made
# regressions and Gaussian processes many times slower than one thread each.
TEST_WORKERS ?= auto
test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=20 $(PYTEST_ARGS)

# Every page `make demo` wrote, as PNG pages in build/snapshots/ (headless Chromium, no network).
snapshot: $(STAMP)
	$(PY) scripts/snapshot --build $(BUILD)

# Every benchmark, one table of ratios against the aims: build/bench.md and build/bench.json (takes minutes).
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The case-file reference and JSON Schema, made again from the models (tests fail when they are out of date).
docs: $(STAMP)
	$(PY) -m decide schema -o docs/case-file.schema.json --force
	$(PY) -m decide reference -o docs/case-file.md --force

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(BUILD)
