# The README's code samples: every fenced sh, rust, python, java, go and c block of README.md
# runs against a fresh emulator, as that language's user would run it, so the README cannot
# drift from the code (scripts/readme_samples.py says how each language is run).

TEST_TARGETS += test-readme

.PHONY: test-readme

test-readme: build-cli build-emulator build-python build-java build-go build-c ## Run every code sample of README.md against the emulator.
	$(PY) scripts/readme_samples.py
