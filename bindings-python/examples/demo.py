"""The Python demo of `make demo`: the same six lines as every other language.

Run by `make demo-python`. Inside `make demo` (scripts/demo.sh) the emulator is already
running and described by AWS_EC2_METADATA_SERVICE_ENDPOINT, IMDS_EMULATOR_ADMIN and
IMDS_EMULATOR_CERT; run alone, the demo starts its own emulator from IMDS_EMULATOR_BIN and
schedules the spot notice it waits for.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import imds

SPOT_POLL_SECONDS = 1.0
SPOT_MAX_WAIT_SECONDS = 30.0


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def emulator_environment() -> Iterator[str]:
    """Yields the certificate PEM, starting an emulator first when none is configured."""
    if os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT"):
        with open(os.environ["IMDS_EMULATOR_CERT"]) as pem:
            yield pem.read()
        return

    binary = os.environ.get("IMDS_EMULATOR_BIN", "target/debug/imds-emulator")
    process = subprocess.Popen(
        [binary, "--port", "0", "--admin-port", "0", "--exit-on-stdin-eof", "--log-level", "warn"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        admin = ready["admin"]
        os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = ready["endpoint"]
        spot = json.dumps({"action": "terminate", "in_seconds": 3}).encode()
        urllib.request.urlopen(urllib.request.Request(admin + "/events/spot", spot, method="POST"))
        with urllib.request.urlopen(admin + "/certificate") as answer:
            yield answer.read().decode()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait()


def main() -> int:
    with emulator_environment() as certificate, imds.Client() as client:
        print("instance-id:", client.instance_id())
        print("region:", client.region())

        credentials = client.credentials()
        print(
            f"credentials: role={credentials.role} access_key_id={credentials.access_key_id}"
            f" secret=<redacted> expires={utc(credentials.expiration)}"
        )

        user_data = client.user_data()
        print(f"user-data: {len(user_data or b'')} bytes")

        deadline = time.monotonic() + SPOT_MAX_WAIT_SECONDS
        while (action := client.spot_instance_action()) is None:
            if time.monotonic() > deadline:
                print("spot: no notice within 30 s")
                return 1
            time.sleep(SPOT_POLL_SECONDS)
        print(f"spot: {action.action} at {utc(action.time)}")

        client.verified_identity_document(certificate)
        print("signature: verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
