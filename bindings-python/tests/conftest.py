"""Fixtures: a real emulator process per test, and an environment free of AWS settings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import imds

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# The default instance of the emulator (emulator/README.md, "The default instance").
INSTANCE_ID = "i-0b22a22eec53b9321"
REGION = "us-east-1"
ZONE = "us-east-1a"
ACCOUNT = "123456789012"
ROLE = "emulator-role"
MAC = "0e:49:61:0f:c3:11"
USER_DATA = b"#!/bin/bash\necho hello from user-data\n"


def emulator_binary() -> str:
    """The emulator built by `make build-emulator`; `make test-python` exports its path."""
    path = os.environ.get("IMDS_EMULATOR_BIN") or str(ROOT / "target/debug/imds-emulator")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no emulator at {path}: run `make build-emulator` or set IMDS_EMULATOR_BIN")
    return path


class Emulator:
    """An `imds-emulator` child process and a small client for its admin API."""

    def __init__(self) -> None:
        # stdin stays a pipe: with --exit-on-stdin-eof the emulator dies with this process.
        self.process = subprocess.Popen(
            [
                emulator_binary(),
                "--port",
                "0",
                "--admin-port",
                "0",
                "--exit-on-stdin-eof",
                "--log-level",
                "warn",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            pytest.fail(f"the emulator exited with {self.process.returncode} before it was ready")
        ready = json.loads(line)
        self.endpoint: str = ready["endpoint"]
        self.admin: str = ready["admin"]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def call(self, method: str, route: str, body: Any = None, raw: bytes | None = None) -> Any:
        """One admin request; returns the decoded JSON (or text) answer."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.admin + route, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"admin {method} {route}: {error.read().decode()}") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def faults(self, **faults: Any) -> None:
        self.call("PUT", "/faults", faults)

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def mode(self, **mode: str) -> None:
        self.call("PUT", "/mode", mode)

    def counters(self) -> dict[str, Any]:
        counters: dict[str, Any] = self.call("GET", "/counters")
        return counters

    def held(self) -> int:
        """Requests held open so far by the `never_answer` fault."""
        held: int = self.counters()["unanswered"].get("never_answer", 0)
        return held

    def wait_until_held(self) -> None:
        """Returns once a request is held open: the client is then surely waiting."""
        while self.held() == 0:
            time.sleep(0.01)

    def certificate(self) -> str:
        pem: str = self.call("GET", "/certificate")
        return pem


@pytest.fixture(autouse=True)
def _no_ambient_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keeps the developer's AWS variables and ~/.aws/config out of every test."""
    for name in list(os.environ):
        if name.startswith(("AWS_EC2_METADATA", "AWS_METADATA_SERVICE")) or name in (
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator on free ports, stopped after the test."""
    server = Emulator()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[imds.Client]:
    """A client of the test's emulator."""
    with imds.Client(endpoint=emulator.endpoint) as c:
        yield c


def closed_port_endpoint() -> str:
    """An endpoint on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def closed_port() -> str:
    """An endpoint on 127.0.0.1 where nothing listens: connections are refused."""
    return closed_port_endpoint()


@pytest.fixture
def unrelated_certificate() -> str:
    """A valid RSA certificate that did not sign the emulator's identity document."""
    return (HERE / "data" / "unrelated-rsa-cert.pem").read_text()
