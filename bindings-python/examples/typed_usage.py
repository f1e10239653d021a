"""A tour of the whole API with full type annotations, checked by `mypy --strict`.

Runs against whatever IMDS the environment names (AWS_EC2_METADATA_SERVICE_ENDPOINT), such
as the emulator; the test suite runs it too, so the example can neither rot nor lie.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys

import imds


def describe(client: imds.Client) -> list[str]:
    """Reads a little of everything, with the types mypy infers from the stubs."""
    document: imds.IdentityDocument = client.identity_document()
    launched: dt.datetime | None = document.pending_time
    entries: list[str] = client.list_metadata("")
    raw: bytes = client.get_metadata_bytes("instance-id")
    user_data: bytes | None = client.user_data()
    interfaces: list[imds.NetworkInterface] = client.network_interfaces()
    addresses: tuple[str, ...] = interfaces[0].local_ipv4s
    info: imds.IamInfo = client.iam_info()
    credentials: imds.Credentials = client.credentials()
    expires_in: dt.timedelta = credentials.expiration - dt.datetime.now(dt.timezone.utc)
    spot: imds.SpotInstanceAction | None = client.spot_instance_action()
    rebalance: imds.RebalanceRecommendation | None = client.rebalance_recommendation()
    events: list[imds.ScheduledEvent] = client.scheduled_events()
    state: str | None = client.autoscaling_target_state()
    settings: dict[str, tuple[str, str]] = client.config()
    try:
        tags: dict[str, str] = client.instance_tags()
    except imds.NotFoundError as error:
        # Tags in metadata are off unless the instance turns them on; the message says how.
        print(f"no tags (HTTP {error.status}): {error}", file=sys.stderr)
        tags = {}
    return [
        f"{document.instance_id} in {client.region()} ({client.availability_zone()})",
        f"launched {launched.isoformat() if launched else 'unknown'}",
        f"{len(entries)} top-level entries, instance id {raw.decode()}",
        f"user-data: {len(user_data or b'')} bytes",
        f"primary address {addresses[0] if addresses else 'none'}",
        f"profile {info.instance_profile_arn}",
        f"credentials for {credentials.role} good for {expires_in.total_seconds() > 0}",
        f"spot {spot.action if spot else 'none'}, rebalance {rebalance is not None}",
        f"{len(events)} scheduled events, auto scaling {state or 'not in a group'}",
        f"endpoint from {settings['endpoint'][1]}, {len(tags)} tags",
    ]


def first_of(client: imds.Client, paths: list[str]) -> str | None:
    """Shows the exception hierarchy: built-in bases make ordinary `except`s work."""
    for path in paths:
        try:
            return client.get_metadata(path)
        except LookupError:
            continue
        except (imds.ImdsTimeoutError, imds.UnreachableError) as error:
            code: int = error.code
            print(f"IMDS unavailable (code {code}): {error}", file=sys.stderr)
            return None
    return None


async def concurrently() -> tuple[str, str, imds.IdentityDocument]:
    """The async client: the same operations as coroutines."""
    async with imds.AsyncClient(timeout=2.0, max_attempts=3) as client:
        return await asyncio.gather(
            client.get_metadata("instance-id"),
            client.region(),
            client.identity_document(),
        )


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    with imds.Client(token_ttl=300, timeout=1.0) as client:
        for line in describe(client):
            print(line)
        print(first_of(client, ["no/such/item", "placement/availability-zone"]))
    instance_id, region, document = asyncio.run(concurrently())
    print(f"async: {instance_id} {region} {document.account_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
