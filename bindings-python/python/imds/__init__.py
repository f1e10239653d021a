"""A secure, fast client for the EC2 Instance Metadata Service (IMDSv2).

>>> import imds
>>> with imds.Client() as client:                      # doctest: +SKIP
...     print(client.get_metadata("instance-id"))

:class:`Client` blocks the calling thread (never holding the GIL while it waits) and is
safe to share between threads; :class:`AsyncClient` offers the same operations as
coroutines. Settings not given in code come from the environment
(``AWS_EC2_METADATA_SERVICE_ENDPOINT``, ...), then the shared config file profile, then
the defaults. Errors are :class:`ImdsError` subclasses with a stable ``code``. Every
token fetch and metadata access is logged to the ``imds.audit`` logger, never with a
secret.

All behaviour lives in the Rust core shared with the C, Go and Java bindings; this
package only adapts it to Python.
"""

from __future__ import annotations

import logging as _logging

from ._aio import AsyncClient
from ._errors import (
    BadRequestError,
    CancelledError,
    CredentialsError,
    DisabledError,
    ForbiddenError,
    ImdsError,
    ImdsTimeoutError,
    InternalError,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    ResponseTooLargeError,
    ServerError,
    SignatureInvalidError,
    ThrottledError,
    UnauthorizedError,
    UnreachableError,
)
from ._imds import (
    Client,
    Credentials,
    IamInfo,
    IdentityDocument,
    NetworkInterface,
    RebalanceRecommendation,
    ScheduledEvent,
    SpotInstanceAction,
    __version__,
)

__all__ = [
    "AsyncClient",
    "BadRequestError",
    "CancelledError",
    "Client",
    "Credentials",
    "CredentialsError",
    "DisabledError",
    "ForbiddenError",
    "IamInfo",
    "IdentityDocument",
    "ImdsError",
    "ImdsTimeoutError",
    "InternalError",
    "InvalidInputError",
    "InvalidResponseError",
    "NetworkInterface",
    "NotFoundError",
    "RebalanceRecommendation",
    "ResponseTooLargeError",
    "ScheduledEvent",
    "ServerError",
    "SignatureInvalidError",
    "SpotInstanceAction",
    "ThrottledError",
    "UnauthorizedError",
    "UnreachableError",
    "__version__",
]

# Tracebacks and reprs name the public module, not the private one that defines a class.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, (ImdsError, AsyncClient)):
        _obj.__module__ = __name__
del _name, _obj

# A library leaves output to the application: without this, Python's last-resort handler
# would print audit warnings (an unreachable IMDS off EC2) to stderr when nothing is set up.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
