# Fuzzing: cargo-fuzz targets for every parser of untrusted input (core/fuzz), and the Go
# wrapper's fuzz tests (fuzz-go, mk/go.mk). Not part of `make test`; `make fuzz` runs each
# target for FUZZ_SECONDS and keeps what it finds in core/fuzz/corpus/<target>/, which
# `make test` replays as regression tests.

FUZZ_SECONDS ?= 30
FUZZ_TARGETS := token_response documents listing path signatures
CARGO_FUZZ := $(ROOT)/target/tools/bin/cargo-fuzz

.PHONY: fuzz fuzz-rust

$(CARGO_FUZZ):
	$(CARGO) install cargo-fuzz --locked --version 0.13.2 --root $(ROOT)/target/tools

fuzz: fuzz-rust fuzz-go ## Fuzz every parser (Rust, FUZZ_SECONDS each) and the Go wrapper.

fuzz-rust: $(CARGO_FUZZ) ## Fuzz the core's parsers for FUZZ_SECONDS each (needs the nightly toolchain).
	cd core && for target in $(FUZZ_TARGETS); do \
	  RUSTUP_TOOLCHAIN=nightly CARGO_TARGET_DIR=$(ROOT)/core/fuzz/target \
	    $(CARGO_FUZZ) fuzz run --fuzz-dir fuzz $$target fuzz/corpus/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done
