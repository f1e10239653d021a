"""One client shared by many threads, the GIL released while waiting, and Ctrl-C."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest

import imds
from conftest import INSTANCE_ID, REGION, Emulator

THREADS = 16
CALLS = 200
# How often to look again while closed connections and joined threads wind down. Only a
# leak exhausts the bound, which keeps it from hanging the test; the assertion is on the
# counts. It outlasts the ten seconds for which a tokio runtime keeps an idle thread.
SETTLE_POLLS = 2000
SETTLE_PAUSE_SECONDS = 0.01


class Handles(NamedTuple):
    """What the process holds open: entries of /proc/self/fd and /proc/self/task."""

    fds: int
    threads: int

    @classmethod
    def now(cls) -> Handles:
        # Listing /proc/self/fd opens a descriptor of its own; it is in every figure alike.
        return cls(len(os.listdir("/proc/self/fd")), len(os.listdir("/proc/self/task")))

    def within(self, baseline: Handles) -> bool:
        return self.fds <= baseline.fds and self.threads <= baseline.threads


def refuse_a_call(client: imds.Client) -> None:
    """Makes a call that the core refuses before any request: it starts the core's runtime
    in this process without opening a connection.

    That runtime (its epoll and waker descriptors, its worker threads) is shared by every
    client and lives as long as the process by design, so a baseline taken after this holds
    it, and nothing that closes later.
    """
    with pytest.raises(imds.InvalidInputError):
        client.get_metadata("../user-data")


def baseline_after_a_warm_up_client(endpoint: str) -> Handles:
    """The count before the load, once a client was created, used and closed."""
    with imds.Client(endpoint=endpoint) as warm_up:
        refuse_a_call(warm_up)
    return Handles.now()


def settled(baseline: Handles) -> Handles:
    """The figure once the process is back within `baseline`, or the last one seen.

    Closing is asynchronous: the core's worker threads shut a closed client's connections,
    a joined thread leaves /proc/self/task a moment after the join returns, and objects in
    reference cycles (a process pool and its pipes) wait for the cycle collector.
    """
    gc.collect()
    for _ in range(SETTLE_POLLS):
        now = Handles.now()
        if now.within(baseline):
            return now
        time.sleep(SETTLE_PAUSE_SECONDS)
    return Handles.now()


def test_threads_share_one_client_and_one_token_and_leave_nothing_open(
    emulator: Emulator,
) -> None:
    before = baseline_after_a_warm_up_client(emulator.endpoint)
    # Every read reaches the emulator, so its counters account for all of them.
    client = imds.Client(endpoint=emulator.endpoint, cache_immutable=False)

    def work(i: int) -> tuple[str, str]:
        return client.get_metadata("hostname"), client.region()

    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = list(pool.map(work, range(CALLS)))
    finally:
        client.close()

    after = settled(before)
    assert after.within(before), f"before {before}, after {after}"
    assert set(results) == {("ip-172-31-16-5.ec2.internal", REGION)}
    counters = emulator.counters()
    # One token for every thread.
    assert counters["token_puts"] == 1, counters
    assert counters["reads"] == {"200": 2 * CALLS}, counters


def test_the_gil_is_released_while_a_call_waits(emulator: Emulator) -> None:
    # The call in the other thread can only end when this thread closes its client. Were
    # the GIL held while it waits, this thread could run no Python code at all, and the
    # test would hang until pytest-timeout ends it.
    emulator.faults(never_answer=True, target="metadata")
    blocked = imds.Client(endpoint=emulator.endpoint, timeout=3600, max_attempts=1)
    outcome: list[BaseException] = []

    def wait_in_the_extension() -> None:
        try:
            blocked.get_metadata("instance-id")
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=wait_in_the_extension)
    thread.start()
    emulator.wait_until_held()
    assert sum(range(100_000)) == 4_999_950_000
    assert thread.is_alive()
    blocked.close()
    thread.join(timeout=30)
    assert [type(error) for error in outcome] == [imds.CancelledError]


def test_ctrl_c_interrupts_a_blocked_call_and_the_client_keeps_working(
    emulator: Emulator,
) -> None:
    script = textwrap.dedent(
        f"""
        import sys, urllib.request
        import imds
        client = imds.Client(endpoint={emulator.endpoint!r}, timeout=3600, max_attempts=1)
        assert client.region() == "us-east-1"
        request = urllib.request.Request(
            {emulator.admin!r} + "/faults",
            data=b'{{"never_answer": true, "target": "metadata"}}',
            method="PUT",
        )
        urllib.request.urlopen(request).read()
        print("calling", flush=True)
        try:
            client.get_metadata("instance-id")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        urllib.request.urlopen(
            urllib.request.Request({emulator.admin!r} + "/faults", method="DELETE")
        ).read()
        print(client.get_metadata("instance-id"), flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "calling\n"
    emulator.wait_until_held()
    child.send_signal(signal.SIGINT)
    # The hour-long timeout would hang this wait; the interrupt ends the call instead.
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    assert out.splitlines() == ["interrupted", INSTANCE_ID]
