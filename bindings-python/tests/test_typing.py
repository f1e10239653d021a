"""The stubs match the built module, and the typed tour passes `mypy --strict`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # From a directory without the sources, so that mypy and stubtest see the installed
    # wheel (its stubs and py.typed) exactly as a user's project would.
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=PACKAGE / "tests" / "data",
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_stubs_match_the_built_module() -> None:
    # `imds` covers its submodules, the extension `imds._imds` among them.
    done = run("mypy.stubtest", "imds")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found" in done.stdout


def test_the_examples_pass_mypy_strict_against_the_installed_package() -> None:
    examples = [str(path) for path in sorted((PACKAGE / "examples").glob("*.py"))]
    done = run("mypy", "--strict", "--no-incremental", *examples)
    assert done.returncode == 0, done.stdout + done.stderr
