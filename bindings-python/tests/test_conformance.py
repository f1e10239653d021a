"""The Python runner of the language-neutral conformance scenarios in `tests/conformance/`.

Every scenario file becomes one test, run through the public `imds` API against a fresh
emulator process, with the checks of the reference runner (`core/tests/conformance.rs`).
The format is `tests/conformance/README.md`. Anything the runner does not know (a step
type, an expectation, a setting, a counter, a key) fails the scenario with
`ScenarioFormatError`, so a new kind of scenario is never passed by being skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import imds
from conftest import ROOT, Emulator, closed_port_endpoint

SCENARIO_DIR = ROOT / "tests" / "conformance"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.json"))

# What a scenario may say, by where it says it (tests/conformance/README.md).
SCENARIO_KEYS = {"description", "emulator", "client", "steps", "counters"}
EMULATOR_KEYS = {"config", "mode", "faults", "credentials", "user_data"}
CLIENT_KEYS = {"settings", "env", "profile", "endpoint_from"}
ADMIN_KEYS = {"method", "path", "body"}
COUNTER_KEYS = {"token_puts", "token_rejected", "requests", "reads"}
ERROR_KEYS = {"error", "status", "message_contains"}
VALUE_KEYS = {"value", "contains", "fields", "prefix", "none", "count", "save", "same", "differs"}

# The emulator set-up keys that are a PUT of their object, and where it goes.
EMULATOR_PUTS = {
    "config": "/config",
    "mode": "/mode",
    "faults": "/faults",
    "credentials": "/credentials",
}

# Settings by their core names, grouped by the JSON type each one takes.
SECONDS_SETTINGS = {"token_ttl", "timeout", "connect_timeout"}
COUNT_SETTINGS = {"max_attempts", "max_response_size"}
FLAG_SETTINGS = {"disabled", "cache_immutable", "v1_fallback", "v1_disabled"}
TEXT_SETTINGS = {"endpoint_mode"}

# Every exception class of the package by its kind, to check that the error a Python user
# catches is the class of the kind the core reported.
ERROR_CLASSES: dict[str, type[imds.ImdsError]] = {
    cls.kind: cls
    for cls in vars(imds).values()
    if isinstance(cls, type) and issubclass(cls, imds.ImdsError) and cls is not imds.ImdsError
}


class ScenarioFormatError(Exception):
    """The scenario says something this runner does not understand: fix one or the other."""


@dataclass(frozen=True)
class Outcome:
    """What a call did: a plain JSON-like value, or the error it raised."""

    value: Any = None
    error: imds.ImdsError | None = None


def test_the_scenario_directory_holds_the_scenarios() -> None:
    # An empty parameter list would make pytest skip the runner instead of failing it.
    assert len(SCENARIOS) >= 25, f"scenarios missing from {SCENARIO_DIR}: {len(SCENARIOS)}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_scenario_behaves_as_specified(
    path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_scenario(_load(path), emulator, monkeypatch, tmp_path)


def run_scenario(
    scenario: dict[str, Any], emulator: Emulator, monkeypatch: pytest.MonkeyPatch, directory: Path
) -> None:
    """Runs one scenario; AssertionError when the client misbehaves."""
    _only(scenario, SCENARIO_KEYS, "scenario")
    _text(scenario.get("description", ""), "description")
    _set_up_emulator(emulator, _object(scenario.get("emulator", {}), "emulator"))
    factory = ClientFactory(_object(scenario.get("client", {}), "client"), emulator, directory)

    steps = scenario.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioFormatError("`steps` must be a non-empty list")

    try:
        client = factory.build(monkeypatch, {}, "config")
    except imds.ImdsError as error:
        pytest.fail(f"the scenario's client did not build: {error.kind}: {error}")
    with client:
        saved: dict[str, Any] = {}
        for index, step in enumerate(steps):
            try:
                _run_step(index, _object(step, f"step {index}"), client, emulator, factory, saved)
            except AssertionError as failure:
                raise AssertionError(f"step {index} {json.dumps(step)[:200]}: {failure}") from None

    if "counters" in scenario:
        _check_counters(_object(scenario["counters"], "counters"), emulator.counters())


def _load(path: Path) -> dict[str, Any]:
    try:
        scenario = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ScenarioFormatError(f"{path.name} is not JSON: {error}") from None
    checked = _object(scenario, path.name)
    _only(checked, SCENARIO_KEYS, path.name)
    return checked


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioFormatError(f"{where} must be an object, not {json.dumps(value)}")
    return value


def _only(obj: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = set(obj) - known
    if unknown:
        raise ScenarioFormatError(
            f"{where}: unknown key(s) {sorted(unknown)}; this runner knows {sorted(known)}"
        )


def _set_up_emulator(emulator: Emulator, setup: dict[str, Any]) -> None:
    _only(setup, EMULATOR_KEYS, "emulator")
    for key, route in EMULATOR_PUTS.items():
        if key in setup:
            emulator.call("PUT", route, _object(setup[key], f"emulator.{key}"))
    if "user_data" in setup:
        if setup["user_data"] is not None:
            raise ScenarioFormatError("emulator.user_data can only be null (no user-data)")
        emulator.call("DELETE", "/user-data")


class ClientFactory:
    """Builds clients the way a scenario's `client` section (or a `build` step) says."""

    def __init__(self, spec: dict[str, Any], emulator: Emulator, directory: Path) -> None:
        _only(spec, CLIENT_KEYS, "client")
        self.spec = spec
        self.emulator = emulator
        self.directory = directory

    def build(
        self, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], profile_name: str
    ) -> imds.Client:
        """A client from the scenario's options, each replaced by the override if given.

        The process environment is the one the core reads: it is left holding exactly the
        client's variables, and `monkeypatch` restores the previous one when undone.
        """
        _only(overrides, CLIENT_KEYS, "build")
        options = {**self.spec, **overrides}
        endpoint_from = options.get("endpoint_from", "code")
        profile = _text(options.get("profile", ""), "profile")
        env = {
            name: _text(value, f"env.{name}")
            for name, value in _object(options.get("env", {}), "env").items()
        }
        # The settings as keyword arguments of imds.Client, and the endpoint when set in code.
        keywords = {
            name: _setting(name, value)
            for name, value in _object(options.get("settings", {}), "settings").items()
        }

        endpoint = self.emulator.endpoint
        if endpoint_from == "code":
            keywords["endpoint"] = endpoint
        elif endpoint_from == "env":
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint
        elif endpoint_from == "profile":
            if "[default]" not in profile:
                profile += "\n[default]\n"
            profile = profile.replace(
                "[default]\n", f"[default]\nec2_metadata_service_endpoint = {endpoint}\n", 1
            )
        elif endpoint_from == "closed_port":
            keywords["endpoint"] = closed_port_endpoint()
        elif endpoint_from == "silent":
            self.emulator.faults(never_answer=True)
            keywords["endpoint"] = endpoint
        elif endpoint_from != "none":
            raise ScenarioFormatError(f"unknown endpoint_from {json.dumps(endpoint_from)}")

        profile_file = self.directory / profile_name
        profile_file.write_text(profile, encoding="utf-8")
        env["AWS_CONFIG_FILE"] = str(profile_file)
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return imds.Client(**keywords)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ScenarioFormatError(f"{where} must be a string, not {json.dumps(value)}")
    return value


def _setting(name: str, value: Any) -> Any:
    """The keyword argument for a setting, after checking the JSON type it must have."""
    if name in SECONDS_SETTINGS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ScenarioFormatError(f"setting {name} must be a number of seconds")
    if name in COUNT_SETTINGS:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ScenarioFormatError(f"setting {name} must be a non-negative integer")
    if name in FLAG_SETTINGS:
        if isinstance(value, bool):
            return value
        raise ScenarioFormatError(f"setting {name} must be true or false")
    if name in TEXT_SETTINGS:
        return _text(value, f"setting {name}")
    raise ScenarioFormatError(f"unknown setting {name}")


def _run_step(
    index: int,
    step: dict[str, Any],
    client: imds.Client,
    emulator: Emulator,
    factory: ClientFactory,
    saved: dict[str, Any],
) -> None:
    if "sleep" in step:
        _only(step, {"sleep"}, f"step {index}")
        seconds = step["sleep"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ScenarioFormatError(f"step {index}: sleep must be a non-negative number")
        time.sleep(seconds)
    elif "admin" in step:
        _only(step, {"admin"}, f"step {index}")
        _admin(emulator, _object(step["admin"], f"step {index} admin"))
    elif "build" in step:
        _only(step, {"build", "expect"}, f"step {index}")
        options = _object(step["build"], f"step {index} build")
        # The scenario's own client keeps the environment it was built with: undo this one.
        with pytest.MonkeyPatch.context() as monkeypatch:
            try:
                built = factory.build(monkeypatch, options, f"config-step-{index}")
            except imds.ImdsError as error:
                outcome = Outcome(error=error)
            else:
                built.close()
                outcome = Outcome(value="built")
        _check(_object(step.get("expect", {}), "expect"), outcome, saved)
    elif "call" in step:
        _only(step, {"call", "args", "expect", "repeat"}, f"step {index}")
        name = _text(step["call"], f"step {index} call")
        args = step.get("args", [])
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
            raise ScenarioFormatError(f"step {index}: args must be a list of strings")
        repeat = step.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise ScenarioFormatError(f"step {index}: repeat must be a positive integer")
        expect = _object(step.get("expect", {}), "expect")
        for attempt in range(repeat):
            try:
                _check(expect, _call(client, name, args, emulator), saved)
            except AssertionError as failure:
                raise AssertionError(f"{name}, call {attempt + 1} of {repeat}: {failure}") from None
    else:
        raise ScenarioFormatError(f"step {index}: unknown step type {sorted(step)}")


def _admin(emulator: Emulator, request: dict[str, Any]) -> None:
    _only(request, ADMIN_KEYS, "admin")
    method = _text(request.get("method"), "admin.method")
    path = _text(request.get("path"), "admin.path")
    if "body" not in request:
        emulator.call(method, path)
        return
    body = request["body"]
    # A string is sent as it is (it may be deliberately broken JSON); anything else as JSON.
    raw = body if isinstance(body, str) else json.dumps(body)
    emulator.call(method, path, raw=raw.encode())


# --- calls, and their results as plain values ------------------------------------------------


def _time(value: dt.datetime) -> str:
    """RFC 3339 in UTC, as the core's `format_time` writes it (no trailing zero digits)."""
    utc = value.astimezone(dt.timezone.utc)
    fraction = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _user_data(client: imds.Client) -> Any:
    data = client.user_data()
    return None if data is None else data.decode("utf-8", errors="replace")


def _identity_document(client: imds.Client) -> Any:
    return _document(client.identity_document())


def _document(d: imds.IdentityDocument) -> Any:
    return {
        "account_id": d.account_id,
        "architecture": d.architecture,
        "availability_zone": d.availability_zone,
        "image_id": d.image_id,
        "instance_id": d.instance_id,
        "instance_type": d.instance_type,
        "private_ip": d.private_ip,
        "region": d.region,
        "version": d.version,
    }


def _credentials(c: imds.Credentials) -> Any:
    # The secret key and session token are never projected: nothing may compare or print them.
    return {"role": c.role, "access_key_id": c.access_key_id, "expiration": _time(c.expiration)}


def _iam_info(client: imds.Client) -> Any:
    i = client.iam_info()
    return {
        "code": i.code,
        "instance_profile_arn": i.instance_profile_arn,
        "instance_profile_id": i.instance_profile_id,
    }


def _spot_instance_action(client: imds.Client) -> Any:
    action = client.spot_instance_action()
    return None if action is None else {"action": action.action, "time": _time(action.time)}


def _scheduled_events(client: imds.Client) -> Any:
    return [
        {"code": e.code, "event_id": e.event_id, "state": e.state}
        for e in client.scheduled_events()
    ]


def _network_interfaces(client: imds.Client) -> Any:
    return [
        {
            "mac": i.mac,
            "device_number": i.device_number,
            "interface_id": i.interface_id,
            "local_ipv4s": list(i.local_ipv4s),
            "subnet_id": i.subnet_id,
            "vpc_id": i.vpc_id,
        }
        for i in client.network_interfaces()
    ]


def _rebalance_recommendation(client: imds.Client) -> Any:
    notice = client.rebalance_recommendation()
    return None if notice is None else {"notice_time": _time(notice.notice_time)}


def _verified_identity_document(client: imds.Client, emulator: Emulator) -> Any:
    # Verified with the certificate the emulator signs with, as a user would with AWS's.
    return _document(client.verified_identity_document(emulator.certificate()))


Call = Callable[[imds.Client, list[str], Emulator], Any]

# Each call of the format: how many string arguments it takes, and how to make it.
CALLS: dict[str, tuple[int, Call]] = {
    "get_metadata": (1, lambda c, a, _: c.get_metadata(a[0])),
    "list_metadata": (1, lambda c, a, _: c.list_metadata(a[0])),
    "get_dynamic": (1, lambda c, a, _: c.get_dynamic(a[0])),
    "user_data": (0, lambda c, _a, _e: _user_data(c)),
    "identity_document": (0, lambda c, _a, _e: _identity_document(c)),
    "region": (0, lambda c, _a, _e: c.region()),
    "credentials": (0, lambda c, _a, _e: _credentials(c.credentials())),
    "iam_info": (0, lambda c, _a, _e: _iam_info(c)),
    "instance_tags": (0, lambda c, _a, _e: c.instance_tags()),
    "spot_instance_action": (0, lambda c, _a, _e: _spot_instance_action(c)),
    "scheduled_events": (0, lambda c, _a, _e: _scheduled_events(c)),
    "instance_id": (0, lambda c, _a, _e: c.instance_id()),
    "availability_zone": (0, lambda c, _a, _e: c.availability_zone()),
    "credentials_for_role": (1, lambda c, a, _: _credentials(c.credentials_for_role(a[0]))),
    "network_interfaces": (0, lambda c, _a, _e: _network_interfaces(c)),
    "rebalance_recommendation": (0, lambda c, _a, _e: _rebalance_recommendation(c)),
    "autoscaling_target_state": (0, lambda c, _a, _e: c.autoscaling_target_state()),
    "verified_identity_document": (0, lambda c, _a, e: _verified_identity_document(c, e)),
}


def _call(client: imds.Client, name: str, args: list[str], emulator: Emulator) -> Outcome:
    if name not in CALLS:
        raise ScenarioFormatError(f"unknown call {name}; this runner knows {sorted(CALLS)}")
    arity, invoke = CALLS[name]
    if len(args) != arity:
        raise ScenarioFormatError(f"{name} takes {arity} argument(s), the step gives {len(args)}")
    # Only the package's own errors are outcomes; anything else (a TypeError, a crash of the
    # binding) propagates and fails the scenario as the bug it is.
    try:
        return Outcome(value=invoke(client, args, emulator))
    except imds.ImdsError as error:
        return Outcome(error=error)


# --- expectations ----------------------------------------------------------------------------


def _same_json(a: Any, b: Any) -> bool:
    """Equality of JSON values as serde_json has it: true is not 1, and 1 is not 1.0."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _check(expect: dict[str, Any], outcome: Outcome, saved: dict[str, Any]) -> None:
    if "error" in expect:
        _check_error(expect, outcome)
    else:
        _check_value(expect, outcome, saved)


def _check_error(expect: dict[str, Any], outcome: Outcome) -> None:
    _only(expect, ERROR_KEYS, "an error expectation")
    kind = _text(expect["error"], "expect.error")
    error = outcome.error
    if error is None:
        raise AssertionError(f"expected error {kind}, got {json.dumps(outcome.value)}")
    if error.kind != kind:
        raise AssertionError(f"expected error {kind}, got {error.kind}: {error}")
    if kind not in ERROR_CLASSES:
        raise AssertionError(f"the imds package has no exception class for kind {kind}")
    if not isinstance(error, ERROR_CLASSES[kind]):
        raise AssertionError(f"{kind} raised as {type(error).__name__}")
    if "status" in expect:
        status = expect["status"]
        if isinstance(status, bool) or not isinstance(status, int):
            raise ScenarioFormatError("expect.status must be an integer")
        if error.status != status:
            raise AssertionError(f"expected status {status}, got {error.status}: {error}")
    if "message_contains" in expect:
        text = _text(expect["message_contains"], "expect.message_contains")
        if text not in error.message:
            raise AssertionError(f"the message lacks {text!r}: {error.message}")


def _check_value(expect: dict[str, Any], outcome: Outcome, saved: dict[str, Any]) -> None:
    misplaced = set(expect) & (ERROR_KEYS - {"error"})
    if misplaced:
        raise ScenarioFormatError(f"{sorted(misplaced)} without `error`")
    _only(expect, VALUE_KEYS, "expect")
    if outcome.error is not None:
        raise AssertionError(f"unexpected error {outcome.error.kind}: {outcome.error}")
    value = outcome.value
    # Comparisons with remembered values come before remembering, so a step can both check
    # a field against an earlier one and remember it for a later one.
    for key, wanted in expect.items():
        if key != "save" and not _meets(key, wanted, value, saved):
            raise AssertionError(
                f"expectation {key}: {json.dumps(wanted)} not met by {json.dumps(value)}"
            )
    for field, name in _object(expect.get("save", {}), "expect.save").items():
        saved[_text(name, "expect.save name")] = _field(value, field)


def _meets(key: str, wanted: Any, value: Any, saved: dict[str, Any]) -> bool:
    if key == "value":
        return _same_json(value, wanted)
    if key == "contains":
        if isinstance(value, list):
            return any(_same_json(item, wanted) for item in value)
        return isinstance(value, str) and isinstance(wanted, str) and wanted in value
    if key == "fields":
        fields = _object(wanted, "expect.fields").items()
        return isinstance(value, dict) and all(
            field in value and _same_json(value[field], v) for field, v in fields
        )
    if key == "prefix":
        prefixes = _object(wanted, "expect.prefix").items()
        return isinstance(value, dict) and all(
            isinstance(value.get(field), str)
            and value[field].startswith(_text(p, "expect.prefix value"))
            for field, p in prefixes
        )
    if key == "none":
        if not isinstance(wanted, bool):
            raise ScenarioFormatError("expect.none must be true or false")
        return (value is None) == wanted
    if key == "count":
        if isinstance(wanted, bool) or not isinstance(wanted, int):
            raise ScenarioFormatError("expect.count must be an integer")
        return isinstance(value, list) and len(value) == wanted
    if key in ("same", "differs"):
        for field, name in _object(wanted, f"expect.{key}").items():
            name = _text(name, f"expect.{key} name")
            if name not in saved:
                raise ScenarioFormatError(f"expect.{key}: nothing was saved as {name!r}")
            if _same_json(_field(value, field), saved[name]) != (key == "same"):
                return False
        return True
    raise ScenarioFormatError(f"unknown expectation {key}")


def _field(value: Any, field: str) -> Any:
    if not isinstance(value, dict) or field not in value:
        raise AssertionError(f"the result has no field {field!r}: {json.dumps(value)}")
    return value[field]


def _check_counters(expected: dict[str, Any], counters: dict[str, Any]) -> None:
    _only(expected, COUNTER_KEYS, "counters")
    wrong = []
    for key, wanted in expected.items():
        if key == "reads":
            reads = counters.get("reads", {})
            for status, count in _object(wanted, "counters.reads").items():
                got = reads.get(status, 0)
                if not _same_json(got, count):
                    wrong.append(f"reads[{status}]: expected {count}, got {got}")
        elif key not in counters or not _same_json(counters[key], wanted):
            wrong.append(f"{key}: expected {wanted}, got {counters.get(key)}")
    if wrong:
        raise AssertionError(f"emulator counters {json.dumps(counters)}: " + "; ".join(wrong))


def test_times_are_projected_as_the_core_formats_them() -> None:
    utc = dt.timezone.utc
    assert _time(dt.datetime(2019, 1, 21, 9, 0, 43, tzinfo=utc)) == "2019-01-21T09:00:43Z"
    assert _time(dt.datetime(2019, 1, 21, 9, 0, 43, 250000, tzinfo=utc)) == (
        "2019-01-21T09:00:43.25Z"
    )
    east = dt.timezone(dt.timedelta(hours=2))
    assert _time(dt.datetime(2019, 1, 21, 11, 0, 43, tzinfo=east)) == "2019-01-21T09:00:43Z"


# --- the runner itself: it must be able to fail, and refuse what it does not know ---------------


def _scenario(name: str) -> dict[str, Any]:
    return _load(SCENARIO_DIR / f"{name}.json")


def _broken_region_value() -> dict[str, Any]:
    scenario = _scenario("typed_calls_read_the_default_instance")
    [step] = [step for step in scenario["steps"] if step.get("call") == "region"]
    step["expect"]["value"] = "eu-west-1"
    return scenario


def _broken_error_kind() -> dict[str, Any]:
    scenario = _scenario("not_found_is_not_retried")
    scenario["steps"][0]["expect"]["error"] = "timeout"
    return scenario


def _broken_error_status() -> dict[str, Any]:
    scenario = _scenario("not_found_is_not_retried")
    scenario["steps"][0]["expect"]["status"] = 410
    return scenario


def _broken_counter() -> dict[str, Any]:
    scenario = _scenario("token_is_fetched_once_and_reused")
    scenario["counters"]["token_puts"] = 2
    return scenario


def _broken_read_count() -> dict[str, Any]:
    scenario = _scenario("server_error_burst_is_retried")
    scenario["counters"]["reads"]["503"] = 3
    return scenario


def _success_expected_to_fail() -> dict[str, Any]:
    return {"steps": [{"call": "region", "expect": {"error": "not_found"}}]}


def _failure_expected_to_succeed() -> dict[str, Any]:
    return {"steps": [{"call": "get_metadata", "args": ["nothing-here"], "expect": {}}]}


def _wrong_same_field() -> dict[str, Any]:
    return {
        "steps": [
            {"call": "credentials", "expect": {"save": {"role": "role"}}},
            {"call": "credentials", "expect": {"same": {"access_key_id": "role"}}},
        ]
    }


@pytest.mark.parametrize(
    ("scenario", "complaint"),
    [
        pytest.param(_broken_region_value, "expectation value", id="broken-region-value"),
        pytest.param(
            _broken_error_kind, "expected error timeout, got not_found", id="broken-error-kind"
        ),
        pytest.param(
            _broken_error_status, "expected status 410, got 404", id="broken-error-status"
        ),
        pytest.param(_broken_counter, "token_puts: expected 2, got 1", id="broken-counter"),
        pytest.param(
            _broken_read_count, r"reads\[503\]: expected 3, got 2", id="broken-read-count"
        ),
        pytest.param(
            _success_expected_to_fail,
            "expected error not_found, got",
            id="success-expected-to-fail",
        ),
        pytest.param(
            _failure_expected_to_succeed,
            "unexpected error not_found",
            id="failure-expected-to-succeed",
        ),
        pytest.param(_wrong_same_field, "expectation same", id="wrong-same-field"),
    ],
)
def test_runner_fails_a_scenario_the_client_does_not_meet(
    scenario: Callable[[], dict[str, Any]],
    complaint: str,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        run_scenario(scenario(), emulator, monkeypatch, tmp_path)


@pytest.mark.parametrize(
    ("scenario", "complaint"),
    [
        pytest.param({"steps": [{"wait": 1}]}, "unknown step type", id="unknown-step-type"),
        pytest.param(
            {"steps": [{"call": "region", "retries": 2}]}, "unknown key", id="unknown-step-key"
        ),
        pytest.param({"steps": [{"call": "instance_colour"}]}, "unknown call", id="unknown-call"),
        pytest.param(
            {"steps": [{"call": "get_metadata"}]}, "takes 1 argument", id="missing-argument"
        ),
        pytest.param(
            {"steps": [{"call": "region", "expect": {"equals": "x"}}]},
            "unknown key",
            id="unknown-expectation",
        ),
        pytest.param(
            {"steps": [{"call": "region", "expect": {"status": 404}}]},
            "without `error`",
            id="status-without-error",
        ),
        pytest.param({"steps": [{"call": "region", "repeat": 0}]}, "repeat", id="zero-repeat"),
        pytest.param(
            {"steps": [{"call": "region", "expect": {"same": {"x": "y"}}}]},
            "nothing was saved",
            id="comparison-with-nothing-saved",
        ),
        pytest.param(
            {"steps": [{"admin": {"method": "GET", "path": "/state", "x": 1}}]},
            "unknown key",
            id="unknown-admin-key",
        ),
        pytest.param({"steps": [{"sleep": "1"}]}, "sleep", id="sleep-not-a-number"),
        pytest.param(
            {"steps": [{"build": {"settings": {"retries": 3}}}]},
            "unknown setting",
            id="unknown-setting",
        ),
        pytest.param(
            {"steps": [{"build": {"settings": {"timeout": True}}}]},
            "number of seconds",
            id="setting-of-the-wrong-type",
        ),
        pytest.param({"steps": [{"build": {"hooks": []}}]}, "unknown key", id="unknown-build-key"),
        pytest.param(
            {"client": {"endpoint_from": "dns"}, "steps": [{"call": "region"}]},
            "endpoint_from",
            id="unknown-endpoint-source",
        ),
        pytest.param(
            {"client": {"retries": 1}, "steps": [{"call": "region"}]},
            "unknown key",
            id="unknown-client-key",
        ),
        pytest.param(
            {"emulator": {"tags": {}}, "steps": [{"call": "region"}]},
            "unknown key",
            id="unknown-emulator-key",
        ),
        pytest.param(
            {"emulator": {"user_data": "x"}, "steps": [{"call": "region"}]},
            "only be null",
            id="user-data-not-null",
        ),
        pytest.param(
            {"steps": [{"call": "region"}], "counters": {"tokens": 1}},
            "unknown key",
            id="unknown-counter",
        ),
        pytest.param(
            {"steps": [{"call": "region"}], "teardown": []},
            "unknown key",
            id="unknown-scenario-key",
        ),
        pytest.param({"steps": []}, "non-empty", id="no-steps"),
    ],
)
def test_runner_refuses_a_scenario_it_does_not_understand(
    scenario: dict[str, Any],
    complaint: str,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with pytest.raises(ScenarioFormatError, match=complaint):
        run_scenario(scenario, emulator, monkeypatch, tmp_path)
