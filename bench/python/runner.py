"""Benchmark runner for the Python clients: this project's binding and the peers.

    python runner.py CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT

Clients: ``imds`` (this project's binding), ``botocore`` (its IMDS fetchers, as boto3
uses them) and ``ec2-metadata``. Prints one JSON line; the protocol is in bench/README.md.
Concurrency is threads sharing one client, which is how a Python service shares one.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable

# The leaf every client reads, relative to /latest/meta-data/: mutable on EC2, so no client
# may answer it from a cache.
READ_PATH = "local-ipv4"

Op = Callable[[], object]


def make_imds(endpoint: str) -> tuple[Op, Op]:
    import imds

    client = imds.Client(endpoint=endpoint)
    return (lambda: client.get_metadata(READ_PATH)), client.credentials


def make_botocore(endpoint: str) -> tuple[Op, Op]:
    from botocore.utils import InstanceMetadataFetcher

    # Defaults as boto3 builds them (1 s timeout, 1 attempt); only the endpoint differs.
    fetcher = InstanceMetadataFetcher(base_url=endpoint)

    def read() -> str:
        # The sequence of botocore's own fetchers (`InstanceMetadataRegionFetcher`): a
        # fresh token, then the GET; botocore keeps no token between calls.
        token = fetcher._fetch_metadata_token()
        response = fetcher._get_request(f"latest/meta-data/{READ_PATH}", None, token)
        return response.text

    def credentials() -> dict[str, str]:
        found = fetcher.retrieve_iam_role_credentials()
        if not found:
            raise RuntimeError("botocore returned no credentials")
        return found

    return read, credentials


def make_ec2_metadata(endpoint: str) -> tuple[Op, Op]:
    from ec2_metadata import EC2Metadata

    md = EC2Metadata()
    # ec2-metadata has no endpoint option; these attributes are where it keeps it.
    md.service_url = f"{endpoint}/latest/"
    md.dynamic_url = f"{md.service_url}dynamic/"
    md.metadata_url = f"{md.service_url}meta-data/"
    md.userdata_url = f"{md.service_url}user-data/"

    def credentials() -> object:
        found = md.iam_security_credentials
        if not found:
            raise RuntimeError("ec2-metadata returned no credentials")
        return found

    def read() -> str:
        # `private_ipv4` is a cached property: after the first call it never reaches IMDS.
        # This is the request every uncached property of ec2-metadata makes.
        return md._get_url(f"{md.metadata_url}{READ_PATH}").data.decode("utf-8")

    return read, credentials


CLIENTS: dict[str, Callable[[str], tuple[Op, Op]]] = {
    "imds": make_imds,
    "botocore": make_botocore,
    "ec2-metadata": make_ec2_metadata,
}


def hwm_kb() -> int:
    """Peak RSS, measured here: the harness's wait4 figure would include its own memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def hammer(op: Op, concurrency: int, duration_s: float) -> dict[str, object]:
    # One untimed call first, so lazy initialisation does not eat into the window.
    with contextlib.suppress(Exception):
        op()
    warm_until = time.perf_counter() + duration_s / 4
    end = warm_until + duration_s
    results: list[tuple[list[int], int, str | None, int]] = []
    lock = threading.Lock()

    def worker() -> None:
        latencies: list[int] = []
        errors = 0
        first_error: str | None = None
        warm_ops = 0
        while time.perf_counter() < warm_until:
            warm_ops += 1
            with contextlib.suppress(Exception):
                op()
        while True:
            started = time.perf_counter_ns()
            if started / 1e9 >= end:
                break
            try:
                op()
            except Exception as e:
                errors += 1
                first_error = first_error or f"{type(e).__name__}: {e}"
                continue
            latencies.append(time.perf_counter_ns() - started)
        with lock:
            results.append((latencies, errors, first_error, warm_ops))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [x for r in results for x in r[0]]
    return {
        "ops": len(latencies),
        "errors": sum(r[1] for r in results),
        "warm_ops": sum(r[3] for r in results),
        "elapsed_s": duration_s,
        "first_error": next((r[2] for r in results if r[2]), None),
        "lat_ns": latencies,
    }


def main(argv: list[str]) -> int:
    process_start = time.perf_counter_ns()
    if len(argv) != 5:
        print("usage: runner.py CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT", file=sys.stderr)
        return 2
    client, workload, endpoint, concurrency, amount = argv
    endpoint = endpoint.rstrip("/")
    read, credentials = CLIENTS[client](endpoint)
    if workload in ("read", "creds"):
        op = credentials if workload == "creds" else read
        out: dict[str, object] = hammer(op, int(concurrency), int(amount) / 1000)
    elif workload == "cold":
        try:
            read()
            error = None
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
        out = {
            "first_value_ns": time.perf_counter_ns() - process_start,
            "ok": error is None,
            "error": error,
        }
    elif workload == "offline":
        calls, outcomes = [], []
        for _ in range(int(amount)):
            started = time.perf_counter_ns()
            try:
                read()
                outcome = "ok"
            except Exception as e:
                outcome = f"{type(e).__name__}: {e}"
            calls.append(time.perf_counter_ns() - started)
            outcomes.append(outcome)
        out = {"calls_ns": calls, "outcomes": outcomes}
    else:
        print(f"unknown workload {workload!r}", file=sys.stderr)
        return 2
    out["hwm_kb"] = hwm_kb()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
