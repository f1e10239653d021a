# Python: the `imds` wheel (bindings-python/), built by maturin, tested with pytest.
#
# Everything runs inside $(ROOT)/.venv, created here when missing, so a fresh machine needs
# nothing done by hand. The wheel is built and installed into the venv as a user would
# install it (never `maturin develop`), so the tests see exactly what ships.

TEST_TARGETS += test-python
DEMO_TARGETS += build-python
LINT_TARGETS += lint-python

.PHONY: build-python test-python lint-python demo-python python-venv

PY_DIR := $(ROOT)/bindings-python
PY_VENV := $(ROOT)/.venv
PY := $(PY_VENV)/bin/python
PY_WHEELS := $(CARGO_TARGET_DIR)/python-wheels
# Pinned so that a lint or type-check result never changes under the project's feet.
PY_TOOLS := maturin==1.16.0 pytest==9.2.0 pytest-timeout==2.4.0 mypy==2.4.1 ruff==0.17.6 \
  abi3audit==0.0.26
PY_STAMP := $(PY_VENV)/.imds-tools
# The Cargo profile of the wheel: `dev` shares the compiled dependencies of the other
# languages' debug builds, which keeps `make test` quick; `PY_PROFILE=release` for a
# wheel to ship.
PY_PROFILE ?= dev
# Extra pytest arguments, such as PYTEST_ARGS='-k fork'.
PYTEST_ARGS ?=

$(PY_STAMP): mk/python.mk
	@test -x $(PY) || python3 -m venv $(PY_VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	@touch $@

python-venv: $(PY_STAMP) ## Create .venv (if missing) with the pinned Python build and test tools.

# The installed wheel is a file target, rebuilt only when a source it is made of changes, so
# `make -s demo-python` inside `make demo` does not build it a second time.
PY_INSTALLED := $(PY_VENV)/.imds-wheel
PY_SOURCES := $(shell find $(ROOT)/core/src $(PY_DIR)/src $(PY_DIR)/python -type f \
  -not -name '*.pyc' 2>/dev/null) $(ROOT)/Cargo.lock $(ROOT)/core/Cargo.toml \
  $(PY_DIR)/Cargo.toml $(PY_DIR)/pyproject.toml $(PY_DIR)/README.md

$(PY_INSTALLED): $(PY_STAMP) $(PY_SOURCES)
	rm -rf $(PY_WHEELS)
	cd $(PY_DIR) && $(PY_VENV)/bin/maturin build --profile $(PY_PROFILE) --quiet --interpreter $(PY) \
	  --out $(PY_WHEELS)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
	  $(PY_WHEELS)/imds-*.whl
	@touch $@

build-python: $(PY_INSTALLED) ## Build the abi3 `imds` wheel with maturin and install it into .venv.

# pytest exits 5 when it collects nothing. With PYTEST_ARGS narrowing the run that is the
# caller's choice and not a failure; without it, the suite lost its tests, which is.
# abi3audit reads the symbols the extension imports, so a use of the CPython API outside the
# stable ABI fails here even when no other interpreter is installed to try the wheel on.
test-python: build-emulator build-python ## Test the Python wheel (abi3audit, pytest, mypy, stubtest) against the emulator.
	$(PY_VENV)/bin/abi3audit --strict --summary $(PY_WHEELS)/imds-*.whl
	cd $(PY_DIR) && status=0 && $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" = 5 ] && [ -n "$(PYTEST_ARGS)" ]; then \
	  echo "test-python: no test matched PYTEST_ARGS=$(PYTEST_ARGS)"; exit 0; \
	fi; \
	exit $$status

lint-python: $(PY_STAMP) ## ruff check, ruff format --check and mypy --strict on the Python sources.
	cd $(PY_DIR) && $(PY_VENV)/bin/ruff check . && $(PY_VENV)/bin/ruff format --check .
	cd $(PY_DIR) && MYPYPATH=python $(PY_VENV)/bin/mypy --strict -p imds
	cd $(PY_DIR) && MYPYPATH=python $(PY_VENV)/bin/mypy --strict examples tests

demo-python: build-emulator build-python ## Run bindings-python/examples/demo.py against a fresh emulator.
	$(PY) $(PY_DIR)/examples/demo.py
