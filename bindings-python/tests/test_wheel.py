"""The one abi3 wheel installs into a fresh virtual environment of every CPython from 3.9."""

from __future__ import annotations

import os
import re
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


def interpreters() -> list[str]:
    """This interpreter, plus the oldest and newest other CPython 3.9+ found under pyenv."""
    found: dict[tuple[int, int], str] = {sys.version_info[:2]: sys.executable}
    versions = Path.home() / ".pyenv" / "versions"
    for candidate in sorted(versions.glob("3.*/bin/python3")) if versions.is_dir() else []:
        match = re.fullmatch(r"3\.(\d+)\.\d+", candidate.parents[1].name)
        if match and int(match.group(1)) >= 9:
            found.setdefault((3, int(match.group(1))), str(candidate))
    ordered = [found[v] for v in sorted(found)]
    chosen = {sys.executable, ordered[0], ordered[-1]}
    return [path for path in ordered if path in chosen]


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


def version_of(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.parametrize("python", interpreters(), ids=version_of)
def test_the_wheel_works_in_a_fresh_virtual_environment(
    python: str, emulator: Emulator, tmp_path: Path
) -> None:
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
    assert done.stdout.split(maxsplit=2)[-1] == f"{INSTANCE_ID} us-east-1\n"
