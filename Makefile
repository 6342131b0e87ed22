# Everything a user or CI runs goes through these targets. `make help` lists them.
SWIFT        ?= swift
DEB_PACKAGES := libopenblas-dev liblapack-dev liblapacke-dev zlib1g-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN   = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: help deps build test bench format

help: ## list the targets
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

deps: ## install the Debian packages the build needs (only those missing)
	@dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(DEB_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_PACKAGES); }

build: deps ## debug build of everything
	$(SWIFT) build

test: deps ## run the test suite (single-threaded BLAS for repeatable numbers)
	OPENBLAS_NUM_THREADS=1 $(SWIFT) test

bench: deps ## release-build benchmarks: GEMM ratio vs direct BLAS, QR/SVD, integrators, training
	$(SWIFT) build -c release --product dlrt-bench
	$(RELEASE_BIN)/dlrt-bench

format: ## format the sources with the toolchain's swift-format
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks Examples
