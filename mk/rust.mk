# Rust: the core, the emulator and the CLI.

TEST_TARGETS += test-rust
LINT_TARGETS += lint-rust

.PHONY: test-rust lint-rust

test-rust: ## Run the Rust workspace tests (core, emulator, CLI) against the emulator.
	$(CARGO) test --workspace --locked

lint-rust: ## rustfmt --check and clippy with warnings denied.
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
