# Benchmarks side by side with the peer clients. Never part of `make test`: these
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
# Our bindings, built in release mode (the tests use debug builds) into bench/.build, so the
# debug libraries and jar the tests use in target/imds-c and bindings-java/target are never
# replaced under another build or test run.
BENCH_C_OUT := $(BENCH_BUILD)/imds-c
BENCH_C_BIN := $(BENCH_BUILD)/c/imds-bench-c
BENCH_GO_IMDS_BIN := $(BENCH_BUILD)/go/imds-bench-go-imds
BENCH_JAVA_BINDING := $(BENCH_BUILD)/java-binding
BENCH_IMDS_JAR := $(BENCH_BUILD)/java/imds.jar
SOAK_MINUTES ?= 10
SOAK_CONCURRENCY ?= 8
export IMDS_BENCH_EMULATOR := $(BENCH_EMULATOR)

# The soak comes after the side-by-side run, never beside it: both would share the 2 cores.
BENCH_TARGETS += bench-run bench-soak

.PHONY: bench-run bench-build bench-emulator bench-rust bench-python bench-python-binding \
	bench-c-lib bench-c bench-go bench-java-binding bench-java bench-tools bench-lint soak \
	bench-soak

bench-run: bench-build ## Run every client on every workload; BENCH_QUICK=1 for a 1-2 min smoke run.
	$(BENCH_PY) $(BENCH_DIR)/harness/bench.py run

bench-build: bench-emulator bench-rust bench-python bench-c bench-go bench-java bench-tools ## Build and install everything the benchmarks run (release builds, peers, wrk, nginx).

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

# The release C library, staged by mk/c.mk's own build-c into bench/.build (C_OUT overridden
# on the command line of the sub-make). Like the Python binding, a library that does not
# build leaves c/imds and go/imds reported as not available rather than failing the run;
# the old copy is removed first so a stale build is never measured.
bench-c-lib: ## Build the release libimds.a and imds.h for the C and Go bench runners.
	@rm -rf $(BENCH_C_OUT)/lib $(BENCH_C_OUT)/include
	$(MAKE) --no-print-directory build-c C_PROFILE=release C_OUT=$(BENCH_C_OUT) \
	  || echo "bench: the C library did not build; c/imds and go/imds will be reported as not available"

bench-c: bench-c-lib ## Build the C runner (bench/c/runner.c) against the release libimds.a.
	@rm -f $(BENCH_C_BIN)
	@mkdir -p $(dir $(BENCH_C_BIN))
	if [ -f $(BENCH_C_OUT)/lib/libimds.a ]; then \
	  $(CC) -std=c11 -O2 $(C_WARNINGS) -I$(BENCH_C_OUT)/include -o $(BENCH_C_BIN) \
	    $(BENCH_DIR)/c/runner.c $(BENCH_C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS); \
	fi

# Our Go package links the release libimds.a named in CGO_LDFLAGS (tag imds_custom_link, see
# bindings-c/go/link.go). As in mk/go.mk, the checksum of the library and header, named as a
# search directory that does not exist, makes every change to them a new go build cache key.
BENCH_GO_LINK = CGO_LDFLAGS="$(BENCH_C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS) \
  -L$(BENCH_BUILD)/go/libimds-$$(cat $(BENCH_C_OUT)/lib/libimds.a $(BENCH_C_OUT)/include/imds.h \
  | sha256sum | cut -c1-16)"
BENCH_GO_TAGS := imds_binding,imds_custom_link

bench-go: bench-c-lib ## Build the Go runners: aws-sdk-go-v2 (pure Go) and our package (cgo, release libimds.a).
	cd $(BENCH_DIR)/go && $(BENCH_GOENV) go build -o $(BENCH_BUILD)/go/imds-bench-go .
	@rm -f $(BENCH_GO_IMDS_BIN)
	if [ -f $(BENCH_C_OUT)/lib/libimds.a ]; then \
	  cd $(BENCH_DIR)/go && $(BENCH_GOENV) $(BENCH_GO_LINK) \
	    go build -tags $(BENCH_GO_TAGS) -o $(BENCH_GO_IMDS_BIN) .; \
	fi

# Our jar is `make build-java JAVA_PROFILE=release` run on a copy of bindings-java's pom and
# main sources in bench/.build (JAVA_DIR overridden), with the bench's Maven repository: the
# same build and flags as mk/java.mk, without touching bindings-java/target, where the Java
# tests may be running at the same moment. Cargo still builds the JNI library in the shared
# target directory (target/release). Until the binding builds, java/imds is reported as not
# available and the peer still runs.
bench-java-binding: ## Build our jar with the release JNI library for the Java runner.
	@rm -f $(BENCH_IMDS_JAR)
	@if [ -f $(ROOT)/bindings-java/pom.xml ]; then \
	  rm -rf $(BENCH_JAVA_BINDING) && mkdir -p $(BENCH_JAVA_BINDING)/src $(dir $(BENCH_IMDS_JAR)) && \
	  cp $(ROOT)/bindings-java/pom.xml $(BENCH_JAVA_BINDING)/ && \
	  cp -r $(ROOT)/bindings-java/src/main $(BENCH_JAVA_BINDING)/src/ && \
	  $(MAKE) --no-print-directory build-java JAVA_PROFILE=release JAVA_DIR=$(BENCH_JAVA_BINDING) \
	    MVN="mvn -Dmaven.repo.local=$(BENCH_PEERS)/m2 -Dimds.workspace=$(ROOT)" && \
	  cp $(BENCH_JAVA_BINDING)/target/imds-*.jar $(BENCH_IMDS_JAR) \
	  || echo "bench: the Java binding did not build; it will be reported as not available"; \
	fi

bench-java: bench-java-binding ## Build the Java runner: AWS SDK for Java v2 Ec2MetadataClient, and our jar when it built.
	@# Recompiled from scratch, so our client's class never outlives a failed jar build.
	rm -rf $(BENCH_BUILD)/java/target/classes
	cd $(BENCH_DIR)/java && $(BENCH_MVN) package dependency:build-classpath \
	  -Dmdep.outputFile=$(BENCH_BUILD)/java/classpath.txt \
	  $$([ -f $(BENCH_IMDS_JAR) ] && echo -Dimds.jar=$(BENCH_IMDS_JAR))

# Not part of `make lint`: it builds the bench's peers. The C runner is checked by its build
# (the project's warnings, as errors).
bench-lint: python-venv bench-c-lib ## Lint the bench's own code: ruff, gofmt, go vet (both Go builds), clippy.
	cd $(BENCH_DIR) && $(PY_VENV)/bin/ruff check . && $(PY_VENV)/bin/ruff format --check .
	@cd $(BENCH_DIR)/go && unformatted=$$(gofmt -l .) && \
	  { [ -z "$$unformatted" ] || { echo "gofmt needed: $$unformatted" >&2; exit 1; }; }
	cd $(BENCH_DIR)/go && $(BENCH_GOENV) go vet . && \
	  $(BENCH_GOENV) $(BENCH_GO_LINK) go vet -tags $(BENCH_GO_TAGS) .
	$(CARGO) clippy --locked --manifest-path $(BENCH_DIR)/rust/Cargo.toml \
	  --target-dir $(BENCH_BUILD)/rust --all-targets -- -D warnings

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

bench-soak: bench-run
	$(MAKE) --no-print-directory soak

soak: bench-emulator bench-rust bench-python ## Hammer one client for SOAK_MINUTES (default 10); fail on errors, extra token PUTs or RSS growth.
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_CONCURRENCY=$(SOAK_CONCURRENCY) \
	  $(BENCH_PY) $(BENCH_DIR)/harness/bench.py soak
