"""Bad input: a clear error of the right kind, and nothing sent."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

import imds
from conftest import Emulator

PATH_OPERATIONS: list[Callable[[imds.Client, Any], object]] = [
    imds.Client.get_metadata,
    imds.Client.get_metadata_bytes,
    imds.Client.list_metadata,
    imds.Client.get_dynamic,
    imds.Client.credentials_for_role,
    imds.Client.verified_identity_document,
    imds.Client.verified_identity_document_pkcs7,
]


@pytest.mark.parametrize("operation", PATH_OPERATIONS)
@pytest.mark.parametrize("path", [42, b"instance-id", None, ["instance-id"]])
def test_a_path_that_is_not_str_is_a_type_error(
    client: imds.Client, emulator: Emulator, operation: Callable[..., object], path: object
) -> None:
    with pytest.raises(TypeError):
        operation(client, path)
    assert emulator.counters()["requests"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "instance-id\n",
        "instance-id\r\nX-Injected: 1",
        "instance\x00id",
        "instance id",
        "../../etc/passwd",
        "a//b",
        "instance-id?x=1",
        "http://169.254.169.254/latest/meta-data/",
        "%2e%2e/",
        "é",
        "a" * 2000,
    ],
)
def test_a_malformed_path_is_invalid_input_and_nothing_is_sent(
    client: imds.Client, emulator: Emulator, path: str
) -> None:
    with pytest.raises(imds.InvalidInputError) as caught:
        client.get_metadata(path)
    assert caught.value.code == 1
    assert isinstance(caught.value, ValueError)
    with pytest.raises(imds.InvalidInputError):
        client.get_dynamic(path)
    assert emulator.counters()["requests"] == 0


@pytest.mark.parametrize("ttl", [0, -1, 21601, 1.5, math.nan, math.inf])
def test_a_token_ttl_outside_1_to_21600_whole_seconds_is_refused(ttl: float) -> None:
    with pytest.raises(imds.InvalidInputError, match="token_ttl"):
        imds.Client(endpoint="http://127.0.0.1:1", token_ttl=ttl)


@pytest.mark.parametrize("ttl", [1, 21600, 300.0])
def test_a_token_ttl_at_the_bounds_is_accepted(emulator: Emulator, ttl: float) -> None:
    with imds.Client(endpoint=emulator.endpoint, token_ttl=ttl) as client:
        assert client.region() == "us-east-1"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", 21),
        ("max_attempts", -1),
        ("max_attempts", 2**40),
        ("timeout", 0),
        ("timeout", -0.5),
        ("connect_timeout", math.nan),
        ("deadline", 0),
        ("backoff", (-0.1, 1.0)),
        ("backoff", (0.1, math.inf)),
        ("backoff", (2.0, 1.0)),
        ("backoff", (0.1,)),
        ("backoff", (0.1, 0.2, 0.3)),
        ("unreachable_memory", -1),
        ("max_response_size", 0),
        ("max_response_size", -5),
        ("endpoint", "not a url"),
        ("endpoint", "ftp://127.0.0.1"),
        ("endpoint_mode", "IPv5"),
    ],
)
def test_an_out_of_range_setting_is_invalid_input_naming_it(setting: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"endpoint": "http://127.0.0.1:1", setting: value}
    with pytest.raises(imds.InvalidInputError) as caught:
        imds.Client(**kwargs)
    assert setting.split("_")[0] in str(caught.value)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("disabled", "yes"),
        ("max_attempts", 2.5),
        ("timeout", "1"),
        ("endpoint", 80),
        ("config_file", 3),
        ("backoff", 0.5),
        ("backoff", ("0.1", "1")),
        ("environment", ["AWS_PROFILE=ci"]),
        ("environment", {"AWS_METADATA_SERVICE_NUM_ATTEMPTS": 3}),
        ("environment", {3: "3"}),
    ],
)
def test_a_setting_of_the_wrong_type_is_a_type_error(setting: str, value: Any) -> None:
    with pytest.raises(TypeError):
        imds.Client(**{setting: value})


def test_a_bad_environment_value_is_named_by_its_type_only() -> None:
    with pytest.raises(TypeError, match="str and bytes") as caught:
        imds.Client(environment={"AWS_SECRET_ACCESS_KEY": b"wJalrXUtnFEMI"})  # type: ignore[dict-item]
    assert "wJalrXUtnFEMI" not in str(caught.value)


def test_settings_are_keyword_only_and_unknown_ones_are_refused() -> None:
    with pytest.raises(TypeError):
        imds.Client("http://127.0.0.1:1")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        imds.Client(endpiont="http://127.0.0.1:1")  # type: ignore[call-arg]


def test_a_bad_setting_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "many")
    with pytest.raises(imds.InvalidInputError, match="AWS_METADATA_SERVICE_NUM_ATTEMPTS"):
        imds.Client()
