"""Load across processes: forked workers share one client made before the fork.

A bounded count of requests, checked for no error, no wrong value, no file descriptor or
thread left open in the parent or in any worker once the client is closed, and the token
fetches the design promises: one in all, as a forked child keeps the token its parent held
(a token belongs to the instance, not to a process).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
from typing import NamedTuple

import pytest
from test_threads import Handles, baseline_after_a_warm_up_client, refuse_a_call, settled

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


class Outcome(NamedTuple):
    """What one worker reports: its pid, the reads done, the first few wrong answers, and
    its own open handles before the reads and after closing its copy of the client."""

    pid: int
    reads: int
    wrong: list[str]
    before: Handles
    after: Handles


def _read_many(worker: int) -> Outcome:
    """Reads in a worker, then closes the worker's copy of the client."""
    assert _client is not None
    assert _all_started is not None
    # Holding every task until all are running makes each run in its own process: a worker
    # waiting here cannot pick up a second task.
    _all_started.wait(timeout=BOUND_SECONDS)
    # The parent's runtime threads do not exist in this process: the client's first call
    # here starts a runtime of this process's own, which the baseline must hold. What the
    # worker inherited (the parent's descriptors, its pooled connection) is in both figures.
    refuse_a_call(_client)
    before = Handles.now()
    wrong: list[str] = []
    for i in range(READS_PER_PROCESS):
        path = PATHS[(worker + i) % len(PATHS)]
        got = _client.get_metadata(path)
        if got != EXPECTED[path] and len(wrong) < 5:
            wrong.append(f"{path}: {got!r}")
    # Closes this process's copy only: the parent's client lives in the parent's memory.
    _client.close()
    return Outcome(os.getpid(), READS_PER_PROCESS, wrong, before, settled(before))


# Forking a process that runs threads (the core's runtime) warns on Python 3.12+; the core
# is built for it, and these tests are what shows it.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_workers_share_a_client_and_one_token_and_leave_nothing_open(
    emulator: Emulator,
) -> None:
    global _client, _all_started
    context = multiprocessing.get_context("fork")
    # Made before the baseline: the barrier lives in a shared-memory arena (two descriptors)
    # that multiprocessing keeps for the rest of the process, for later objects to reuse.
    _all_started = context.Barrier(PROCESSES)
    before = baseline_after_a_warm_up_client(emulator.endpoint)
    # Every read reaches the emulator, so its counters account for all of them.
    _client = imds.Client(endpoint=emulator.endpoint, cache_immutable=False)
    try:
        # The parent reads first, so the workers inherit a client holding a token.
        assert _client.get_metadata("instance-id") == INSTANCE_ID
        pool = context.Pool(processes=PROCESSES)
        try:
            results = pool.map_async(_read_many, range(PROCESSES)).get(timeout=BOUND_SECONDS)
        finally:
            # Ends the workers (each holds its own runtime) and the pool's threads.
            pool.terminate()
            pool.join()
        del pool
        assert len({r.pid for r in results}) == PROCESSES
        assert os.getpid() not in {r.pid for r in results}
        assert [r.wrong for r in results] == [[]] * PROCESSES
        assert sum(r.reads for r in results) == PROCESSES * READS_PER_PROCESS
        leaky = [r for r in results if not r.after.within(r.before)]
        assert not leaky, leaky

        # The parent's client is untouched by its children.
        assert _client.get_metadata("mac") == MAC
    finally:
        _client.close()
        _client = None
        _all_started = None

    after = settled(before)
    assert after.within(before), f"before {before}, after {after}"
    counters = emulator.counters()
    assert counters["token_puts"] == 1, counters
    assert counters["token_rejected"] == 0, counters
    assert counters["reads"] == {"200": 1 + PROCESSES * READS_PER_PROCESS + 1}, counters
