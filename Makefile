# Everything starts from a machine with only python3: each target creates ./venv (the same virtual
# environment Pulumi uses) and installs what it needs, once per change of the requirements.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
# Extra arguments, e.g. `make demo ARGS="--images ~/photos --out out"`.
ARGS ?=

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-local: local/requirements.txt worker/requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r local/requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt local/requirements.txt worker/requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-local

demo: $(VENV)/.installed-local
	$(BIN)/python -m local $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every benchmark; each prints ratios against a baseline measured in the same run.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.scaling_compare
	$(BIN)/python -m bench.worker_resize
	$(BIN)/python -m bench.output_sizes
	$(BIN)/python -m bench.worker_memory
	$(BIN)/python -m bench.worker_scaling
	$(BIN)/python -m bench.worker_latency
	$(BIN)/python -m bench.local_throughput
	$(BIN)/python -m bench.ops_backfill

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis out bench/results
