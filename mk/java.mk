# Java: the JNI library and the Maven project in bindings-java/ (a jar carrying the native
# library). Maven downloads its plugins and JUnit on first use, then works offline (mvn -o).

MVN ?= mvn
# -B: no prompts; -q: errors only (the one-line summary below says what passed).
MVN_FLAGS ?= -B -q
# Debian's Maven 3.8 writes colour resets even with -B -q; strip them to keep logs plain.
MVN_PLAIN := sed -u 's/\x1b\[[0-9;]*m//g'
JAVA ?= java
# The cargo profile of the JNI library in the jar: `debug` (the default) shares the compiled
# dependencies of the other languages' debug builds, which keeps `make test` quick;
# `make build-java JAVA_PROFILE=release` for the jar you ship.
JAVA_PROFILE ?= debug
JAVA_CARGO_PROFILE := $(if $(filter release,$(JAVA_PROFILE)),release,dev)
MVN_FLAGS += -Dimds.cargo.profile=$(JAVA_CARGO_PROFILE) -Dimds.cargo.profile.dir=$(JAVA_PROFILE)
JAVA_DIR := bindings-java
JAVA_REPORTS := $(JAVA_DIR)/target/surefire-reports

DEMO_TARGETS += build-java
TEST_TARGETS += test-java
LINT_TARGETS += lint-java

.PHONY: build-java test-java lint-java demo-java

build-java: ## Build the Java jar (cargo builds the JNI library into it) without running tests.
	cd $(JAVA_DIR) && $(MVN) $(MVN_FLAGS) package -DskipTests 2>&1 | $(MVN_PLAIN)

test-java: build-emulator ## Run the Java tests (JUnit 5, Surefire) against the emulator, then the format check.
	rm -rf $(JAVA_REPORTS)
	cd $(JAVA_DIR) && $(MVN) $(MVN_FLAGS) verify -Dimds.emulator.bin=$(IMDS_EMULATOR_BIN) 2>&1 | $(MVN_PLAIN)
	@awk -F'"' '/<testsuite /{for(i=1;i<NF;i++){ \
	    if($$i~/ tests=$$/)t+=$$(i+1); if($$i~/ failures=$$/)f+=$$(i+1); \
	    if($$i~/ errors=$$/)e+=$$(i+1); if($$i~/ skipped=$$/)s+=$$(i+1)}} \
	  END{printf "java: %d passed, %d failed, %d skipped\n", t-f-e-s, f+e, s; exit (t==0)}' \
	  $(JAVA_REPORTS)/TEST-*.xml

lint-java: ## Check the Java formatting (google-java-format) and run clippy on the JNI crate.
	cd $(JAVA_DIR) && $(MVN) $(MVN_FLAGS) spotless:check 2>&1 | $(MVN_PLAIN)
	$(CARGO) clippy -p imds-jni --all-targets --locked -- -D warnings

# Against the emulator `make demo` runs, or a fresh one with a spot notice due in 3 s.
demo-java: build-java build-emulator ## Run the Java demo from the built jar against the emulator.
	bash $(ROOT)/bindings-c/scripts/with-emulator.sh --spot-in 3 -- \
	  $(JAVA) -jar $$(ls $(JAVA_DIR)/target/imds-*.jar | head -n 1) --poll-seconds 1 --max-polls 15
