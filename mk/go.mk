# Go: the cgo package in bindings-c/go, over the C library of mk/c.mk.

TEST_TARGETS += test-go
DEMO_TARGETS += build-go
LINT_TARGETS += lint-go

.PHONY: build-go test-go lint-go demo-go fuzz-go

GO ?= go
GO_DIR := $(ROOT)/bindings-c/go
GO_OUT := $(CARGO_TARGET_DIR)/imds-go
# The emulator for the tests, and no profile or process settings leaking in.
GO_TEST_ENV := IMDS_EMULATOR_BIN=$(IMDS_EMULATOR_BIN) AWS_CONFIG_FILE=/dev/null
GO_FUZZTIME ?= 10s
# The go command does not notice when a C library it links changes (its documentation
# says to clean the cache). Naming the checksum of the library and its header in
# CGO_LDFLAGS, as a search directory that does not exist, makes every change to either a
# new cache key.
GO_LIB_STAMP = $$(cat $(C_OUT)/lib/libimds.a $(C_OUT)/include/imds.h | sha256sum | cut -c1-16)
# link.go links the libimds.a staged under the repository's own target/. When make stages
# it elsewhere (another CARGO_TARGET_DIR or C_OUT), the package is built with the
# imds_custom_link tag and CGO_LDFLAGS names the library make just built, so the Go
# package never links a stale or missing copy.
GO_CUSTOM_LINK = $(filter-out $(abspath $(ROOT)/target/imds-c),$(abspath $(C_OUT)))
GO_TAGS = $(if $(GO_CUSTOM_LINK),-tags imds_custom_link)
GO_ENV = CGO_LDFLAGS="$(if $(GO_CUSTOM_LINK),$(C_OUT)/lib/libimds.a $(C_SYSTEM_LIBS) )-L$(GO_OUT)/libimds-$(GO_LIB_STAMP)"

build-go: build-c ## Build the Go package and its demo, libimds.a linked statically.
	cd $(GO_DIR) && $(GO_ENV) $(GO) build $(GO_TAGS) ./...
	@mkdir -p $(GO_OUT)
	cd $(GO_DIR) && $(GO_ENV) $(GO) build $(GO_TAGS) -o $(GO_OUT)/demo ./cmd/demo

lint-go: build-c ## gofmt and go vet for the Go package.
	@cd $(GO_DIR) && unformatted=$$(gofmt -l .) && \
	  { [ -z "$$unformatted" ] || { echo "gofmt needed: $$unformatted" >&2; exit 1; }; }
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet $(GO_TAGS) ./...

test-go: build-go build-emulator ## Go tests with -race against the emulator, and the README quick start.
	cd $(GO_DIR) && $(GO_ENV) $(GO_TEST_ENV) $(GO) test $(GO_TAGS) -race -count=1 ./...
	@echo "== the README's Go quick start, built and run against the emulator"
	@rm -rf $(GO_OUT)/quickstart && mkdir -p $(GO_OUT)/quickstart
	bash $(ROOT)/bindings-c/scripts/readme-snippet.sh quickstart-go $(GO_DIR)/README.md \
	  > $(GO_OUT)/quickstart/main.go
	printf 'module quickstart\n\ngo 1.22\n\nrequire example.invalid/imds/bindings-c/go v0.0.0\n\nreplace example.invalid/imds/bindings-c/go => %s\n' \
	  '$(GO_DIR)' > $(GO_OUT)/quickstart/go.mod
	cd $(GO_OUT)/quickstart && $(GO_ENV) GOFLAGS=-mod=mod $(GO) build $(GO_TAGS) -o quickstart .
	$(GO_TEST_ENV) bash $(ROOT)/bindings-c/scripts/with-emulator.sh -- \
	  $(GO_OUT)/quickstart/quickstart

fuzz-go: build-c build-emulator ## Run the Go fuzz targets briefly (GO_FUZZTIME, 10s each).
	cd $(GO_DIR) && $(GO_ENV) $(GO_TEST_ENV) $(GO) test $(GO_TAGS) -run '^$$' -fuzz '^FuzzGetMetadataPath$$' \
	  -fuzztime $(GO_FUZZTIME) .
	cd $(GO_DIR) && $(GO_ENV) $(GO_TEST_ENV) $(GO) test $(GO_TAGS) -run '^$$' -fuzz '^FuzzOptions$$' \
	  -fuzztime $(GO_FUZZTIME) .

demo-go: build-go build-emulator ## Run the Go demo (cmd/demo) against the emulator.
	$(GO_TEST_ENV) bash $(ROOT)/bindings-c/scripts/with-emulator.sh --spot-in 3 -- \
	  $(GO_OUT)/demo -poll 1s -polls 15
