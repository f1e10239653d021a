"""`imds.AsyncClient`: the same operations as coroutines, concurrent and cancellable."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

import imds
from conftest import INSTANCE_ID, MAC, REGION, ROLE, USER_DATA, Emulator

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def until_held(emulator: Emulator) -> None:
    """Returns once the emulator holds the request open: the call is surely in flight."""
    # The condition lives in another process, so there is no event to wait on: poll.
    while emulator.held() == 0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def test_every_sync_operation_has_an_async_twin() -> None:
    public = {
        name
        for name in dir(imds.Client)
        if not name.startswith("_") and callable(getattr(imds.Client, name))
    }
    for name in public - {"close", "config", "clear_caches"}:
        assert inspect.iscoroutinefunction(getattr(imds.AsyncClient, name)), name


def test_every_operation_as_a_coroutine(emulator: Emulator) -> None:
    emulator.call("PUT", "/tags", {"enabled": True})
    emulator.call("POST", "/events/spot", {"action": "terminate", "in_seconds": 0})
    emulator.call("POST", "/events/rebalance", {"in_seconds": 0})
    emulator.call(
        "POST",
        "/events/maintenance",
        {"code": "instance-stop", "description": "stop", "in_seconds": 0},
    )
    emulator.call("PUT", "/autoscaling", {"state": "Terminated"})
    certificate = emulator.certificate()

    async def main() -> None:
        async with imds.AsyncClient(endpoint=emulator.endpoint) as client:
            assert await client.get_metadata("instance-id") == INSTANCE_ID
            assert await client.get_metadata_bytes("instance-id") == INSTANCE_ID.encode()
            assert "placement/" in await client.list_metadata("")
            assert INSTANCE_ID in await client.get_dynamic("instance-identity/document")
            assert await client.user_data() == USER_DATA
            assert (await client.identity_document()).instance_id == INSTANCE_ID
            assert INSTANCE_ID.encode() in await client.identity_document_bytes()
            assert await client.region() == REGION
            assert await client.availability_zone() == "us-east-1a"
            assert await client.instance_id() == INSTANCE_ID
            assert (await client.credentials()).role == ROLE
            assert (await client.credentials_for_role(ROLE)).role == ROLE
            assert await client.role_name() == ROLE
            assert (await client.iam_info()).code == "Success"
            assert (await client.instance_tags())["Name"] == "emulator"
            assert [i.mac for i in await client.network_interfaces()] == [MAC]
            spot = await client.spot_instance_action()
            assert spot is not None
            assert spot.action == "terminate"
            assert await client.rebalance_recommendation() is not None
            assert [e.code for e in await client.scheduled_events()] == ["instance-stop"]
            assert await client.autoscaling_target_state() == "Terminated"
            document = await client.verified_identity_document(certificate)
            assert document.region == REGION
            document = await client.verified_identity_document_pkcs7(certificate)
            assert document.region == REGION
            assert client.endpoint == emulator.endpoint
            assert client.config()["endpoint"] == (emulator.endpoint, "code")
            client.clear_caches()
        assert client.closed

    run(main())


def test_many_concurrent_tasks_share_one_token(emulator: Emulator) -> None:
    async def main() -> list[str]:
        async with imds.AsyncClient(endpoint=emulator.endpoint) as client:
            return await asyncio.gather(*(client.get_metadata("hostname") for _ in range(200)))

    assert set(run(main())) == {"ip-172-31-16-5.ec2.internal"}
    assert emulator.counters()["token_puts"] == 1


def test_errors_are_raised_from_await(emulator: Emulator) -> None:
    async def main() -> None:
        client = imds.AsyncClient(endpoint=emulator.endpoint)
        with pytest.raises(imds.NotFoundError) as caught:
            await client.get_metadata("missing")
        assert caught.value.status == 404
        with pytest.raises(imds.InvalidInputError):
            await client.get_metadata("bad\npath")
        with pytest.raises(TypeError):
            await client.get_metadata(7)  # type: ignore[arg-type]
        await client.aclose()
        with pytest.raises(imds.InvalidInputError, match="closed"):
            await client.region()

    run(main())


def test_the_event_loop_keeps_running_while_a_call_waits(emulator: Emulator) -> None:
    emulator.faults(latency_ms=300, target="metadata")

    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async with imds.AsyncClient(endpoint=emulator.endpoint) as client:
            background = asyncio.create_task(ticker())
            await client.get_metadata("instance-id")
            background.cancel()
        return ticks

    assert run(main()) > 0


def test_cancelling_the_task_cancels_the_request(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The request would end with a timeout after 0.5 s and log a failure if it kept running
    # after the task was cancelled; cancelled, it is dropped and logs nothing.
    emulator.faults(never_answer=True, target="metadata")
    caplog.set_level(logging.INFO, logger="imds.audit")

    async def main() -> None:
        async with imds.AsyncClient(
            endpoint=emulator.endpoint, timeout=0.5, max_attempts=1
        ) as client:
            task = asyncio.create_task(client.get_metadata("instance-id"))
            await until_held(emulator)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(1.5)

    run(main())
    paths = [getattr(record, "path", None) for record in caplog.records]
    assert "instance-id" not in paths


def test_wait_for_timeout_cancels_only_its_own_call(emulator: Emulator) -> None:
    emulator.faults(latency_ms=2000, target="metadata")

    async def main() -> None:
        async with imds.AsyncClient(endpoint=emulator.endpoint, timeout=10) as client:
            slow = asyncio.create_task(client.get_metadata("hostname"))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.get_metadata("instance-id"), timeout=0.2)
            assert await slow == "ip-172-31-16-5.ec2.internal"

    run(main())


def test_closing_the_client_ends_calls_in_flight(emulator: Emulator) -> None:
    emulator.faults(never_answer=True, target="metadata")

    async def main() -> None:
        client = imds.AsyncClient(endpoint=emulator.endpoint, timeout=3600, max_attempts=1)
        task = asyncio.create_task(client.region())
        await until_held(emulator)
        client.close()
        with pytest.raises(imds.CancelledError):
            await task

    run(main())


def test_a_result_arriving_after_its_loop_closed_is_dropped_quietly(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    emulator.faults(latency_ms=300, target="metadata")
    client = imds.AsyncClient(endpoint=emulator.endpoint)

    async def start() -> asyncio.Future[str]:
        # The bare future, never awaited: its loop is closed before the answer comes.
        return client._core.get_metadata("instance-id")

    loop = asyncio.new_event_loop()
    future = loop.run_until_complete(start())
    loop.close()
    time.sleep(0.6)

    assert not future.done()
    assert reported == []
    assert run(client.instance_id()) == INSTANCE_ID


def test_the_async_client_needs_a_running_loop(emulator: Emulator) -> None:
    client = imds.AsyncClient(endpoint=emulator.endpoint)
    coroutine = client.region()
    with pytest.raises(RuntimeError):
        coroutine.send(None)
    coroutine.close()
