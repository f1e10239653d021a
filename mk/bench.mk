# Benchmarks side by side with the peer clients (issue 8). Never part of `make test`: these
# machines are noisy, and benchmarks are for comparing, not for gating. Method and output:
# bench/README.md.

BENCH_DIR := $(ROOT)/bench
BENCH_BUILD := $(BENCH_DIR)/.build
BENCH_PEERS := $(BENCH_DIR)/.peers
BENCH_VENV := $(BENCH_PEERS)/venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_EMULATOR := $(CARGO_TARGET_DIR)/release/imds-emulator
# Peers and build outputs stay under bench/ (gitignored): nothing touches the main
# workspace's lockfile, ~/go or ~/.m2.
BENCH_GOENV := GOMODCACHE=$(BENCH_PEERS)/gomod GOFLAGS=-modcacherw
BENCH_MVN := mvn -q -B -Dmaven.repo.local=$(BENCH_PEERS)/m2
SOAK_MINUTES ?= 10
SOAK_CONCURRENCY ?= 8
export IMDS_BENCH_EMULATOR := $(BENCH_EMULATOR)

BENCH_TARGETS += bench-run

.PHONY: bench-run bench-build bench-emulator bench-rust bench-python bench-python-binding \
	bench-go bench-java bench-tools soak

bench-run: bench-build ## Run every client on every workload; BENCH_QUICK=1 for a 1-2 min smoke run.
	$(BENCH_PY) $(BENCH_DIR)/harness/bench.py run

bench-build: bench-emulator bench-rust bench-python bench-go bench-java bench-tools ## Build and install everything the benchmarks run (release builds, peers, wrk, nginx).

bench-emulator: ## Build the emulator in release mode for the benchmarks.
	$(CARGO) build --release -p imds-emulator --bin imds-emulator --locked

bench-rust: ## Build the Rust runner (core, aws-config, raw loop) in its own workspace.
	$(CARGO) build --release --locked --manifest-path $(BENCH_DIR)/rust/Cargo.toml \
	  --target-dir $(BENCH_BUILD)/rust

$(BENCH_VENV)/.installed: $(BENCH_DIR)/python/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_VENV)/bin/pip install -q -r $<
	touch $@

bench-python: $(BENCH_VENV)/.installed bench-python-binding ## Bench venv with botocore, ec2-metadata, matplotlib and our binding.

# Our binding is built from the tree each run; until it builds, the harness reports
# python/imds as not available rather than failing the run.
bench-python-binding: $(BENCH_VENV)/.installed
	@if [ -f $(ROOT)/bindings-python/pyproject.toml ]; then \
	  $(BENCH_VENV)/bin/pip install -q --force-reinstall --no-deps $(ROOT)/bindings-python \
	    || echo "bench: the Python binding did not build; it will be reported as not available"; \
	fi

bench-go: ## Build the Go runner (aws-sdk-go-v2 feature/ec2/imds).
	cd $(BENCH_DIR)/go && $(BENCH_GOENV) go build -o $(BENCH_BUILD)/go/imds-bench-go .

bench-java: ## Build the Java runner (AWS SDK for Java v2 Ec2MetadataClient).
	cd $(BENCH_DIR)/java && $(BENCH_MVN) package dependency:build-classpath \
	  -Dmdep.outputFile=$(BENCH_BUILD)/java/classpath.txt

# wrk is the raw load generator and nginx the reference server; both from Debian, and
# only when missing.
bench-tools: ## Install wrk and nginx from Debian if they are missing.
	@missing=""; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

soak: bench-emulator bench-rust bench-python ## Hammer one client for SOAK_MINUTES (default 10); report errors and RSS growth.
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_CONCURRENCY=$(SOAK_CONCURRENCY) \
	  $(BENCH_PY) $(BENCH_DIR)/harness/bench.py soak
