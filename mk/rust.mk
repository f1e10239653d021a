# Rust: the core, the emulator and the CLI.

TEST_TARGETS += test-rust
DEMO_TARGETS += build-rust-demo
LINT_TARGETS += lint-rust

.PHONY: test-rust lint-rust build-rust-demo demo-rust

test-rust: ## Run the Rust workspace tests (core, emulator, CLI) against the emulator.
	$(CARGO) test --workspace --locked

lint-rust: ## rustfmt --check and clippy with warnings denied.
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

build-rust-demo: ## Build the Rust demo (core/examples/demo.rs).
	$(CARGO) build -p imds --example demo --locked

# Against the emulator `make demo` runs, or a fresh one with a spot notice due in 3 s.
demo-rust: build-rust-demo build-emulator ## Run the Rust demo (core/examples/demo.rs) against the emulator.
	bash $(ROOT)/bindings-c/scripts/with-emulator.sh --spot-in 3 -- \
	  $(CARGO) run --quiet --locked -p imds --example demo -- --poll-seconds 1 --max-polls 15
