# zkcc — one command sets up and runs the demo, one runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: setup demo test test-slow bench fuzz lint format clean

SNARKJS := .snarkjs/node_modules/.bin/snarkjs

# The mpi extra (mpi4py and the mpich wheel: libmpi and mpiexec inside .venv, no system MPI)
# lets tests/test_comm.py run real `mpiexec -n 2/3` jobs; without it those tests skip.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,mpi]'
	touch $(STAMP)

setup: $(STAMP)

# snarkjs 0.7.6 beside zkcc, for the interop tests and the Groth16 benchmark; without npm (or
# without the registry) those tests skip with a reason.
$(SNARKJS):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix .snarkjs snarkjs@0.7.6 --no-audit --no-fund --loglevel=error \
		|| echo "snarkjs not installed: the snarkjs interop tests will skip"; \
	else echo "npm not found: the snarkjs interop tests will skip"; fi

## demo: compile, prove and verify the batched dot-product example
demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/zkcc compile examples/dot/dot.zkcu -o $(OUT)/dot.zkplan --explain
	$(BIN)/zkcc prove $(OUT)/dot.zkplan -i examples/dot/inputs.json -o $(OUT)/dot.zkproof
	$(BIN)/zkcc verify $(OUT)/dot.zkplan $(OUT)/dot.zkproof --source examples/dot/dot.zkcu
	$(BIN)/zkcc inspect $(OUT)/dot.zkproof

## test: the default test suite (slow tests excluded)
test: $(STAMP) $(SNARKJS)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP) $(SNARKJS)
	$(BIN)/python bench/sumcheck.py
	$(BIN)/python bench/rounds.py
	$(BIN)/python bench/gkr.py
	$(BIN)/python bench/pcs.py
	$(BIN)/python bench/groth16.py
	$(BIN)/python bench/scale.py

## fuzz: fuzz sources, plans, proofs, keys and inputs, FUZZ_SECONDS (default 60) per target;
## the report goes to bench/results/fuzz.json, reproducers to $TMPDIR/zkcc-fuzz-findings
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --seconds $(FUZZ_SECONDS)

lint: $(STAMP)
	$(BIN)/ruff check zkcc tests bench
	$(BIN)/ruff format --check zkcc tests bench

format: $(STAMP)
	$(BIN)/ruff format zkcc tests bench
	$(BIN)/ruff check --fix zkcc tests bench

clean:
	rm -rf $(OUT) .pytest_cache
