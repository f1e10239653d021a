"""The README's Python examples, the demo and the typed tour, run against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INSTANCE_ID, Emulator

PACKAGE = Path(__file__).resolve().parents[1]
README = PACKAGE / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.M | re.S)


def run_python(script: Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.fixture
def emulator_env(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = emulator.endpoint
    (tmp_path / "region-certificate.pem").write_text(emulator.certificate())
    return env


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, emulator_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / f"readme_{index}.py"
    script.write_text(BLOCKS[index])
    run_python(script, tmp_path, emulator_env)


def test_the_typed_tour_runs(emulator_env: dict[str, str], tmp_path: Path) -> None:
    out = run_python(PACKAGE / "examples" / "typed_usage.py", tmp_path, emulator_env)
    assert out.startswith(f"{INSTANCE_ID} in us-east-1 (us-east-1a)\n")
    assert out.endswith(f"async: {INSTANCE_ID} us-east-1 123456789012\n")


def test_the_demo_prints_the_six_lines_of_every_language(tmp_path: Path) -> None:
    # Run alone, the demo starts its own emulator and schedules the spot notice itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_EC2_METADATA")}
    env.setdefault("IMDS_EMULATOR_BIN", str(PACKAGE.parent / "target/debug/imds-emulator"))
    lines = run_python(PACKAGE / "examples" / "demo.py", tmp_path, env).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "instance-id",
        "region",
        "credentials",
        "user-data",
        "spot",
        "signature",
    ]
    assert lines[0] == f"instance-id: {INSTANCE_ID}"
    assert re.fullmatch(
        r"credentials: role=emulator-role access_key_id=ASIA\w{16} secret=<redacted> "
        r"expires=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        lines[2],
    )
    assert lines[3] == "user-data: 38 bytes"
    assert lines[4].startswith("spot: terminate at ")
    assert lines[5] == "signature: verified"
