"""A program that exits right after its last call ends cleanly, whatever the core's threads
are doing at that moment."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import REGION, Emulator

# Completes asyncio futures from the core's worker threads and forwards audit events to a
# logging handler, then lets the interpreter shut down at once. A worker thread that still
# reaches for the interpreter during finalization would abort the process after it printed
# its answer, so the exit status is what this pins.
PROGRAM = textwrap.dedent(
    """
    import asyncio, logging, sys
    import imds
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)

    async def main():
        async with imds.AsyncClient(endpoint=sys.argv[1]) as client:
            regions = await asyncio.gather(*(client.region() for _ in range(8)))
            return regions[-1], await client.get_metadata("instance-id")

    with imds.Client(endpoint=sys.argv[1]) as client:
        client.get_metadata("hostname")
    print(asyncio.run(main())[0])
    """
)

# The failure it guards against depends on thread timing: a single run shows it only
# sometimes, so the program runs repeatedly.
RUNS = 20


def test_exit_right_after_async_calls_never_aborts_the_process(emulator: Emulator) -> None:
    for run in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM, emulator.endpoint],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"run {run}: exit {done.returncode}\n{done.stderr[-2000:]}"
        assert done.stdout.strip() == REGION
