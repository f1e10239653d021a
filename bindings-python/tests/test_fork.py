"""A process that forks gets a working client in the child."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import imds
from conftest import INSTANCE_ID, REGION, Emulator

_shared: imds.Client | None = None


def _region_in_child(_: int) -> str:
    assert _shared is not None
    return _shared.region() + "@" + _shared.get_metadata("hostname")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_os_fork_child_uses_the_parents_client(client: imds.Client, emulator: Emulator) -> None:
    assert client.instance_id() == INSTANCE_ID
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        status = 1
        try:
            answer = client.get_metadata("hostname") + " " + client.credentials().role
            os.write(write, answer.encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert answer == "ip-172-31-16-5.ec2.internal emulator-role"
    # The parent's client still works, and the token was inherited, not fetched again.
    assert client.region() == REGION
    assert emulator.counters()["token_puts"] == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_multiprocessing_fork_workers_use_a_client_made_before_the_fork(
    emulator: Emulator,
) -> None:
    global _shared
    _shared = imds.Client(endpoint=emulator.endpoint)
    try:
        assert _shared.instance_id() == INSTANCE_ID
        context = multiprocessing.get_context("fork")
        with context.Pool(processes=2) as pool:
            answers = pool.map(_region_in_child, range(8))
        assert answers == [f"{REGION}@ip-172-31-16-5.ec2.internal"] * 8
    finally:
        _shared.close()
        _shared = None
