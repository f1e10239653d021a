# C: libimds.so, libimds.a, include/imds.h and imds.pc, built from bindings-c/.
#
# Everything goes to $(C_OUT), laid out like an install prefix (include/, lib/,
# lib/pkgconfig/) so that tests, the demo and the Go package use the library the way a
# user would. `make install-c PREFIX=/usr/local` copies it for real.

TEST_TARGETS += test-c
DEMO_TARGETS += build-c
LINT_TARGETS += lint-c

.PHONY: build-c test-c lint-c demo-c install-c c-header c-header-check c-tools system-tools

C_DIR := $(ROOT)/bindings-c
C_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -n 1)
C_MAJOR := $(firstword $(subst ., ,$(C_VERSION)))
# The cargo profile the library comes from: `make build-c C_PROFILE=release` for
# shipping; the tests use the debug build that the Rust tests already compiled.
C_PROFILE ?= debug
C_CARGO_FLAGS := $(if $(filter release,$(C_PROFILE)),--release,)
C_OUT := $(CARGO_TARGET_DIR)/imds-c
C_TEST_OUT := $(C_OUT)/tests
# cbindgen, pinned, installed once into a directory this Makefile owns.
CBINDGEN_VERSION := 0.29.4
C_TOOLS := $(ROOT)/target/tools
CBINDGEN := $(C_TOOLS)/bin/cbindgen

CC ?= cc
CXX ?= c++
# What the Rust standard library needs besides libc, from
# `cargo rustc -p imds-c --crate-type staticlib -- --print native-static-libs`.
C_SYSTEM_LIBS := -lpthread -ldl -lm -lrt -lutil
C_WARNINGS := -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes \
  -Wmissing-prototypes -Wformat=2 -Wcast-qual -Wvla
C_TEST_CFLAGS := -std=c11 -g -O1 $(C_WARNINGS) -I$(C_OUT)/include \
  -DIMDS_TEST_FIXTURES='"$(C_DIR)/tests/fixtures"'
C_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer
C_TESTS := test_api test_errors test_threads
# The conformance runner is C99 (the tests above are C11), built from its own sources.
C_CONFORMANCE_SOURCES := $(C_DIR)/tests/conformance.c $(C_DIR)/tests/json.c
C_CONFORMANCE_CFLAGS := -std=c99 -g -O1 $(C_WARNINGS) -I$(C_OUT)/include \
  -DIMDS_CONFORMANCE_DIR='"$(ROOT)/tests/conformance"'
C_TEST_SOURCES := $(C_DIR)/tests/harness.c $(C_DIR)/tests/harness.h
# --child-silent-after-fork: the fork test's child leaves its inherited runtime behind by
# design and ends with _exit; the parent is checked in full.
VALGRIND := valgrind -q --error-exitcode=3 --leak-check=full --child-silent-after-fork=yes \
  --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible \
  --suppressions=$(C_DIR)/tests/valgrind.supp --num-callers=40
C_RUN_ENV := IMDS_EMULATOR_BIN=$(IMDS_EMULATOR_BIN)

# The system tools the C tests and the demo use besides the compilers and languages
# themselves (command, then the Debian package that provides it), installed only when
# missing, so a fresh machine needs nothing done by hand.
C_SYSTEM_TOOLS := valgrind:valgrind pkg-config:pkg-config $(CXX):g++ curl:curl

system-tools: ## Install valgrind, pkg-config, a C++ compiler and curl with apt-get when one is missing.
	@missing=$$(for tool in $(C_SYSTEM_TOOLS); do \
	  command -v "$${tool%%:*}" >/dev/null || echo "$${tool#*:}"; done | sort -u | xargs); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "missing system packages: $$missing; install them as root" \
	    "(apt-get install $$missing) and run make again" >&2; \
	  exit 1; \
	fi; \
	echo "installing $$missing with apt-get"; \
	apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

# scripts/demo.sh talks to the emulator's admin API with curl.
demo: system-tools

c-tools: ## Install the pinned cbindgen into target/tools (once).
	@if [ "$$($(CBINDGEN) --version 2>/dev/null)" != "cbindgen $(CBINDGEN_VERSION)" ]; then \
	  echo "installing cbindgen $(CBINDGEN_VERSION) into $(C_TOOLS)"; \
	  $(CARGO) install cbindgen --locked --version $(CBINDGEN_VERSION) --root $(C_TOOLS); \
	fi

c-header: c-tools ## Regenerate bindings-c/include/imds.h from the Rust sources.
	cd $(C_DIR) && $(CBINDGEN) --quiet --config cbindgen.toml --crate imds-c \
	  --output include/imds.h .

c-header-check: c-tools ## Fail if regenerating include/imds.h would change it.
	@mkdir -p $(C_OUT)
	cd $(C_DIR) && $(CBINDGEN) --quiet --config cbindgen.toml --crate imds-c \
	  --output $(C_OUT)/imds.h.generated .
	@diff -u $(C_DIR)/include/imds.h $(C_OUT)/imds.h.generated \
	  || { echo "include/imds.h is stale: run 'make c-header' and commit it" >&2; exit 1; }

build-c: c-header-check ## Build libimds.so, libimds.a, imds.pc and check the header.
	$(CARGO) build -p imds-c --locked $(C_CARGO_FLAGS)
	@rm -rf $(C_OUT)/include $(C_OUT)/lib
	@mkdir -p $(C_OUT)/include $(C_OUT)/lib/pkgconfig
	cp $(C_DIR)/include/imds.h $(C_OUT)/include/
	cp $(CARGO_TARGET_DIR)/$(C_PROFILE)/libimds.a $(C_OUT)/lib/
	cp $(CARGO_TARGET_DIR)/$(C_PROFILE)/libimds.so $(C_OUT)/lib/libimds.so.$(C_VERSION)
	ln -sf libimds.so.$(C_VERSION) $(C_OUT)/lib/libimds.so.$(C_MAJOR)
	ln -sf libimds.so.$(C_MAJOR) $(C_OUT)/lib/libimds.so
	sed -e 's|@PREFIX@|$(C_OUT)|' -e 's|@VERSION@|$(C_VERSION)|' \
	  $(C_DIR)/imds.pc.in > $(C_OUT)/lib/pkgconfig/imds.pc

PREFIX ?= /usr/local
install-c: build-c ## Install the header, libraries and imds.pc under $(PREFIX) (DESTDIR too).
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(C_OUT)/include/imds.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(C_OUT)/lib/libimds.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(C_OUT)/lib/libimds.so.$(C_VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libimds.so.$(C_VERSION) $(DESTDIR)$(PREFIX)/lib/libimds.so.$(C_MAJOR)
	ln -sf libimds.so.$(C_MAJOR) $(DESTDIR)$(PREFIX)/lib/libimds.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(C_VERSION)|' \
	  $(C_DIR)/imds.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/imds.pc

lint-c: c-header-check ## Check the header is current; clippy for imds-c with warnings denied.
	$(CARGO) clippy -p imds-c --all-targets --locked -- -D warnings

test-c: system-tools build-c build-emulator ## C tests: plain (shared lib), ASan+UBSan and Valgrind (static).
	$(CARGO) test -p imds-c --locked
	@mkdir -p $(C_TEST_OUT)
	@echo "== every function of imds.h is called by a C test"
	@missing=$$(for f in $$(grep -o 'imds_[a-z0-9_]*(' $(C_DIR)/include/imds.h | tr -d '(' \
	  | sort -u); do grep -qw "$$f" $(C_DIR)/tests/test_*.c || echo "$$f"; done); \
	  [ -z "$$missing" ] || { echo "not called by any C test: $$missing" >&2; exit 1; }
	@echo "== the header compiles as C99, C11, C++11 and C++17, warnings as errors"
	printf '#include "imds.h"\nint main(void) { return IMDS_OK; }\n' > $(C_TEST_OUT)/header.c
	cp $(C_TEST_OUT)/header.c $(C_TEST_OUT)/header.cpp
	$(CC) -std=c99 $(C_WARNINGS) -I$(C_OUT)/include -c $(C_TEST_OUT)/header.c -o /dev/null
	$(CC) -std=c11 $(C_WARNINGS) -I$(C_OUT)/include -c $(C_TEST_OUT)/header.c -o /dev/null
	$(CXX) -std=c++11 -Wall -Wextra -Werror -pedantic -I$(C_OUT)/include \
	  -c $(C_TEST_OUT)/header.cpp -o /dev/null
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -I$(C_OUT)/include \
	  -c $(C_TEST_OUT)/header.cpp -o /dev/null
	@echo "== build the tests three ways"
	for t in $(C_TESTS); do \
	  $(CC) $(C_TEST_CFLAGS) -o $(C_TEST_OUT)/$$t-shared $(C_DIR)/tests/$$t.c \
	    $(C_DIR)/tests/harness.c -L$(C_OUT)/lib -limds -Wl,-rpath,$(C_OUT)/lib -lpthread; \
	  $(CC) $(C_TEST_CFLAGS) -o $(C_TEST_OUT)/$$t-static $(C_DIR)/tests/$$t.c \
	    $(C_DIR)/tests/harness.c $(C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS); \
	  $(CC) $(C_TEST_CFLAGS) $(C_SANITIZE) -o $(C_TEST_OUT)/$$t-asan $(C_DIR)/tests/$$t.c \
	    $(C_DIR)/tests/harness.c $(C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS); \
	done
	@echo "== run them: plain against libimds.so"
	for t in $(C_TESTS); do $(C_RUN_ENV) $(C_TEST_OUT)/$$t-shared; done
	@echo "== AddressSanitizer and UndefinedBehaviorSanitizer, libimds.a"
	for t in $(C_TESTS); do \
	  $(C_RUN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(C_TEST_OUT)/$$t-asan; \
	done
	@echo "== the conformance runner's JSON reader, under ASan+UBSan"
	$(CC) $(C_CONFORMANCE_CFLAGS) $(C_SANITIZE) -o $(C_TEST_OUT)/json_test \
	  $(C_DIR)/tests/json_test.c $(C_DIR)/tests/json.c -lm
	$(C_TEST_OUT)/json_test
	@echo "== conformance scenarios: libimds.so, and libimds.a under ASan+UBSan, side by side"
	$(CC) $(C_CONFORMANCE_CFLAGS) -o $(C_TEST_OUT)/conformance-shared \
	  $(C_CONFORMANCE_SOURCES) -L$(C_OUT)/lib -limds -Wl,-rpath,$(C_OUT)/lib -lpthread -lm
	$(CC) $(C_CONFORMANCE_CFLAGS) $(C_SANITIZE) -o $(C_TEST_OUT)/conformance-asan \
	  $(C_CONFORMANCE_SOURCES) $(C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS)
	@# Each run is its own process with its own environment, and the scenarios mostly
	@# wait on the emulator, so the two runs share the wall-clock time.
	$(C_RUN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(C_TEST_OUT)/conformance-asan \
	  > $(C_TEST_OUT)/conformance-asan.log 2>&1 & asan=$$!; status=0; \
	$(C_RUN_ENV) $(C_TEST_OUT)/conformance-shared || status=1; \
	wait $$asan || status=1; \
	echo "-- the same under ASan+UBSan:"; cat $(C_TEST_OUT)/conformance-asan.log; \
	exit $$status
	@echo "== Valgrind memcheck, libimds.a"
	for t in $(C_TESTS); do $(C_RUN_ENV) $(VALGRIND) $(C_TEST_OUT)/$$t-static; done
	@echo "== the README's C quick start, compiled through pkg-config"
	bash $(C_DIR)/scripts/readme-snippet.sh quickstart-c $(C_DIR)/README.md \
	  > $(C_TEST_OUT)/quickstart.c
	$(CC) -std=c99 $(C_WARNINGS) $$(PKG_CONFIG_PATH=$(C_OUT)/lib/pkgconfig pkg-config \
	  --cflags imds) -o $(C_TEST_OUT)/quickstart $(C_TEST_OUT)/quickstart.c \
	  $$(PKG_CONFIG_PATH=$(C_OUT)/lib/pkgconfig pkg-config --libs --static imds) \
	  -Wl,-rpath,$(C_OUT)/lib
	$(C_RUN_ENV) bash $(C_DIR)/scripts/with-emulator.sh -- $(C_TEST_OUT)/quickstart
	@echo "== the controller example, linked statically, against an emulator with a spot notice due"
	$(MAKE) --no-print-directory c-controller
	$(C_CONTROLLER_ENV) bash $(C_DIR)/scripts/with-emulator.sh --spot-in 2 -- \
	  $(C_CONTROLLER) --poll-seconds 1 --max-polls 30 | tee $(C_TEST_OUT)/controller.out
	$(call C_CONTROLLER_EXPECT,$(C_TEST_OUT)/controller.out)
	@echo "== the controller example under Valgrind memcheck"
	$(C_CONTROLLER_ENV) AWS_METADATA_SERVICE_TIMEOUT=10 \
	  bash $(C_DIR)/scripts/with-emulator.sh --spot-in 2 -- $(VALGRIND) \
	  $(C_CONTROLLER) --poll-seconds 2 --max-polls 30 | tee $(C_TEST_OUT)/controller-valgrind.out
	$(call C_CONTROLLER_EXPECT,$(C_TEST_OUT)/controller-valgrind.out)
	@echo "test-c: all C suites passed"

C_CONTROLLER := $(C_OUT)/bin/controller
# The controller finds IMDS the way any program does, so the test gives it its own emulator
# (with-emulator.sh reuses one named in the environment) and no profile. Under Valgrind it
# runs many times slower: the longer attempt timeout and poll interval keep that from
# passing for a slow IMDS.
C_CONTROLLER_ENV := env -u AWS_EC2_METADATA_SERVICE_ENDPOINT -u IMDS_EMULATOR_ADMIN \
  -u IMDS_EMULATOR_CERT -u AWS_EC2_METADATA_DISABLED -u AWS_PROFILE AWS_CONFIG_FILE=/dev/null \
  $(C_RUN_ENV)
# It exits 0 even when no notice came, so its output is what shows that the notice was seen
# and the signature checked.
C_CONTROLLER_EXPECT = grep -Eqx 'spot: terminate at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' $(1) \
  && grep -qx 'signature: verified' $(1) \
  || { echo "$(1): no spot notice or no verified signature" >&2; exit 1; }

.PHONY: c-controller
c-controller:
	@mkdir -p $(C_OUT)/bin
	$(CC) -std=c99 -O2 $(C_WARNINGS) -I$(C_OUT)/include -o $(C_CONTROLLER) \
	  $(C_DIR)/examples/controller.c $(C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS)

demo-c: build-c build-emulator ## Run the C controller example (linked statically) against the emulator.
	$(MAKE) --no-print-directory c-controller
	$(C_RUN_ENV) bash $(C_DIR)/scripts/with-emulator.sh --spot-in 3 -- \
	  $(C_CONTROLLER) --poll-seconds 1 --max-polls 15
