"""Load across processes: forked workers share one client made before the fork.

A bounded count of requests (issue 7, item 4: "in Python, processes"), checked for no
error, no wrong value and the token fetches the design promises: at most one per process.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os

import pytest

import imds
from conftest import INSTANCE_ID, MAC, Emulator

PROCESSES = 4
READS_PER_PROCESS = 200
# Values that differ from one another, so a reply routed to the wrong request shows.
EXPECTED = {
    "instance-id": INSTANCE_ID,
    "mac": MAC,
    "local-ipv4": "172.31.16.5",
    "hostname": "ip-172-31-16-5.ec2.internal",
}
PATHS = sorted(EXPECTED)
# Generous: a bound so that a wedged worker fails the test instead of hanging the run.
BOUND_SECONDS = 60

# Set in the parent before the pool forks, so each worker inherits the client and barrier.
_client: imds.Client | None = None
_all_started: multiprocessing.synchronize.Barrier | None = None


def _read_many(worker: int) -> tuple[int, int, list[str]]:
    """Reads in a worker; returns its pid, the reads done and the first few wrong answers."""
    assert _client is not None
    assert _all_started is not None
    # Holding every task until all are running makes each run in its own process: a worker
    # waiting here cannot pick up a second task.
    _all_started.wait(timeout=BOUND_SECONDS)
    wrong: list[str] = []
    for i in range(READS_PER_PROCESS):
        path = PATHS[(worker + i) % len(PATHS)]
        got = _client.get_metadata(path)
        if got != EXPECTED[path] and len(wrong) < 5:
            wrong.append(f"{path}: {got!r}")
    return os.getpid(), READS_PER_PROCESS, wrong


# Forking a process that runs threads (the core's runtime) warns on Python 3.12+; the core
# is built for it, and these tests are what shows it.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_workers_share_a_client_with_one_token_per_process_at_most(
    emulator: Emulator,
) -> None:
    global _client, _all_started
    context = multiprocessing.get_context("fork")
    # Every read reaches the emulator, so its counters account for all of them.
    _client = imds.Client(endpoint=emulator.endpoint, cache_immutable=False)
    _all_started = context.Barrier(PROCESSES)
    try:
        # The parent reads first, so the workers inherit a client holding a token.
        assert _client.get_metadata("instance-id") == INSTANCE_ID
        with context.Pool(processes=PROCESSES) as pool:
            results = pool.map_async(_read_many, range(PROCESSES)).get(timeout=BOUND_SECONDS)
        assert len({pid for pid, _, _ in results}) == PROCESSES
        assert os.getpid() not in {pid for pid, _, _ in results}
        assert [wrong for _, _, wrong in results] == [[]] * PROCESSES
        assert sum(reads for _, reads, _ in results) == PROCESSES * READS_PER_PROCESS

        # The parent's client is untouched by its children.
        assert _client.get_metadata("mac") == MAC
        counters = emulator.counters()
        reads = counters["reads"]
        assert reads == {"200": 1 + PROCESSES * READS_PER_PROCESS + 1}, counters
        assert counters["token_rejected"] == 0, counters
        assert 1 <= counters["token_puts"] <= 1 + PROCESSES, counters
    finally:
        _client.close()
        _client = None
        _all_started = None
