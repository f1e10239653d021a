"""Every operation of `imds.Client` against the emulator, and the objects it returns."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import inspect
import json
import os
import re
import threading
from pathlib import Path

import pytest

import imds
from conftest import ACCOUNT, INSTANCE_ID, MAC, REGION, ROLE, ROOT, USER_DATA, ZONE, Emulator


def test_get_metadata_returns_text_with_or_without_a_leading_slash(client: imds.Client) -> None:
    assert client.get_metadata("instance-id") == INSTANCE_ID
    assert client.get_metadata("/placement/availability-zone") == ZONE


def test_get_metadata_bytes_returns_the_raw_body(client: imds.Client) -> None:
    assert client.get_metadata_bytes("instance-id") == INSTANCE_ID.encode()


def test_list_metadata_keeps_the_trailing_slash_of_directories(client: imds.Client) -> None:
    entries = client.list_metadata("")
    assert "instance-id" in entries
    assert "placement/" in entries
    assert client.list_metadata("network/interfaces/macs/") == [MAC + "/"]


def test_get_dynamic_reads_under_latest_dynamic(client: imds.Client) -> None:
    document = json.loads(client.get_dynamic("instance-identity/document"))
    assert document["instanceId"] == INSTANCE_ID


def test_user_data_is_bytes_and_none_when_absent(client: imds.Client, emulator: Emulator) -> None:
    assert client.user_data() == USER_DATA
    binary = bytes(range(256))
    emulator.call("PUT", "/user-data", raw=binary)
    assert client.user_data() == binary
    emulator.call("DELETE", "/user-data")
    assert client.user_data() is None


def test_identity_document_is_typed_frozen_and_comparable(client: imds.Client) -> None:
    document = client.identity_document()
    assert isinstance(document, imds.IdentityDocument)
    assert document.instance_id == INSTANCE_ID
    assert document.region == REGION
    assert document.availability_zone == ZONE
    assert document.account_id == ACCOUNT
    assert document.instance_type == "m5.large"
    assert document.image_id == "ami-0abcdef1234567890"
    assert document.architecture == "x86_64"
    assert document.private_ip == "172.31.16.5"
    assert document.kernel_id is None
    assert document.billing_products is None
    assert document.version == "2017-09-30"
    assert document.pending_time == dt.datetime(2024, 1, 15, 10, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(AttributeError):
        document.region = "eu-west-1"  # type: ignore[misc]
    assert document == client.identity_document()
    assert hash(document) == hash(client.identity_document())
    assert repr(document).startswith(f"IdentityDocument(instance_id='{INSTANCE_ID}'")


def test_identity_document_bytes_are_the_signed_document(client: imds.Client) -> None:
    raw = client.identity_document_bytes()
    assert json.loads(raw)["region"] == REGION


def test_region_zone_and_instance_id_helpers(client: imds.Client) -> None:
    assert client.region() == REGION
    assert client.availability_zone() == ZONE
    assert client.instance_id() == INSTANCE_ID


def test_credentials_expose_secrets_as_attributes_but_never_in_repr(client: imds.Client) -> None:
    credentials = client.credentials()
    assert credentials.role == ROLE
    assert credentials.access_key_id.startswith("ASIA")
    assert len(credentials.secret_access_key) == 40
    assert credentials.session_token
    assert credentials.expiration.tzinfo is not None
    assert credentials.expiration > dt.datetime.now(dt.timezone.utc)
    assert credentials.last_updated is not None
    shown = repr(credentials)
    assert credentials.access_key_id in shown
    assert "secret_access_key=<redacted>" in shown
    assert "session_token=<redacted>" in shown
    assert credentials.secret_access_key not in shown
    assert credentials.session_token not in shown
    assert credentials.secret_access_key not in str(credentials)
    assert credentials == client.credentials()
    assert hash(credentials) == hash(client.credentials())


def test_credentials_for_a_named_role(client: imds.Client) -> None:
    assert client.credentials_for_role(ROLE).role == ROLE
    with pytest.raises(imds.NotFoundError):
        client.credentials_for_role("no-such-role")


def test_role_name_is_the_attached_role_and_not_found_without_one(
    client: imds.Client, emulator: Emulator
) -> None:
    assert client.role_name() == ROLE
    emulator.call("PUT", "/config", {"iam_role": None})
    with pytest.raises(imds.NotFoundError, match="no IAM role"):
        client.role_name()


def test_iam_info_describes_the_instance_profile(client: imds.Client) -> None:
    info = client.iam_info()
    assert info.code == "Success"
    assert info.instance_profile_arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/{ROLE}"
    assert info.instance_profile_id == "AIPAEMULATORPROFILE01"
    assert info.last_updated is not None
    assert info.last_updated.tzinfo is not None


def test_instance_tags_say_how_to_turn_them_on_then_read_them(
    client: imds.Client, emulator: Emulator
) -> None:
    with pytest.raises(imds.NotFoundError, match="instance-metadata-tags"):
        client.instance_tags()
    emulator.call("PUT", "/tags", {"enabled": True})
    assert client.instance_tags() == {"Environment": "test", "Name": "emulator"}


def test_network_interfaces_are_typed(client: imds.Client) -> None:
    (interface,) = client.network_interfaces()
    assert interface.mac == MAC
    assert interface.device_number == 0
    assert interface.interface_id == "eni-0f1e2d3c4b5a69788"
    assert interface.local_ipv4s == ("172.31.16.5",)
    assert interface.public_ipv4s == ("54.160.10.20",)
    assert interface.ipv6s == ()
    assert interface.subnet_id == "subnet-0a1b2c3d4e5f67891"
    assert interface.subnet_ipv4_cidr_block == "172.31.16.0/20"
    assert interface.vpc_id == "vpc-0a1b2c3d4e5f67892"
    assert interface.vpc_ipv4_cidr_blocks == ("172.31.0.0/16",)
    assert interface.security_group_ids == ("sg-0a1b2c3d4e5f67890",)
    assert interface.owner_id == ACCOUNT


def test_notices_are_none_until_scheduled(client: imds.Client, emulator: Emulator) -> None:
    assert client.spot_instance_action() is None
    assert client.rebalance_recommendation() is None
    assert client.scheduled_events() == []
    assert client.autoscaling_target_state() is None

    emulator.call("POST", "/events/spot", {"action": "stop", "in_seconds": 0})
    emulator.call("POST", "/events/rebalance", {"in_seconds": 0})
    emulator.call(
        "POST",
        "/events/maintenance",
        {"code": "system-reboot", "description": "scheduled reboot", "in_seconds": 0},
    )
    emulator.call("PUT", "/autoscaling", {"state": "InService"})

    spot = client.spot_instance_action()
    assert spot is not None
    assert spot.action == "stop"
    assert spot.time.tzinfo is not None
    rebalance = client.rebalance_recommendation()
    assert rebalance is not None
    assert rebalance.notice_time.tzinfo is not None
    (event,) = client.scheduled_events()
    assert event.code == "system-reboot"
    assert event.description == "scheduled reboot"
    assert event.event_id.startswith("instance-event-")
    assert event.state == "active"
    assert event.not_after is not None
    assert event.not_before < event.not_after
    assert client.autoscaling_target_state() == "InService"


def test_verified_identity_document_checks_both_signature_forms(
    client: imds.Client, emulator: Emulator
) -> None:
    certificate = emulator.certificate()
    assert client.verified_identity_document(certificate).instance_id == INSTANCE_ID
    assert client.verified_identity_document_pkcs7(certificate).instance_id == INSTANCE_ID


def test_settings_not_given_come_from_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "5")
    with imds.Client() as client:
        assert client.endpoint == emulator.endpoint
        config = client.config()
        assert config["endpoint"][1] == "environment variable AWS_EC2_METADATA_SERVICE_ENDPOINT"
        assert config["max_attempts"] == (
            "5",
            "environment variable AWS_METADATA_SERVICE_NUM_ATTEMPTS",
        )
        assert client.instance_id() == INSTANCE_ID
    with imds.Client(max_attempts=2) as client:
        assert client.config()["max_attempts"] == ("2", "code")


def test_settings_come_from_the_named_profile_of_the_config_file(
    emulator: Emulator, tmp_path: Path
) -> None:
    config_file = tmp_path / "config"
    config_file.write_text(
        f"[default]\nmetadata_service_timeout = 3\n\n"
        f"[profile ci]\nec2_metadata_service_endpoint = {emulator.endpoint}\n"
    )
    with imds.Client(config_file=config_file, profile="ci") as client:
        assert client.endpoint == emulator.endpoint
        assert client.instance_id() == INSTANCE_ID
    with imds.Client(config_file=str(config_file), endpoint=emulator.endpoint) as client:
        assert client.config()["timeout"][0] == "3s"


# Public methods of the core's clients that have no counterpart among a Python client's
# methods: the constructors are the Python constructor, `async_client` is `AsyncClient`,
# and `run` is the entry point the binding itself calls through.
NOT_A_CLIENT_METHOD = {"builder", "from_env", "with_config", "async_client", "run"}


def core_client_methods() -> set[str]:
    """The public methods of the core's `imds::Client` and `imds::blocking::Client`."""
    methods: set[str] = set()
    for source in sorted((ROOT / "core" / "src").rglob("*.rs")):
        text = source.read_text()
        for block in re.finditer(r"^impl Client \{\n(.*?)^\}", text, re.DOTALL | re.MULTILINE):
            methods.update(
                re.findall(r"^    pub (?:async )?fn (\w+)\b", block.group(1), re.MULTILINE)
            )
    # A parse that finds nothing would make the comparison below vacuous.
    assert {"get_metadata", "credentials", "role_name", "clear_caches"} <= methods, methods
    return methods - NOT_A_CLIENT_METHOD


def test_the_client_has_every_public_method_of_the_core_client() -> None:
    missing = {
        name for name in core_client_methods() if not callable(getattr(imds.Client, name, None))
    }
    assert not missing, f"imds.Client lacks {sorted(missing)}"
    # test_async.py checks that AsyncClient has a twin of each.


# Setters of the core's builder that the binding fills in itself instead of taking them from
# the caller: audit events always go to the `imds.audit` logger.
SET_BY_THE_BINDING = {"audit_sink"}


def core_builder_setters() -> set[str]:
    """The setters of the core's `imds::Builder`, read from its source.

    A setter is a `pub fn` of an `impl Builder` block that returns the builder; `resolve`
    and `build` return something else. Reading the source means a setting added to the core
    fails the test below until the binding takes it too.
    """
    setters: set[str] = set()
    blocks = 0
    for source in sorted((ROOT / "core" / "src").rglob("*.rs")):
        text = source.read_text()
        for block in re.finditer(r"^impl Builder \{\n(.*?)^\}", text, re.DOTALL | re.MULTILINE):
            blocks += 1
            setters.update(
                re.findall(
                    r"^    pub fn (\w+)\((?:[^()]|\([^()]*\))*\)\s*->\s*(?:Builder|Self)\b",
                    block.group(1),
                    re.MULTILINE,
                )
            )
    assert blocks > 0, "no `impl Builder` block found under core/src"
    # A parse that finds nothing would make the comparison below vacuous.
    assert {"endpoint", "token_ttl", "backoff", "environment"} <= setters, setters
    return setters


@pytest.mark.parametrize("cls", [imds.Client, imds.AsyncClient], ids=lambda c: c.__name__)
def test_the_client_takes_every_setting_of_the_core_builder_as_a_keyword(cls: type) -> None:
    parameters = inspect.signature(cls).parameters.values()
    keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == core_builder_setters() - SET_BY_THE_BINDING
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)


def test_every_setting_is_accepted_as_a_keyword(emulator: Emulator) -> None:
    client = imds.Client(
        endpoint=emulator.endpoint,
        endpoint_mode="IPv6",
        token_ttl=60,
        timeout=2.5,
        connect_timeout=0.5,
        max_attempts=4,
        deadline=10.0,
        backoff=(0.0, 0.25),
        disabled=False,
        v1_fallback=True,
        v1_disabled=True,
        unreachable_memory=0.0,
        max_response_size=4096,
        cache_immutable=False,
        profile="nothing",
        config_file="/nonexistent/imds-config",
        environment={},
    )
    config = client.config()
    assert config["endpoint"] == (emulator.endpoint, "code")
    assert config["token_ttl"] == ("60s", "code")
    assert config["timeout"] == ("2.5s", "code")
    assert config["connect_timeout"] == ("0.5s", "code")
    assert config["max_attempts"] == ("4", "code")
    assert config["deadline"] == ("10s", "code")
    assert config["v1_disabled"] == ("true", "code")
    assert config["max_response_size"] == ("4096", "code")
    assert config["cache_immutable"] == ("false", "code")
    assert client.instance_id() == INSTANCE_ID
    client.close()


def test_backoff_sets_the_wait_before_a_retry(emulator: Emulator) -> None:
    # A wait drawn from up to 11 days cannot end within the 1 s deadline (the odds are one in
    # a million), so the retry is never sent: the counters show whether the wait was applied.
    emulator.faults(error_status=503, error_count=1, target="metadata")
    client = imds.Client(
        endpoint=emulator.endpoint, max_attempts=2, deadline=1.0, backoff=(1e6, 1e6)
    )
    with client, pytest.raises(imds.ImdsTimeoutError):
        client.get_metadata("hostname")
    assert emulator.counters()["reads"] == {"503": 1}

    emulator.faults(error_status=503, error_count=1, target="metadata")
    with imds.Client(endpoint=emulator.endpoint, max_attempts=2, backoff=(0, 0)) as client:
        assert client.get_metadata("instance-id") == INSTANCE_ID
    assert emulator.counters()["reads"] == {"503": 2, "200": 1}


def test_environment_replaces_the_process_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "7")
    given = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": emulator.endpoint}
    with imds.Client(environment=given) as client:
        config = client.config()
        assert config["endpoint"][1] == "environment variable AWS_EC2_METADATA_SERVICE_ENDPOINT"
        # The process variable is not read: the attempts keep their default.
        assert config["max_attempts"] == ("3", "default")
        given["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:1"
        assert client.instance_id() == INSTANCE_ID
    aio = imds.AsyncClient(endpoint=emulator.endpoint, environment=os.environ)
    try:
        assert aio.config()["max_attempts"] == (
            "7",
            "environment variable AWS_METADATA_SERVICE_NUM_ATTEMPTS",
        )
    finally:
        aio.close()
    with imds.Client(endpoint=emulator.endpoint, environment={}) as client:
        assert client.config()["max_attempts"] == ("3", "default")


def test_clear_caches_forgets_the_token(client: imds.Client, emulator: Emulator) -> None:
    client.get_metadata("hostname")
    client.clear_caches()
    client.get_metadata("hostname")
    assert emulator.counters()["token_puts"] == 2


def test_close_is_idempotent_and_later_calls_fail_clearly(emulator: Emulator) -> None:
    with imds.Client(endpoint=emulator.endpoint) as client:
        assert not client.closed
        assert client.instance_id() == INSTANCE_ID
    assert client.closed
    assert repr(client) == f"imds.Client(endpoint='{emulator.endpoint}', closed)"
    client.close()
    with pytest.raises(imds.InvalidInputError, match="closed"):
        client.instance_id()
    with pytest.raises(ValueError, match="closed"):
        client.clear_caches()


def test_closing_ends_a_call_in_flight_with_cancelled_error(emulator: Emulator) -> None:
    emulator.faults(never_answer=True, target="metadata")
    client = imds.Client(endpoint=emulator.endpoint, timeout=60, max_attempts=1)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.get_metadata("instance-id")
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=call)
    worker.start()
    emulator.wait_until_held()
    client.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    (error,) = outcome
    assert isinstance(error, imds.CancelledError)
    assert error.code == 13


def test_result_objects_cannot_be_built_or_changed_from_python(client: imds.Client) -> None:
    with pytest.raises(TypeError):
        imds.Credentials()
    credentials = client.credentials()
    with pytest.raises(AttributeError):
        credentials.secret_access_key = "x"  # type: ignore[misc]


def test_the_package_version_is_the_core_version() -> None:
    assert imds.__version__ == importlib.metadata.version("imds")
    assert re.fullmatch(r"\d+\.\d+\.\d+", imds.__version__)
