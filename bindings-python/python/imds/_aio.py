"""`AsyncClient`: the operations of `Client` as coroutines for asyncio."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType

from . import _imds


class AsyncClient:
    """An asyncio IMDSv2 client with the same settings and operations as :class:`Client`.

    Every operation is a coroutine. The network wait happens on the client's own runtime
    threads, never on the event loop; cancelling the awaiting task cancels the request.
    One client may be shared by any number of tasks. Use ``async with`` or call
    :meth:`close` (or ``await`` :meth:`aclose`) when done.
    """

    __slots__ = ("_core",)

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        endpoint_mode: str | None = None,
        token_ttl: float | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
        backoff: tuple[float, float] | None = None,
        disabled: bool | None = None,
        v1_fallback: bool | None = None,
        v1_disabled: bool | None = None,
        unreachable_memory: float | None = None,
        max_response_size: int | None = None,
        cache_immutable: bool | None = None,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self._core = _imds.Client(
            endpoint=endpoint,
            endpoint_mode=endpoint_mode,
            token_ttl=token_ttl,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
            deadline=deadline,
            backoff=backoff,
            disabled=disabled,
            v1_fallback=v1_fallback,
            v1_disabled=v1_disabled,
            unreachable_memory=unreachable_memory,
            max_response_size=max_response_size,
            cache_immutable=cache_immutable,
            profile=profile,
            config_file=config_file,
            environment=environment,
        )._async_core()

    def __repr__(self) -> str:
        return repr(self._core)

    @property
    def endpoint(self) -> str:
        """The endpoint requests go to."""
        return self._core.endpoint

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._core.closed

    def config(self) -> dict[str, tuple[str, str]]:
        """Every resolved setting as ``{name: (value, source)}``."""
        return self._core.config()

    def clear_caches(self) -> None:
        """Forgets the token, cached values, credentials and unreachable memory."""
        self._core.clear_caches()

    def close(self) -> None:
        """Closes the client: calls in flight end with :class:`CancelledError`. Idempotent."""
        self._core.close()

    async def aclose(self) -> None:
        """Closes the client; the same as :meth:`close`, for ``await``-style cleanup."""
        self._core.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._core.close()

    async def get_metadata(self, path: str) -> str:
        """A metadata value as text, such as ``get_metadata("instance-id")``."""
        return await self._core.get_metadata(path)

    async def get_metadata_bytes(self, path: str) -> bytes:
        """A metadata value as raw bytes."""
        return await self._core.get_metadata_bytes(path)

    async def list_metadata(self, path: str) -> list[str]:
        """The entries of a metadata directory; subdirectories keep their trailing ``/``."""
        return await self._core.list_metadata(path)

    async def get_dynamic(self, path: str) -> str:
        """A dynamic data value, relative to ``/latest/dynamic/``."""
        return await self._core.get_dynamic(path)

    async def user_data(self) -> bytes | None:
        """The user-data, or ``None`` when the instance has none."""
        return await self._core.user_data()

    async def identity_document(self) -> _imds.IdentityDocument:
        """The instance identity document, parsed; cached after the first answer."""
        return await self._core.identity_document()

    async def identity_document_bytes(self) -> bytes:
        """The identity document exactly as IMDS sent it (and signed it)."""
        return await self._core.identity_document_bytes()

    async def region(self) -> str:
        """The Region, such as ``us-east-1``."""
        return await self._core.region()

    async def availability_zone(self) -> str:
        """The Availability Zone, such as ``us-east-1a``."""
        return await self._core.availability_zone()

    async def instance_id(self) -> str:
        """The instance id, such as ``i-0123456789abcdef0``."""
        return await self._core.instance_id()

    async def credentials(self) -> _imds.Credentials:
        """The role credentials of the attached instance profile; cached and refreshed."""
        return await self._core.credentials()

    async def role_name(self) -> str:
        """The name of the role attached to the instance; :class:`NotFoundError` without one."""
        return await self._core.role_name()

    async def credentials_for_role(self, role: str) -> _imds.Credentials:
        """The credentials of the named role."""
        return await self._core.credentials_for_role(role)

    async def iam_info(self) -> _imds.IamInfo:
        """The attached instance profile; :class:`NotFoundError` when there is none."""
        return await self._core.iam_info()

    async def instance_tags(self) -> dict[str, str]:
        """The instance tags, when tags in metadata are turned on."""
        return await self._core.instance_tags()

    async def network_interfaces(self) -> list[_imds.NetworkInterface]:
        """Every network interface, primary first."""
        return await self._core.network_interfaces()

    async def spot_instance_action(self) -> _imds.SpotInstanceAction | None:
        """The pending spot interruption, or ``None``."""
        return await self._core.spot_instance_action()

    async def rebalance_recommendation(self) -> _imds.RebalanceRecommendation | None:
        """The rebalance recommendation, or ``None``."""
        return await self._core.rebalance_recommendation()

    async def scheduled_events(self) -> list[_imds.ScheduledEvent]:
        """Scheduled maintenance events; empty when there are none."""
        return await self._core.scheduled_events()

    async def autoscaling_target_state(self) -> str | None:
        """The Auto Scaling target lifecycle state, or ``None`` outside a group."""
        return await self._core.autoscaling_target_state()

    async def verified_identity_document(self, certificate_pem: str) -> _imds.IdentityDocument:
        """The identity document, after checking its signature against the certificate."""
        return await self._core.verified_identity_document(certificate_pem)

    async def verified_identity_document_pkcs7(
        self, certificate_pem: str
    ) -> _imds.IdentityDocument:
        """The identity document carried by the PKCS#7 form, after verifying it."""
        return await self._core.verified_identity_document_pkcs7(certificate_pem)
