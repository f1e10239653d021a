# One task runner for every language. `make help` lists the targets.
# Before adding or changing a language's targets, read CONTRIBUTING.md (conventions, the
# emulator contract, the demo contract, how to commit).
#
# Each language keeps its targets in mk/<language>.mk and registers them by appending to
# TEST_TARGETS, DEMO_TARGETS, LINT_TARGETS or BENCH_TARGETS, so adding a language never
# edits this file.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath .)
CARGO ?= cargo
CARGO_TARGET_DIR ?= $(ROOT)/target
export CARGO_TARGET_DIR
# The binaries every language's tests and demos start as child processes:
# `imds-emulator` prints one JSON line {"endpoint":..,"admin":..,"pid":..} once it listens.
IMDS_BIN := $(CARGO_TARGET_DIR)/debug/imds
IMDS_EMULATOR_BIN := $(CARGO_TARGET_DIR)/debug/imds-emulator
export IMDS_BIN IMDS_EMULATOR_BIN

TEST_TARGETS :=
DEMO_TARGETS :=
LINT_TARGETS :=
BENCH_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help test demo lint bench build-cli build-emulator

help: ## List every target with what it does.
	@grep -hE '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) \
	  | sed -E 's/^([^:]+):.*## (.*)/\1\t\2/' | sort | awk -F'\t' '{printf "  %-18s %s\n", $$1, $$2}'

build-emulator: ## Build the `imds-emulator` binary that every language's tests start.
	$(CARGO) build -p imds-emulator --bin imds-emulator --locked

build-cli: ## Build the `imds` binary (CLI and emulator) used by every test suite.
	$(CARGO) build -p imds-cli --locked

test: lint $(TEST_TARGETS) ## Run every linter and every test in every language.
	@echo "make test: all suites passed ($(TEST_TARGETS))"

lint: $(LINT_TARGETS) ## Run every formatter check and linter.

demo: build-cli build-emulator $(DEMO_TARGETS) ## Build everything, start the emulator, run each language's demo.
	@bash scripts/demo.sh

bench: $(BENCH_TARGETS) ## Run the benchmarks side by side with the peer clients.
