"""The exceptions of the imds client: one base class and one subclass per error kind.

Every kind has the same numeric code and name in every language of the project. Where a
kind means what a built-in exception means, its class inherits from that built-in too, so
`except TimeoutError`, `except LookupError`, `except ValueError` and `except
ConnectionError` work as a Python user expects.
"""

from __future__ import annotations

from typing import ClassVar


class ImdsError(Exception):
    """Base class of every error raised by the imds client.

    Attributes:
        code: the stable numeric code of the error kind, the same in every language.
        kind: the kind's stable name, such as ``"not_found"``.
        status: the HTTP status IMDS answered with, or ``None`` when it did not answer.
        message: what happened and what to do about it; never a token or secret.
    """

    code: ClassVar[int] = 0
    kind: ClassVar[str] = "unknown"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class InvalidInputError(ImdsError, ValueError):
    """A bad argument: path, TTL, endpoint, mode or setting; or a closed client."""

    code = 1
    kind = "invalid_input"


class DisabledError(ImdsError):
    """IMDS is turned off by configuration; no request was sent."""

    code = 2
    kind = "disabled"


class UnreachableError(ImdsError, ConnectionError):
    """The connection was refused or timed out: most likely not running on EC2."""

    code = 3
    kind = "unreachable"


class ImdsTimeoutError(ImdsError, TimeoutError):
    """No answer in time."""

    code = 4
    kind = "timeout"


class BadRequestError(ImdsError):
    """IMDS answered 400 (or 405)."""

    code = 5
    kind = "bad_request"


class UnauthorizedError(ImdsError):
    """IMDS answered 401 even with a freshly fetched token."""

    code = 6
    kind = "unauthorized"


class ForbiddenError(ImdsError):
    """IMDS answered 403: it is turned off for this instance, or refused the request."""

    code = 7
    kind = "forbidden"


class NotFoundError(ImdsError, LookupError):
    """IMDS answered 404: the path, role, user-data or notice is not there."""

    code = 8
    kind = "not_found"


class ThrottledError(ImdsError):
    """IMDS answered 429 on every attempt."""

    code = 9
    kind = "throttled"


class ServerError(ImdsError):
    """IMDS answered 5xx on every attempt."""

    code = 10
    kind = "server_error"


class InvalidResponseError(ImdsError):
    """The answer could not be understood: a malformed body, document or header."""

    code = 11
    kind = "invalid_response"


class ResponseTooLargeError(ImdsError):
    """The answer was larger than ``max_response_size``."""

    code = 12
    kind = "response_too_large"


class CancelledError(ImdsError):
    """The call was cancelled, for example by closing the client while it ran.

    An asyncio task that is cancelled raises :class:`asyncio.CancelledError`, as usual.
    """

    code = 13
    kind = "cancelled"


class SignatureInvalidError(ImdsError):
    """The identity document failed signature verification."""

    code = 14
    kind = "signature_invalid"


class CredentialsError(ImdsError):
    """IMDS answered with an error document instead of role credentials."""

    code = 15
    kind = "credentials_error"


class InternalError(ImdsError):
    """A bug in the imds client; please report it."""

    code = 99
    kind = "internal"


_BY_CODE: dict[int, type[ImdsError]] = {
    cls.code: cls
    for cls in (
        InvalidInputError,
        DisabledError,
        UnreachableError,
        ImdsTimeoutError,
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ThrottledError,
        ServerError,
        InvalidResponseError,
        ResponseTooLargeError,
        CancelledError,
        SignatureInvalidError,
        CredentialsError,
        InternalError,
    )
}


class _UnknownKindError(ImdsError):
    """A kind newer than this package: the code and name are the core's."""

    def __init__(
        self, message: str, *, status: int | None = None, code: int = 0, kind: str = "unknown"
    ) -> None:
        super().__init__(message, status=status)
        self.code = code  # type: ignore[misc]
        self.kind = kind  # type: ignore[misc]


def _from_core(code: int, kind: str, status: int | None, message: str) -> ImdsError:
    """Builds the exception for a core error; called by the extension module."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return _UnknownKindError(message, status=status, code=code, kind=kind)
    return cls(message, status=status)
