"""The one abi3 wheel installs into a fresh virtual environment of every CPython from 3.9."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import INSTANCE_ID, ROOT, Emulator


def built_wheel() -> Path:
    """The wheel `make build-python` built (and installed into the test environment)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    wheels = sorted((target / "python-wheels").glob("imds-*-cp39-abi3-*.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected one wheel in {target / 'python-wheels'}: run `make build-python`")
    return wheels[0]


# Every CPython the one abi3 wheel promises to work on (`requires-python = ">=3.9"`).
SUPPORTED = [(3, minor) for minor in range(9, 14)]


def reported_version(python: str) -> tuple[int, int] | None:
    """The version `python` says it is, or None when it does not run (a pyenv shim of a
    version that is not selected fails, for one)."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return None
    match = re.fullmatch(r"(\d+)\.(\d+)\n", done.stdout)
    if done.returncode != 0 or not match:
        return None
    return int(match.group(1)), int(match.group(2))


def patch_level(python: Path) -> int:
    """The patch number of a pyenv build, from its directory name (`3.12.1` is 1)."""
    match = re.match(r"\d+\.\d+\.(\d+)", python.parents[1].name)
    return int(match.group(1)) if match else -1


def find_python(version: tuple[int, int]) -> str | None:
    """A CPython of `version`: this one, else the newest pyenv build, else one on PATH."""
    if sys.version_info[:2] == version:
        return sys.executable
    name = f"{version[0]}.{version[1]}"
    candidates: list[str] = []
    versions = Path.home() / ".pyenv" / "versions"
    if versions.is_dir():
        builds = [p for p in versions.glob(f"{name}.*/bin/python3") if p.is_file()]
        candidates += [str(p) for p in sorted(builds, key=patch_level, reverse=True)]
    on_path = shutil.which(f"python{name}")
    if on_path:
        candidates.append(on_path)
    return next((c for c in candidates if reported_version(c) == version), None)


def ci() -> bool:
    """Whether this is a CI run, where a missing interpreter is a broken setup, not a gap."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


SMOKE = textwrap.dedent(
    """
    import asyncio, sys
    import imds
    client = imds.Client(endpoint=sys.argv[1])
    try:
        client.get_metadata("missing")
    except LookupError as error:
        assert isinstance(error, imds.NotFoundError) and error.code == 8
    async def both():
        async with imds.AsyncClient(endpoint=sys.argv[1]) as aio:
            return await aio.region()
    print(sys.version_info[:2], client.instance_id(), asyncio.run(both()))
    """
)


@pytest.mark.parametrize("version", SUPPORTED, ids=lambda v: f"{v[0]}.{v[1]}")
def test_the_wheel_works_in_a_fresh_virtual_environment(
    version: tuple[int, int], emulator: Emulator, tmp_path: Path
) -> None:
    python = find_python(version)
    if python is None:
        missing = (
            f"no CPython {version[0]}.{version[1]} under ~/.pyenv/versions or on PATH, so the "
            "wheel is not tried there"
        )
        if ci():
            pytest.fail(f"{missing}; CI is set, and CI must have every supported version")
        pytest.skip(missing)
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh = venv / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            str(built_wheel()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr

    done = subprocess.run(
        [str(fresh), "-c", SMOKE, emulator.endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{version} "), done.stdout
    assert done.stdout.split(maxsplit=2)[-1] == f"{INSTANCE_ID} us-east-1\n"


@pytest.mark.source_install
@pytest.mark.timeout(1800)
def test_pip_install_of_the_checkout_builds_and_installs_the_package(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The README's promise: `pip install bindings-python/` works from a checkout, through the
    # maturin PEP 517 backend that pip fetches into an isolated build environment. The
    # backend gets the Makefile's maturin version, cargo profile, interpreter and target
    # directory, so that cargo reuses what `make build-python` compiled instead of building
    # everything again in release mode.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    fresh = venv / "bin" / "python"
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"maturin=={importlib.metadata.version('maturin')}\n")
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    env = {
        **os.environ,
        "CARGO_TARGET_DIR": target,
        "PIP_CONSTRAINT": str(constraints),
        "MATURIN_PEP517_ARGS": f"--profile dev --interpreter {sys.executable}",
    }
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(ROOT / "bindings-python"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    done = subprocess.run(
        [str(fresh), "-c", "import imds; print(imds.__file__)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(venv), done.stdout
    done = subprocess.run(
        [str(fresh), "-c", SMOKE, emulator.endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=2)[-1] == f"{INSTANCE_ID} us-east-1\n"
