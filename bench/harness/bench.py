"""The benchmark harness: runs every client on every workload against one emulator, then
writes the table (Markdown and JSON) and the plot to bench/results/.

    python bench.py run            # the full run (BENCH_QUICK=1 for a smoke run)
    python bench.py soak           # one client hammered for SOAK_MINUTES

Each client is one entry in CLIENTS: a command line speaking the runner protocol of
bench/README.md and a probe saying whether it is built. A client whose probe fails is
reported as "not available" with the reason, never as a failure of the run.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
BUILD = BENCH / ".build"
PEERS = BENCH / ".peers"
RESULTS = BENCH / "results"
VENV_PY = PEERS / "venv" / "bin" / "python"
EMULATOR = Path(
    os.environ.get("IMDS_BENCH_EMULATOR", ROOT / "target" / "release" / "imds-emulator")
)
READ_PATH = "/latest/meta-data/local-ipv4"

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
# Full run: ~15 minutes on 2 cores. Quick: a 1-2 minute smoke run of every code path.
REPS = int(os.environ.get("BENCH_REPS", "1" if QUICK else "3"))
DURATION_MS = int(os.environ.get("BENCH_DURATION_MS", "400" if QUICK else "2000"))
CONCURRENCY = (1, 16) if QUICK else (1, 4, 16, 64)
COLD_LAUNCHES = 2 if QUICK else 5
REFUSED_CALLS = 6 if QUICK else 11
SILENT_CALLS = 2 if QUICK else 4
RUN_TIMEOUT_S = 180


# ---------------------------------------------------------------------------------------
# Clients


@dataclass
class Client:
    """One client under test: a runner command line and a probe for its build."""

    name: str
    language: str
    kind: str  # "ours", "peer" or "limit"
    argv: list[str]
    probe: Callable[[], str | None]
    workloads: frozenset[str] = frozenset({"read", "creds", "cold", "offline"})
    target: str = "emulator"  # or "nginx": the same bytes from a reference server
    note: str = ""

    @property
    def label(self) -> str:
        suffix = "@nginx" if self.target == "nginx" else ""
        return f"{self.language}/{self.name}{suffix}"


def needs_file(path: Path, what: str) -> Callable[[], str | None]:
    return lambda: None if path.exists() else f"{what} not built ({path.relative_to(ROOT)})"


def needs_python_module(module: str, what: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        if not VENV_PY.exists():
            return "bench venv missing (run make bench)"
        ok = subprocess.run(
            [str(VENV_PY), "-c", f"import {module}"], capture_output=True, check=False
        )
        return None if ok.returncode == 0 else f"{what} not installed in the bench venv"

    return probe


def needs_program(program: str) -> Callable[[], str | None]:
    return lambda: None if shutil.which(program) else f"{program} not installed"


RUST_BIN = BUILD / "rust" / "release" / "imds-bench-rust"
GO_BIN = BUILD / "go" / "imds-bench-go"
GO_IMDS_BIN = BUILD / "go" / "imds-bench-go-imds"
C_BIN = BUILD / "c" / "imds-bench-c"
JAVA_IMDS_JAR = BUILD / "java" / "imds.jar"
JAVA_CP_FILE = BUILD / "java" / "classpath.txt"
JAVA_CLASSES = BUILD / "java" / "target" / "classes"
PY_RUNNER = BENCH / "python" / "runner.py"


def java_argv() -> list[str]:
    cp = JAVA_CP_FILE.read_text().strip() if JAVA_CP_FILE.exists() else ""
    # Our jar is a system-scoped dependency, which build-classpath lists only when it was built.
    jar = f":{JAVA_IMDS_JAR}" if JAVA_IMDS_JAR.exists() and str(JAVA_IMDS_JAR) not in cp else ""
    return ["java", "-cp", f"{JAVA_CLASSES}:{cp}{jar}", "bench.Runner"]


def rust(name: str, kind: str, note: str = "", **kw: object) -> Client:
    return Client(
        name,
        "rust",
        kind,
        [str(RUST_BIN), name],
        needs_file(RUST_BIN, "Rust runner"),
        note=note,
        **kw,
    )  # type: ignore[arg-type]


def python(name: str, kind: str, module: str) -> Client:
    return Client(
        name,
        "python",
        kind,
        [str(VENV_PY), str(PY_RUNNER), name],
        needs_python_module(module, name),
    )


READ_ONLY = frozenset({"read"})

# Adding a language's binding is one entry here (and its runner, see bench/README.md).
CLIENTS: list[Client] = [
    rust("core-async", "ours"),
    rust("core-blocking", "ours"),
    rust("aws-config", "peer"),
    python("imds", "ours", "imds"),
    python("botocore", "peer", "botocore"),
    python("ec2-metadata", "peer", "ec2_metadata"),
    Client(
        "imds",
        "go",
        "ours",
        [str(GO_IMDS_BIN), "imds"],
        needs_file(GO_IMDS_BIN, "Go runner over the release libimds.a"),
    ),
    Client(
        "aws-sdk-go-v2",
        "go",
        "peer",
        [str(GO_BIN), "aws-sdk-go-v2"],
        needs_file(GO_BIN, "Go runner"),
    ),
    Client(
        "imds",
        "java",
        "ours",
        [*java_argv(), "imds"],
        lambda: (
            needs_file(JAVA_IMDS_JAR, "our jar")()
            or needs_file(JAVA_CLASSES / "bench" / "ImdsSubject.class", "Java runner")()
        ),
    ),
    Client(
        "awssdk-java-v2",
        "java",
        "peer",
        [*java_argv(), "awssdk-java-v2"],
        needs_file(JAVA_CLASSES / "bench" / "Runner.class", "Java runner"),
    ),
    Client(
        "imds",
        "c",
        "ours",
        [str(C_BIN), "imds"],
        needs_file(C_BIN, "C runner over the release libimds.a"),
    ),
    Client(
        "raw",
        "limit",
        "limit",
        [str(RUST_BIN), "raw"],
        needs_file(RUST_BIN, "Rust runner"),
        workloads=frozenset({"read", "creds"}),
        note="raw keep-alive loop, one connection per worker",
    ),
    Client(
        "wrk",
        "limit",
        "limit",
        ["wrk"],
        needs_program("wrk"),
        workloads=READ_ONLY,
        note="wrk, one connection per reader",
    ),
    Client(
        "raw",
        "limit",
        "limit",
        [str(RUST_BIN), "raw"],
        needs_file(RUST_BIN, "Rust runner"),
        target="nginx",
        workloads=READ_ONLY,
        note="raw loop against nginx serving the same bytes",
    ),
    Client(
        "wrk",
        "limit",
        "limit",
        ["wrk"],
        needs_program("wrk"),
        workloads=READ_ONLY,
        target="nginx",
        note="wrk against nginx serving the same bytes",
    ),
]


# ---------------------------------------------------------------------------------------
# Servers


class Emulator:
    """The release emulator as a child process, with warn-level logs."""

    def __init__(self) -> None:
        if not EMULATOR.exists():
            raise SystemExit(f"bench: {EMULATOR} not built (make bench builds it)")
        self.proc = subprocess.Popen(
            [
                str(EMULATOR),
                "--port",
                "0",
                "--admin-port",
                "0",
                "--exit-on-stdin-eof",
                "--log-level",
                "warn",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.endpoint: str = ready["endpoint"]
        self.admin: str = ready["admin"]
        self.pid: int = ready["pid"]

    def admin_call(self, method: str, path: str, body: bytes | None = None) -> object:
        req = urllib.request.Request(self.admin + path, data=body, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def counters(self) -> dict[str, object]:
        return self.admin_call("GET", "/counters")  # type: ignore[return-value]

    def reset(self) -> None:
        self.admin_call("POST", "/counters/reset", b"")

    def body(self, path: str) -> bytes:
        token_req = urllib.request.Request(
            self.endpoint + "/latest/api/token",
            method="PUT",
            data=b"",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        )
        with urllib.request.urlopen(token_req, timeout=10) as resp:
            token = resp.read().decode()
        req = urllib.request.Request(
            self.endpoint + path, headers={"X-aws-ec2-metadata-token": token}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Nginx:
    """nginx serving the emulator's bytes for the read path, for the server comparison."""

    def __init__(self, emulator: Emulator) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="imds-bench-nginx-"))
        leaf = self.dir / "www" / READ_PATH.lstrip("/")
        leaf.parent.mkdir(parents=True)
        leaf.write_bytes(emulator.body(READ_PATH))
        role = emulator.body("/latest/meta-data/iam/security-credentials/").decode()
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/tmp;
    proxy_temp_path {self.dir}/tmp;
    fastcgi_temp_path {self.dir}/tmp;
    uwsgi_temp_path {self.dir}/tmp;
    scgi_temp_path {self.dir}/tmp;
    keepalive_requests 1000000;
    default_type text/plain;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.dir}/www;
        location = /latest/api/token {{ return 200 "nginx-serves-no-tokens"; }}
        location = /latest/meta-data/iam/security-credentials/ {{ return 200 "{role}"; }}
    }}
}}
""")
        (self.dir / "tmp").mkdir()
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(conf), "-g", "daemon off; user root;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for_port(self.port)
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: nothing listening on port {port}")


class SilentListener:
    """A listening socket that never accepts: connections complete in the kernel's backlog
    and no byte is ever answered, like an IMDS address that swallows traffic."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------------------------------
# Running one measurement


@dataclass
class Proc:
    out: dict[str, object] | None
    wall_s: float
    error: str | None

    @property
    def max_rss_kb(self) -> int:
        """The runner's own VmHWM (see the runners: wait4 would count the harness too)."""
        return int(self.out.get("hwm_kb", 0)) if self.out else 0  # type: ignore[call-overload]


def spawn(argv: list[str], timeout: float = RUN_TIMEOUT_S) -> Proc:
    """Runs a runner to completion and parses its JSON line; wall time is spawn to exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status = os.waitpid(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace").strip()
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            return Proc(None, wall, f"exit {proc.returncode}: {' | '.join(tail)[:300]}")
        try:
            return Proc(json.loads(text.splitlines()[-1]), wall, None)
        except (json.JSONDecodeError, IndexError):
            return Proc(None, wall, f"unparseable output: {text[:200]!r}")


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[index])


def read_counters(emulator: Emulator, before_reset: bool = False) -> dict[str, int]:
    c = emulator.counters()
    reads = c.get("reads", {})
    assert isinstance(reads, dict)
    return {
        "token_puts": int(c["token_puts"]),  # type: ignore[call-overload]
        "reads": sum(int(v) for v in reads.values()),
        "reads_200": int(reads.get("200", 0)),
        "requests": int(c["requests"]),  # type: ignore[call-overload]
        "connections": int(c["connections"]),  # type: ignore[call-overload]
    }


def measure_throughput(
    client: Client, workload: str, concurrency: int, emulator: Emulator, endpoint: str
) -> dict[str, object]:
    if client.name == "wrk":
        return measure_wrk(concurrency, emulator, endpoint)
    emulator.reset()
    proc = spawn([*client.argv, workload, endpoint, str(concurrency), str(DURATION_MS)])
    counters = read_counters(emulator)
    if proc.out is None:
        return {"error": proc.error}
    out = proc.out
    lat = sorted(int(x) for x in out["lat_ns"])  # type: ignore[union-attr]
    ops = int(out["ops"])  # type: ignore[call-overload]
    calls = ops + int(out["errors"]) + int(out.get("warm_ops", 0))  # type: ignore[call-overload]
    on_emulator = endpoint == emulator.endpoint
    return {
        "ops": ops,
        "errors": out["errors"],
        "first_error": out.get("first_error"),
        "throughput": ops / float(out["elapsed_s"]),  # type: ignore[arg-type]
        "p50_us": percentile(lat, 0.50) / 1000,
        "p99_us": percentile(lat, 0.99) / 1000,
        "max_rss_mb": proc.max_rss_kb / 1024,
        "token_puts": counters["token_puts"] if on_emulator else None,
        "puts_per_1k_reads": (
            1000 * counters["token_puts"] / max(counters["reads"], 1) if on_emulator else None
        ),
        "gets_per_call": counters["reads"] / max(calls, 1) if on_emulator else None,
    }


def measure_wrk(concurrency: int, emulator: Emulator, endpoint: str) -> dict[str, object]:
    token = "unused"
    if endpoint == emulator.endpoint:
        req = urllib.request.Request(
            endpoint + "/latest/api/token",
            method="PUT",
            data=b"",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            token = resp.read().decode()
    threads = min(concurrency, 2)
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{max(1, round(DURATION_MS * 1.25 / 1000))}s",
        "--latency",
        "-H",
        f"X-aws-ec2-metadata-token: {token}",
        endpoint + READ_PATH,
    ]
    emulator.reset()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT_S)
    counters = read_counters(emulator)
    if done.returncode != 0:
        return {"error": f"wrk exit {done.returncode}: {done.stderr.strip()[:200]}"}
    return parse_wrk(done.stdout, counters if endpoint == emulator.endpoint else None)


def parse_wrk(text: str, counters: dict[str, int] | None) -> dict[str, object]:
    def to_us(value: str) -> float:
        for unit, factor in (("us", 1.0), ("ms", 1000.0), ("s", 1e6)):
            if value.endswith(unit):
                return float(value[: -len(unit)]) * factor
        raise ValueError(value)

    result: dict[str, object] = {"errors": 0}
    for line in text.splitlines():
        parts = line.split()
        if line.strip().startswith("50%"):
            result["p50_us"] = to_us(parts[1])
        elif line.strip().startswith("99%"):
            result["p99_us"] = to_us(parts[1])
        elif line.startswith("Requests/sec:"):
            result["throughput"] = float(parts[1])
        elif "Non-2xx or 3xx responses" in line:
            result["errors"] = int(parts[-1])
        elif "requests in" in line:
            result["ops"] = int(parts[0])
    if counters is not None:
        result["token_puts"] = counters["token_puts"]
        result["puts_per_1k_reads"] = 1000 * counters["token_puts"] / max(counters["reads"], 1)
        result["gets_per_call"] = 1.0
    return result


def measure_cold(client: Client, emulator: Emulator) -> dict[str, object]:
    walls, firsts, rss = [], [], []
    emulator.reset()
    for _ in range(COLD_LAUNCHES):
        proc = spawn([*client.argv, "cold", emulator.endpoint, "1", "0"])
        if proc.out is None or not proc.out.get("ok"):
            return {"error": proc.error or str(proc.out and proc.out.get("error"))}
        walls.append(proc.wall_s * 1000)
        firsts.append(int(proc.out["first_value_ns"]) / 1e6)  # type: ignore[call-overload]
        rss.append(proc.max_rss_kb / 1024)
    counters = read_counters(emulator)
    return {
        "wall_ms": statistics.median(walls),
        "first_value_ms": statistics.median(firsts),
        "max_rss_mb": max(rss),
        "token_puts": counters["token_puts"] / COLD_LAUNCHES,
    }


def measure_offline(client: Client, mode: str) -> dict[str, object]:
    silent = SilentListener() if mode == "silent" else None
    endpoint = silent.endpoint if silent else f"http://127.0.0.1:{free_port()}"
    calls = SILENT_CALLS if silent else REFUSED_CALLS
    try:
        proc = spawn([*client.argv, "offline", endpoint, "1", str(calls)])
    finally:
        if silent:
            silent.close()
    if proc.out is None:
        return {"error": proc.error}
    times = [int(x) / 1e6 for x in proc.out["calls_ns"]]  # type: ignore[union-attr]
    outcomes = [str(x) for x in proc.out["outcomes"]]  # type: ignore[union-attr]
    return {
        "first_ms": times[0],
        "after_ms": statistics.median(times[1:]) if len(times) > 1 else None,
        "all_ms": times,
        "succeeded": sum(o == "ok" for o in outcomes),
        "first_error": outcomes[0][:240],
        "max_rss_mb": proc.max_rss_kb / 1024,
    }


# ---------------------------------------------------------------------------------------
# The run


@dataclass
class Workload:
    key: str
    kind: str  # "read", "creds", "cold", "offline"
    concurrency: int = 1
    mode: str = ""
    reps: int = REPS

    @property
    def title(self) -> str:
        return {
            "read": f"read, {self.concurrency} concurrent reader(s), cached token",
            "creds": "role credentials as a provider reads them",
            "cold": "cold start: new process to first value",
            "offline": "off-EC2, "
            + ("nothing listening" if self.mode == "refused" else "listener that never answers"),
        }[self.kind]


WORKLOADS: list[Workload] = [
    *(Workload(f"read-x{n}", "read", n) for n in CONCURRENCY),
    Workload("creds", "creds"),
    Workload("cold", "cold"),
    Workload("offline-refused", "offline", mode="refused"),
    # Peers pay their full timeouts on every call here; one repetition says enough.
    Workload("offline-silent", "offline", mode="silent", reps=1),
]


@dataclass
class Run:
    results: dict[str, dict[str, list[dict[str, object]]]] = field(default_factory=dict)

    def add(self, workload: str, client: str, result: dict[str, object]) -> None:
        self.results.setdefault(workload, {}).setdefault(client, []).append(result)


def run_all() -> None:
    started = time.time()
    available: list[Client] = []
    missing: dict[str, str] = {}
    for client in CLIENTS:
        reason = client.probe()
        if reason is None and client.argv:
            available.append(client)
        else:
            missing[client.label] = reason or "not available"
    for label, reason in missing.items():
        print(f"bench: {label}: not available ({reason})", flush=True)

    emulator = Emulator()
    nginx = Nginx(emulator)
    run = Run()
    try:
        for rep in range(REPS):
            for workload in WORKLOADS:
                if rep >= workload.reps:
                    continue
                # Interleaved: every client of a workload runs back to back within one
                # repetition, so the ratios compare neighbours in time on a noisy machine.
                for client in available:
                    if workload.kind not in client.workloads:
                        continue
                    if client.target == "nginx" and workload.kind != "read":
                        continue
                    print(
                        f"bench: rep {rep + 1}/{REPS} {workload.key:16} {client.label}", flush=True
                    )
                    endpoint = nginx.endpoint if client.target == "nginx" else emulator.endpoint
                    if workload.kind in ("read", "creds"):
                        result = measure_throughput(
                            client, workload.kind, workload.concurrency, emulator, endpoint
                        )
                    elif workload.kind == "cold":
                        result = measure_cold(client, emulator)
                    else:
                        result = measure_offline(client, workload.mode)
                    if "error" in result:
                        print(f"bench:   error: {result['error']}", flush=True)
                    run.add(workload.key, client.label, result)
    finally:
        nginx.stop()
        emulator.stop()
    startup = measure_emulator_startup()
    report = build_report(run, available, missing, time.time() - started)
    report["emulator_startup_ms"] = startup
    write_outputs(report)


EMULATOR_STARTS = 10


def measure_emulator_startup() -> dict[str, float] | None:
    """Spawn to ready line of the emulator (what `imds emulate` runs), several times: how
    long a test or a user waits before the first request can go out."""
    times = []
    for _ in range(EMULATOR_STARTS):
        start = time.perf_counter()
        emulator = Emulator()
        times.append((time.perf_counter() - start) * 1000)
        emulator.stop()
    return med_spread(times)


# ---------------------------------------------------------------------------------------
# Report


def med_spread(values: list[float]) -> dict[str, float] | None:
    values = [v for v in values if v is not None and v == v]
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


METRICS = {
    "read": [
        "throughput",
        "p50_us",
        "p99_us",
        "puts_per_1k_reads",
        "token_puts",
        "gets_per_call",
        "max_rss_mb",
        "errors",
    ],
    "creds": [
        "throughput",
        "p50_us",
        "p99_us",
        "puts_per_1k_reads",
        "gets_per_call",
        "max_rss_mb",
        "errors",
    ],
    "cold": ["wall_ms", "first_value_ms", "max_rss_mb", "token_puts"],
    "offline": ["first_ms", "after_ms", "max_rss_mb", "succeeded"],
}
# For each metric, whether lower is better (for "best peer" and the ratios).
LOWER_BETTER = {"p50_us", "p99_us", "wall_ms", "first_value_ms", "first_ms", "after_ms"}
HEADLINE = {"read": "throughput", "creds": "throughput", "cold": "wall_ms", "offline": "first_ms"}


def build_report(
    run: Run, available: list[Client], missing: dict[str, str], elapsed_s: float
) -> dict[str, object]:
    kinds = {c.label: c for c in available}
    workloads: dict[str, object] = {}
    for w in WORKLOADS:
        per_client: dict[str, object] = {}
        for label, reps in run.results.get(w.key, {}).items():
            errors = [r["error"] for r in reps if "error" in r]
            good = [r for r in reps if "error" not in r]
            entry: dict[str, object] = {
                "kind": kinds[label].kind,
                "language": kinds[label].language,
                "note": kinds[label].note,
            }
            if errors:
                entry["run_errors"] = errors
            for metric in METRICS[w.kind]:
                entry[metric] = med_spread([r.get(metric) for r in good])  # type: ignore[misc]
            if good and w.kind in ("read", "creds"):
                entry["first_error"] = next(
                    (r.get("first_error") for r in good if r.get("first_error")), None
                )
            if good and w.kind == "offline":
                entry["first_error"] = good[0].get("first_error")
                entry["all_ms"] = good[0].get("all_ms")
            per_client[label] = entry
        workloads[w.key] = {
            "title": w.title,
            "kind": w.kind,
            "clients": per_client,
            "ratios": ratios(run, w, kinds),
        }
    report: dict[str, object] = {
        "meta": meta(elapsed_s),
        "not_available": missing,
        "workloads": workloads,
    }
    report["binding_overhead_us"] = binding_overhead(run, kinds)
    report["emulator_vs_nginx"] = emulator_vs_nginx(run)
    report["targets"] = targets(report, kinds)
    return report


def ratios(run: Run, w: Workload, kinds: dict[str, Client]) -> dict[str, dict[str, object]]:
    """For each of our clients, the headline metric against each peer and limit, computed
    per repetition (neighbours in time) and then summarised."""
    metric = HEADLINE[w.kind]
    results = run.results.get(w.key, {})
    out: dict[str, dict[str, object]] = {}
    for ours, our_reps in results.items():
        if kinds[ours].kind != "ours":
            continue
        row: dict[str, object] = {}
        for other, other_reps in results.items():
            if kinds[other].kind == "ours" or kinds[other].target == "nginx":
                continue
            values = []
            for a, b in zip(our_reps, other_reps, strict=False):
                x, y = a.get(metric), b.get(metric)
                if isinstance(x, (int, float)) and isinstance(y, (int, float)) and x and y:
                    # Always "how many times better ours is": > 1 means ours wins.
                    values.append(y / x if metric in LOWER_BETTER else x / y)
            row[other] = med_spread(values)
        out[ours] = row
    return out


def binding_overhead(run: Run, kinds: dict[str, Client]) -> dict[str, object]:
    """Median latency of each binding minus the Rust core (blocking) in the same repetition."""
    out: dict[str, object] = {}
    for key in ("read-x1", "creds"):
        results = run.results.get(key, {})
        core = results.get("rust/core-blocking", [])
        for label, reps in results.items():
            if kinds[label].kind != "ours" or kinds[label].language == "rust":
                continue
            diffs = [
                b["p50_us"] - a["p50_us"]
                for a, b in zip(core, reps, strict=False)  # type: ignore[operator]
                if "p50_us" in a and "p50_us" in b
            ]
            out.setdefault(label, {})[key] = med_spread(diffs)  # type: ignore[union-attr]
    return out


def emulator_vs_nginx(run: Run) -> dict[str, dict[str, object]]:
    """The emulator's throughput as a fraction of nginx serving the same bytes, per read
    workload and load generator (wrk, raw loop), computed per repetition then summarised:
    1.0 means the emulator answers as fast as a static file server, so it is not what limits
    any client's figures."""
    out: dict[str, dict[str, object]] = {}
    for w in WORKLOADS:
        if w.kind != "read":
            continue
        results = run.results.get(w.key, {})
        row: dict[str, object] = {}
        for generator in ("wrk", "raw"):
            emulator = results.get(f"limit/{generator}", [])
            nginx = results.get(f"limit/{generator}@nginx", [])
            values = [
                a["throughput"] / b["throughput"]
                for a, b in zip(emulator, nginx, strict=False)
                if a.get("throughput") and b.get("throughput")
            ]
            if values:
                row[generator] = med_spread(values)
        if row:
            out[w.key] = row
    return out


def metric_median(
    report: dict[str, object], workload: str, label: str, metric: str
) -> float | None:
    w = report["workloads"].get(workload)  # type: ignore[union-attr]
    if not w:
        return None
    entry = w["clients"].get(label)
    if not entry or not entry.get(metric):
        return None
    return float(entry[metric]["median"])


def targets(report: dict[str, object], kinds: dict[str, Client]) -> list[dict[str, object]]:
    """The project's performance targets, each checked against this run: met, missed, or not
    measured."""
    checks: list[dict[str, object]] = []

    def check(target: str, subject: str, met: bool | None, detail: str) -> None:
        status = "not measured" if met is None else ("met" if met else "MISSED")
        checks.append({"target": target, "subject": subject, "status": status, "detail": detail})

    ours = [c for c in kinds.values() if c.kind == "ours"]
    for w in WORKLOADS:
        metric = HEADLINE[w.kind]
        lower = metric in LOWER_BETTER
        for c in ours:
            mine = metric_median(report, w.key, c.label, metric)
            peers = [
                (p.label, metric_median(report, w.key, p.label, metric))
                for p in kinds.values()
                if p.kind == "peer" and p.language == c.language
            ]
            peers = [(p, v) for p, v in peers if v is not None]
            if mine is None or not peers:
                continue
            best_label, best = (min if lower else max)(peers, key=lambda pv: pv[1])
            met = mine <= best if lower else mine >= best
            check(
                "as fast as the best peer in its language",
                f"{c.label} {w.key}",
                met,
                f"{metric} {fmt(mine)} vs {best_label} {fmt(best)}",
            )
    raw = metric_median(report, "read-x1", "limit/raw", "p50_us")
    for c in ours:
        mine = metric_median(report, "read-x1", c.label, "p50_us")
        if raw and mine:
            check(
                "sequential cached-token reads within 1.3x of the raw keep-alive loop",
                c.label,
                mine <= 1.3 * raw,
                f"p50 {fmt(mine)} µs vs raw {fmt(raw)} µs = {mine / raw:.2f}x",
            )
    for w in WORKLOADS:
        if w.kind != "read":
            continue
        for c in ours:
            puts = metric_median(report, w.key, c.label, "token_puts")
            if puts is not None:
                check(
                    "one token PUT per token lifetime, however many readers",
                    f"{c.label} {w.key}",
                    puts <= 1,
                    f"{fmt(puts)} token PUTs in one process (token TTL outlives the run)",
                )
    for c in ours:
        first = metric_median(report, "offline-refused", c.label, "first_ms")
        after = metric_median(report, "offline-refused", c.label, "after_ms")
        if first is not None:
            check(
                "off-EC2, nothing listening: first error under 10 ms",
                c.label,
                first < 10,
                f"{fmt(first)} ms",
            )
        if after is not None:
            check(
                "off-EC2, nothing listening: later errors under 1 ms",
                c.label,
                after < 1,
                f"{fmt(after)} ms",
            )
        first = metric_median(report, "offline-silent", c.label, "first_ms")
        after = metric_median(report, "offline-silent", c.label, "after_ms")
        if first is not None:
            # The silent listener's kernel completes the connection, so the attempt timeout
            # (1 s by default) is what ends the call: the error cannot come before it, and
            # 5% covers the timer's and the scheduler's granularity on a loaded machine.
            check(
                "off-EC2, silent listener: first error within the configured timeout (1 s)",
                c.label,
                first <= 1000 * SILENT_SLACK,
                f"{fmt(first)} ms",
            )
        if after is not None:
            check(
                "off-EC2, silent listener: later errors under 1 ms",
                c.label,
                after < 1,
                f"{fmt(after)} ms",
            )
    for label, per in report["binding_overhead_us"].items():  # type: ignore[union-attr]
        for key, stats in per.items():
            if stats:
                check(
                    "binding overhead over the Rust core under 10 µs per call",
                    f"{label} {key}",
                    stats["median"] < 10,
                    f"{fmt(stats['median'])} µs",
                )
    if not any(c.kind == "ours" and c.language != "rust" for c in kinds.values()):
        check(
            "binding overhead over the Rust core under 10 µs per call",
            "every binding",
            None,
            "no binding was available in this run",
        )
    return checks


# Allowed lateness of the silent-listener error past the 1 s timeout that ends it.
SILENT_SLACK = 1.05


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(stats: dict[str, float] | None) -> str:
    if not stats:
        return "-"
    if stats["n"] > 1 and stats["max"] != stats["min"]:
        return f"{fmt(stats['median'])} ({fmt(stats['min'])}–{fmt(stats['max'])})"
    return fmt(stats["median"])


def meta(elapsed_s: float) -> dict[str, object]:
    def version(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            return (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    commit = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit,
        "quick": QUICK,
        "repetitions": REPS,
        "duration_ms": DURATION_MS,
        "cold_launches": COLD_LAUNCHES,
        "elapsed_s": round(elapsed_s, 1),
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "load_after": [round(x, 2) for x in load],
        "peers": peer_versions(),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peer_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    lock = BENCH / "rust" / "Cargo.lock"
    if lock.exists():
        lines = lock.read_text().splitlines()
        for i, line in enumerate(lines):
            if line == 'name = "aws-config"':
                versions["aws-config"] = lines[i + 1].split('"')[1]
    gomod = BENCH / "go" / "go.mod"
    if gomod.exists():
        for line in gomod.read_text().splitlines():
            if "feature/ec2/imds " in line:
                versions["aws-sdk-go-v2/feature/ec2/imds"] = line.split()[-1]
    pom = BENCH / "java" / "pom.xml"
    if pom.exists():
        text = pom.read_text()
        versions["awssdk-java-v2"] = text.split("<awssdk.version>")[1].split("<")[0]
    req = BENCH / "python" / "requirements.txt"
    if req.exists():
        for line in req.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, ver = line.split("==")
                versions[name] = ver
    for program, argv in (("wrk", ["wrk", "--version"]), ("nginx", ["nginx", "-v"])):
        if shutil.which(program):
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
                versions[program] = (done.stdout + done.stderr).strip().splitlines()[0]
            except (OSError, IndexError, subprocess.TimeoutExpired):
                pass
    return versions


COLUMNS = {
    "read": [
        ("throughput", "ops/s"),
        ("p50_us", "p50 µs"),
        ("p99_us", "p99 µs"),
        ("puts_per_1k_reads", "token PUTs /1k reads"),
        ("gets_per_call", "GETs /call"),
        ("max_rss_mb", "peak RSS MB"),
    ],
    "creds": [
        ("throughput", "ops/s"),
        ("p50_us", "p50 µs"),
        ("p99_us", "p99 µs"),
        ("puts_per_1k_reads", "token PUTs /1k reads"),
        ("gets_per_call", "GETs /call"),
        ("max_rss_mb", "peak RSS MB"),
    ],
    "cold": [
        ("wall_ms", "spawn→exit ms"),
        ("first_value_ms", "in-process first value ms"),
        ("token_puts", "token PUTs /process"),
        ("max_rss_mb", "peak RSS MB"),
    ],
    "offline": [
        ("first_ms", "first call ms"),
        ("after_ms", "later calls ms (median)"),
        ("max_rss_mb", "peak RSS MB"),
    ],
}


def markdown(report: dict[str, object]) -> str:
    m = report["meta"]
    assert isinstance(m, dict)
    lines = [
        "# IMDS client benchmarks",
        "",
        f"Run {m['date']} at commit `{m['commit']}`, "
        f"{'QUICK smoke run' if m['quick'] else 'full run'}: "
        f"{m['repetitions']} repetition(s) of {m['duration_ms']} ms measured windows, "
        f"{m['cpus']} CPUs ({m['cpu']}), load average after the run {m['load_after']}, "
        f"{m['elapsed_s']} s in all.",
        "",
        "The machine is a shared, noisy 2-core box: client, emulator and load generator share "
        "both cores, so absolute numbers are low and vary; compare within a table. Cells "
        "show the median over repetitions with (min–max). Method: bench/README.md.",
        "",
    ]
    missing = report["not_available"]
    assert isinstance(missing, dict)
    if missing:
        lines += [
            "Not available in this run: " + "; ".join(f"`{k}` ({v})" for k, v in missing.items()),
            "",
        ]
    lines += [
        "## Performance targets",
        "",
        "| target | subject | status | measured |",
        "|---|---|---|---|",
    ]
    for t in report["targets"]:  # type: ignore[union-attr]
        lines.append(f"| {t['target']} | {t['subject']} | {t['status']} | {t['detail']} |")
    lines.append("")
    for key, w in report["workloads"].items():  # type: ignore[union-attr]
        cols = COLUMNS[w["kind"]]
        lines += [
            f"## {key}: {w['title']}",
            "",
            "| client | kind | " + " | ".join(c[1] for c in cols) + " | notes |",
            "|---|---|" + "---|" * len(cols) + "---|",
        ]
        for label, e in w["clients"].items():
            notes = []
            if e.get("note"):
                notes.append(e["note"])
            if e.get("run_errors"):
                notes.append("run failed: " + e["run_errors"][0][:120])
            errs = e.get("errors")
            if errs and errs["median"]:
                notes.append(
                    f"{fmt(errs['median'])} failed calls: {str(e.get('first_error'))[:100]}"
                )
            if w["kind"] == "offline" and e.get("first_error"):
                notes.append(f"error: {e['first_error'][:140]}")
            if w["kind"] == "offline" and e.get("succeeded") and e["succeeded"]["median"]:
                notes.append("some calls succeeded?!")
            lines.append(
                f"| {label} | {e['kind']} | "
                + " | ".join(cell(e.get(c[0])) for c in cols)
                + f" | {'; '.join(notes).replace('|', '/')} |"
            )
        ratio_rows = w["ratios"]
        if ratio_rows:
            others = sorted({o for row in ratio_rows.values() for o in row})
            lines += [
                "",
                f"Ours against each peer and limit ({HEADLINE[w['kind']]}; "
                "× > 1 means ours is better, per repetition then median):",
                "",
                "| ours | " + " | ".join(others) + " |",
                "|---|" + "---|" * len(others),
            ]
            for ours, row in ratio_rows.items():
                lines.append(
                    f"| {ours} | "
                    + " | ".join((cell(row.get(o)) + "×") if row.get(o) else "-" for o in others)
                    + " |"
                )
        lines.append("")
    overhead = report["binding_overhead_us"]
    lines += ["## Binding overhead over the Rust core (p50 binding − p50 core-blocking, µs)", ""]
    if overhead:
        lines += ["| binding | read-x1 | creds |", "|---|---|---|"]
        for label, per in overhead.items():  # type: ignore[union-attr]
            lines.append(f"| {label} | {cell(per.get('read-x1'))} | {cell(per.get('creds'))} |")
    else:
        lines.append("No binding was available in this run.")
    startup = report.get("emulator_startup_ms")
    if isinstance(startup, dict):
        lines += [
            "",
            "## Emulator start-up",
            "",
            f"Spawn to ready line, {EMULATOR_STARTS} starts: median "
            f"{fmt(startup['median'])} ms ({fmt(startup['min'])}–{fmt(startup['max'])}).",
        ]
    versus = report.get("emulator_vs_nginx") or {}
    lines += [
        "",
        "## The emulator against nginx serving the same bytes (throughput ratio)",
        "",
    ]
    if versus:
        lines += [
            "1.0 means the emulator answers as fast as a static file server on this machine; "
            "compare with the clients' throughput in the tables above to see how far each is "
            "from what the server can give.",
            "",
            "| workload | wrk: emulator / nginx | raw loop: emulator / nginx |",
            "|---|---|---|",
        ]
        for key, row in versus.items():  # type: ignore[union-attr]
            wrk, raw = row.get("wrk"), row.get("raw")  # type: ignore[union-attr]
            lines.append(f"| {key} | {cell(wrk)} | {cell(raw)} |")
    else:
        lines.append("Not measured in this run (wrk or nginx not available).")
    peers = m.get("peers", {})
    lines += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in peers.items()]
    return "\n".join(lines) + "\n"


def plot(report: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"ours": "#1f77b4", "peer": "#ff7f0e", "limit": "#7f7f7f"}
    reads = [k for k in report["workloads"] if k.startswith("read-x")]  # type: ignore[union-attr]
    fig, axes = plt.subplots(1, 2, figsize=(15, 7))
    ax = axes[0]
    labels: list[str] = []
    for key in reads:
        for label in report["workloads"][key]["clients"]:  # type: ignore[index]
            if label not in labels:
                labels.append(label)
    width = 0.8 / max(len(reads), 1)
    for i, key in enumerate(reads):
        clients = report["workloads"][key]["clients"]  # type: ignore[index]
        ys = [(clients.get(lbl, {}).get("throughput") or {}).get("median", 0) for lbl in labels]
        ax.barh(
            [j + i * width for j in range(len(labels))], ys, height=width, label=key, alpha=0.85
        )
    ax.set_yticks([j + width * (len(reads) - 1) / 2 for j in range(len(labels))])
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("reads per second (median)")
    ax.set_title("Throughput by client and concurrent readers")
    ax.legend(fontsize=8)
    ax = axes[1]
    clients = report["workloads"].get("read-x1", {}).get("clients", {})  # type: ignore[union-attr]
    names = list(clients)
    p50 = [(clients[n].get("p50_us") or {}).get("median", 0) for n in names]
    p99 = [(clients[n].get("p99_us") or {}).get("median", 0) for n in names]
    ys = range(len(names))
    ax.barh(
        [y - 0.2 for y in ys],
        p50,
        height=0.4,
        label="p50",
        color=[colors[clients[n]["kind"]] for n in names],
    )
    ax.barh(
        [y + 0.2 for y in ys],
        p99,
        height=0.4,
        label="p99",
        alpha=0.45,
        color=[colors[clients[n]["kind"]] for n in names],
    )
    ax.set_xscale("log")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("latency per sequential read, µs (log scale; solid p50, light p99)")
    ax.set_title("Sequential read latency (blue ours, orange peers, grey limits)")
    m = report["meta"]
    fig.suptitle(
        f"IMDS clients on {m['cpus']} shared CPUs, {m['date']}"  # type: ignore[index]
        f"{' (QUICK)' if m['quick'] else ''}"
    )  # type: ignore[index]
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(report: dict[str, object]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "quick" if QUICK else "full"
    md = markdown(report)
    (RESULTS / f"{stem}.md").write_text(md)
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    try:
        plot(report, RESULTS / f"{stem}.png")
    except ImportError as e:
        print(f"bench: no plot ({e})", file=sys.stderr)
    print()
    print(md)
    print(f"bench: wrote {RESULTS / stem}.md, .json and .png")


# ---------------------------------------------------------------------------------------
# Soak


def soak() -> None:
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    concurrency = int(os.environ.get("SOAK_CONCURRENCY", "8"))
    if not RUST_BIN.exists():
        raise SystemExit(f"bench: {RUST_BIN} not built")
    emulator = Emulator()
    try:
        emulator.reset()
        print(
            f"soak: core-blocking, {concurrency} threads, {minutes} min against "
            f"{emulator.endpoint}",
            flush=True,
        )
        proc = spawn(
            [
                str(RUST_BIN),
                "core-blocking",
                "soak",
                emulator.endpoint,
                str(concurrency),
                str(int(minutes * 60_000)),
            ],
            timeout=minutes * 60 + 120,
        )
        counters = read_counters(emulator)
    finally:
        emulator.stop()
    if proc.out is None:
        raise SystemExit(f"soak: runner failed: {proc.error}")
    out = proc.out
    rss = out["rss_kb"]
    assert isinstance(rss, list)
    growth = (rss[-1] - rss[1]) if len(rss) > 2 else 0
    summary = {
        "minutes": minutes,
        "concurrency": concurrency,
        "ops": out["ops"],
        "errors": out["errors"],
        "first_error": out.get("first_error"),
        "throughput": out["ops"] / (minutes * 60),  # type: ignore[operator]
        "rss_kb_samples": rss,
        "rss_growth_kb_after_warmup": growth,
        "token_puts": counters["token_puts"],
        "server_reads": counters["reads"],
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "rss_kb_samples"}, indent=1))
    print(
        f"soak: RSS {rss[0]} → {rss[-1]} kB over {len(rss)} samples; "
        f"{out['errors']} errors in {out['ops']} calls"
    )
    failures = soak_failures(summary, rss)
    for failure in failures:
        print(f"soak: FAILED: {failure}")
    if failures:
        raise SystemExit(1)


# A token lives 300 s by default and is renewed when at most a quarter of its life (60 s)
# remains, so a healthy client fetches one token per 240 s of running, plus the first.
TOKEN_RENEWAL_S = 240
# Memory may settle after warm-up (allocator arenas, pool growth) but must not keep
# growing: what the samples after warm-up add is allowed up to this share of the RSS.
SOAK_RSS_GROWTH = 0.10
SOAK_RSS_FLOOR_KB = 2048


def soak_failures(summary: dict[str, object], rss: list[int]) -> list[str]:
    """What the soak run did wrong: any failed call, more token fetches than the token
    lifetime explains, or memory that kept growing after warm-up."""
    failures = []
    if summary["errors"]:
        failures.append(f"{summary['errors']} failed calls, first: {summary['first_error']}")
    minutes = float(summary["minutes"])  # type: ignore[arg-type]
    allowed_puts = 1 + math.ceil(minutes * 60 / TOKEN_RENEWAL_S)
    if int(summary["token_puts"]) > allowed_puts:  # type: ignore[call-overload]
        failures.append(
            f"{summary['token_puts']} token PUTs, more than the {allowed_puts} that one token "
            f"per {TOKEN_RENEWAL_S} s allows"
        )
    if len(rss) > 2:
        allowed_kb = max(SOAK_RSS_FLOOR_KB, SOAK_RSS_GROWTH * rss[1])
        if rss[-1] - rss[1] > allowed_kb:
            failures.append(
                f"RSS grew {rss[-1] - rss[1]} kB after warm-up ({rss[1]} → {rss[-1]} kB), "
                f"over the {allowed_kb:.0f} kB allowed"
            )
    return failures


def exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwinds through the `finally` blocks, so nginx and the emulator stop with the harness.
    raise SystemExit(f"bench: stopped by signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        run_all()
    elif command == "soak":
        soak()
    else:
        raise SystemExit("usage: bench.py run|soak")
