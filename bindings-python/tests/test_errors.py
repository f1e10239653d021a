"""Each error kind, provoked against the emulator where it can be, and its exception class."""

from __future__ import annotations

import logging
import pickle

import pytest

import imds
from conftest import INSTANCE_ID, Emulator
from imds import _imds

# Each kind's class and the built-in whose meaning it shares, if any.
CLASSES: dict[str, tuple[type[imds.ImdsError], type[Exception] | None]] = {
    "invalid_input": (imds.InvalidInputError, ValueError),
    "disabled": (imds.DisabledError, None),
    "unreachable": (imds.UnreachableError, ConnectionError),
    "timeout": (imds.ImdsTimeoutError, TimeoutError),
    "bad_request": (imds.BadRequestError, None),
    "unauthorized": (imds.UnauthorizedError, None),
    "forbidden": (imds.ForbiddenError, None),
    "not_found": (imds.NotFoundError, LookupError),
    "throttled": (imds.ThrottledError, None),
    "server_error": (imds.ServerError, None),
    "invalid_response": (imds.InvalidResponseError, None),
    "response_too_large": (imds.ResponseTooLargeError, None),
    "cancelled": (imds.CancelledError, None),
    "signature_invalid": (imds.SignatureInvalidError, None),
    "credentials_error": (imds.CredentialsError, None),
    "internal": (imds.InternalError, None),
}


def test_every_core_kind_has_its_class_with_the_same_code_and_name() -> None:
    kinds = _imds.error_kinds()
    assert {name for _, name, _ in kinds} == set(CLASSES)
    for code, name, _ in kinds:
        cls, builtin = CLASSES[name]
        assert cls.code == code
        assert cls.kind == name
        assert issubclass(cls, imds.ImdsError)
        if builtin is not None:
            assert issubclass(cls, builtin)
        assert cls.__module__ == "imds"


def test_errors_survive_pickling_with_their_status() -> None:
    error = imds.NotFoundError("gone", status=404)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is imds.NotFoundError
    assert (copy.message, copy.status, copy.code) == ("gone", 404, 8)
    timeout = pickle.loads(pickle.dumps(imds.ImdsTimeoutError("slow")))
    assert isinstance(timeout, TimeoutError)
    assert str(timeout) == "slow"


def test_a_kind_newer_than_the_package_still_raises_an_imds_error() -> None:
    from imds._errors import _from_core

    error = _from_core(42, "from_the_future", None, "new")
    assert isinstance(error, imds.ImdsError)
    assert (error.code, error.kind, error.message) == (42, "from_the_future", "new")


def test_disabled_sends_nothing(emulator: Emulator) -> None:
    client = imds.Client(endpoint=emulator.endpoint, disabled=True)
    with pytest.raises(imds.DisabledError) as caught:
        client.get_metadata("instance-id")
    assert caught.value.code == 2
    assert caught.value.status is None
    assert emulator.counters()["requests"] == 0


def test_disabled_by_the_environment(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(imds.DisabledError, match="AWS_EC2_METADATA_DISABLED"):
        imds.Client(endpoint=emulator.endpoint).region()


def test_a_closed_port_is_unreachable_and_a_connection_error(closed_port: str) -> None:
    client = imds.Client(endpoint=closed_port)
    with pytest.raises(ConnectionError) as caught:
        client.get_metadata("instance-id")
    assert isinstance(caught.value, imds.UnreachableError)
    assert caught.value.code == 3
    # Remembered: the second call fails without trying again.
    with pytest.raises(imds.UnreachableError, match="remembered"):
        client.get_metadata("instance-id")


def test_an_endpoint_that_never_answers_times_out(emulator: Emulator) -> None:
    emulator.faults(never_answer=True, target="metadata")
    client = imds.Client(endpoint=emulator.endpoint, timeout=0.3, max_attempts=1)
    with pytest.raises(TimeoutError) as caught:
        client.get_metadata("instance-id")
    assert isinstance(caught.value, imds.ImdsTimeoutError)
    assert caught.value.code == 4


def test_the_call_deadline_bounds_every_retry(emulator: Emulator) -> None:
    emulator.faults(never_answer=True, target="metadata")
    client = imds.Client(endpoint=emulator.endpoint, timeout=5, max_attempts=5, deadline=0.3)
    with pytest.raises(imds.ImdsTimeoutError, match="deadline"):
        client.get_metadata("instance-id")


def test_400_is_bad_request_and_not_retried(emulator: Emulator) -> None:
    emulator.faults(error_status=400, error_count=5, target="metadata")
    with pytest.raises(imds.BadRequestError) as caught:
        imds.Client(endpoint=emulator.endpoint).get_metadata("instance-id")
    assert (caught.value.code, caught.value.status) == (5, 400)
    assert emulator.counters()["reads"] == {"400": 1}


def test_401_after_a_fresh_token_is_unauthorized(emulator: Emulator) -> None:
    emulator.faults(error_status=401, error_count=10, target="metadata")
    with pytest.raises(imds.UnauthorizedError) as caught:
        imds.Client(endpoint=emulator.endpoint).get_metadata("instance-id")
    assert (caught.value.code, caught.value.status) == (6, 401)


def test_an_endpoint_turned_off_is_forbidden(emulator: Emulator) -> None:
    emulator.mode(http_endpoint="disabled")
    with pytest.raises(imds.ForbiddenError) as caught:
        imds.Client(endpoint=emulator.endpoint).get_metadata("instance-id")
    assert (caught.value.code, caught.value.status) == (7, 403)


def test_an_absent_path_is_not_found_and_a_lookup_error(client: imds.Client) -> None:
    with pytest.raises(LookupError) as caught:
        client.get_metadata("no/such/path")
    assert isinstance(caught.value, imds.NotFoundError)
    assert (caught.value.code, caught.value.status, caught.value.kind) == (8, 404, "not_found")
    assert "no/such/path" in caught.value.message


@pytest.mark.parametrize(("status", "cls"), [(503, imds.ServerError), (429, imds.ThrottledError)])
def test_a_burst_shorter_than_the_attempts_is_retried_away(
    emulator: Emulator, status: int, cls: type[imds.ImdsError]
) -> None:
    emulator.faults(error_status=status, error_count=2, target="metadata")
    client = imds.Client(endpoint=emulator.endpoint, max_attempts=3)
    assert client.get_metadata("instance-id") == INSTANCE_ID
    assert emulator.counters()["reads"] == {str(status): 2, "200": 1}


@pytest.mark.parametrize(
    ("status", "cls", "code"), [(503, imds.ServerError, 10), (429, imds.ThrottledError, 9)]
)
def test_a_burst_longer_than_the_attempts_exhausts_them(
    emulator: Emulator, status: int, cls: type[imds.ImdsError], code: int
) -> None:
    emulator.faults(error_status=status, error_count=10, target="metadata")
    client = imds.Client(endpoint=emulator.endpoint, max_attempts=2)
    with pytest.raises(cls) as caught:
        client.get_metadata("instance-id")
    assert (caught.value.code, caught.value.status) == (code, status)
    assert emulator.counters()["reads"] == {str(status): 2}


def test_a_malformed_document_is_an_invalid_response(
    client: imds.Client, emulator: Emulator
) -> None:
    emulator.call("PUT", "/metadata/iam/info", raw=b"{not json")
    with pytest.raises(imds.InvalidResponseError) as caught:
        client.iam_info()
    assert caught.value.code == 11


def test_a_body_over_the_limit_is_too_large(emulator: Emulator) -> None:
    emulator.call("PUT", "/user-data", raw=b"x" * 1000)
    client = imds.Client(endpoint=emulator.endpoint, max_response_size=999)
    with pytest.raises(imds.ResponseTooLargeError) as caught:
        client.user_data()
    assert caught.value.code == 12
    assert client.instance_id() == INSTANCE_ID


def test_an_error_document_instead_of_credentials(client: imds.Client, emulator: Emulator) -> None:
    emulator.call("PUT", "/credentials", {"mode": "error"})
    with pytest.raises(imds.CredentialsError, match="AssumeRoleUnauthorizedAccess") as caught:
        client.credentials()
    assert caught.value.code == 15


def test_a_certificate_that_did_not_sign_the_document(
    client: imds.Client, unrelated_certificate: str
) -> None:
    with pytest.raises(imds.SignatureInvalidError) as caught:
        client.verified_identity_document(unrelated_certificate)
    assert caught.value.code == 14
    with pytest.raises(imds.SignatureInvalidError):
        client.verified_identity_document_pkcs7(unrelated_certificate)


def test_a_certificate_that_is_not_rsa_or_not_pem_is_invalid_input(
    client: imds.Client, emulator: Emulator
) -> None:
    dsa: str = emulator.call("GET", "/certificate/dsa")
    with pytest.raises(imds.InvalidInputError, match="RSA"):
        client.verified_identity_document(dsa)
    with pytest.raises(imds.InvalidInputError, match="PEM"):
        client.verified_identity_document("not a certificate")


def test_calling_the_client_from_an_audit_handler_is_refused_not_deadlocked(
    client: imds.Client,
) -> None:
    seen: list[BaseException] = []

    class Reentrant(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                client.region()
            except imds.ImdsError as error:
                seen.append(error)

    logger = logging.getLogger("imds.audit")
    handler = Reentrant()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        assert client.instance_id() == INSTANCE_ID
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert seen
    assert all(isinstance(error, imds.InternalError) for error in seen)
    assert "worker threads" in str(seen[0])
