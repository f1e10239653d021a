"""One client shared by many threads, the GIL released while waiting, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import imds
from conftest import INSTANCE_ID, REGION, Emulator


def test_threads_share_one_client_and_one_token(client: imds.Client, emulator: Emulator) -> None:
    def work(i: int) -> tuple[str, str]:
        return client.get_metadata("hostname"), client.region()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(200)))

    assert set(results) == {("ip-172-31-16-5.ec2.internal", REGION)}
    assert emulator.counters()["token_puts"] == 1


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
