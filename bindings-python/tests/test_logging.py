"""Audit events in the `imds.audit` logger: structured, and never with a secret."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from typing import Any

import pytest

import imds
from conftest import Emulator

FIELDS = ("operation", "path", "status", "attempts", "latency_ms", "outcome", "cached")


def audit_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "imds.audit"]


def test_each_access_is_one_record_with_structured_fields(
    client: imds.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="imds.audit")
    client.get_metadata("instance-id")
    client.get_metadata("instance-id")

    token, first, second = audit_records(caplog)
    for record in (token, first, second):
        for field in FIELDS:
            assert hasattr(record, field), field
    assert (token.operation, token.outcome, token.status) == ("token", "success", 200)  # type: ignore[attr-defined]
    assert first.operation == "get_metadata"  # type: ignore[attr-defined]
    assert first.path == "instance-id"  # type: ignore[attr-defined]
    assert (first.status, first.attempts, first.cached) == (200, 1, False)  # type: ignore[attr-defined]
    assert first.latency_ms >= 0  # type: ignore[attr-defined]
    assert first.levelno == logging.INFO
    assert "get_metadata 'instance-id': success" in first.getMessage()
    # The instance id cannot change: the second read is served from the cache.
    assert (second.cached, second.attempts) == (True, 0)  # type: ignore[attr-defined]


def test_failures_are_warnings_except_not_found(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="imds.audit")
    client = imds.Client(endpoint=emulator.endpoint, max_attempts=2)
    with pytest.raises(imds.NotFoundError):
        client.get_metadata("missing")
    emulator.faults(error_status=503, error_count=5, target="metadata")
    with pytest.raises(imds.ServerError):
        client.get_metadata("hostname")

    missing, failed = (r for r in audit_records(caplog) if r.operation != "token")  # type: ignore[attr-defined]
    assert (missing.levelno, missing.outcome) == (logging.INFO, "error:not_found")  # type: ignore[attr-defined]
    assert (failed.levelno, failed.outcome) == (logging.WARNING, "error:server_error")  # type: ignore[attr-defined]
    assert (failed.status, failed.attempts) == (503, 2)  # type: ignore[attr-defined]


def test_no_token_secret_key_session_token_or_user_data_in_any_record(
    client: imds.Client, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_user_data = b"password=hunter2-do-not-log"
    emulator.call("PUT", "/user-data", raw=secret_user_data)
    credentials = client.credentials()
    assert client.user_data() == secret_user_data
    with pytest.raises(imds.InvalidInputError):
        client.get_metadata("evil\r\nInjected: header")
    emulator.call("POST", "/tokens/expire")
    client.get_metadata("hostname")

    records = audit_records(caplog)
    assert len(records) >= 6
    secrets = [
        credentials.secret_access_key,
        credentials.session_token,
        secret_user_data.decode(),
        "hunter2",
    ]
    # Tokens are 56 URL-safe base64 characters (emulator/README.md).
    token_like = re.compile(r"[A-Za-z0-9_-]{56}")
    # Where the record was made (function, file, module) is the caller's code, not data
    # from IMDS: a cached value's event is logged on the calling thread, so these name
    # this test, whose long name would look like a token.
    location = {"funcName", "pathname", "filename", "module"}
    for record in records:
        fields = (str(v) for k, v in vars(record).items() if k not in location)
        texts = [record.getMessage(), *fields]
        for text in texts:
            for secret in secrets:
                assert secret not in text
            assert not token_like.search(text), text
    # A rejected path is shown escaped, so it cannot forge a log line.
    assert any("'evil\\r\\nInjected: header'" in r.getMessage() for r in records)


def test_nothing_is_built_when_the_logger_is_disabled(
    client: imds.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="imds.audit")
    client.get_metadata("instance-id")
    assert audit_records(caplog) == []


def test_a_failing_filter_never_breaks_the_call(
    client: imds.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    logger = logging.getLogger("imds.audit")

    def explode(record: logging.LogRecord) -> bool:
        raise RuntimeError("filter failed")

    logger.addFilter(explode)
    logger.setLevel(logging.INFO)
    try:
        assert client.get_metadata("instance-id") == "i-0b22a22eec53b9321"
    finally:
        logger.removeFilter(explode)
        logger.setLevel(logging.NOTSET)
    assert reported
    assert isinstance(reported[0].exc_value, RuntimeError)


def test_the_library_prints_nothing_when_logging_is_not_configured(closed_port: str) -> None:
    # Without the package's NullHandler, Python's last-resort handler would print the
    # unreachable warning to stderr of an application that never set up logging.
    script = (
        "import imds\n"
        "try:\n"
        f"    imds.Client(endpoint={closed_port!r}).region()\n"
        "except imds.UnreachableError:\n"
        "    print('unreachable')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert (done.stdout, done.stderr) == ("unreachable\n", "")
