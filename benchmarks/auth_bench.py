"""What authentication costs a routed turn: route_turn p50 over streamable HTTP against real
`agent-router serve --http` processes, with auth off (mode none, loopback) and with API keys
(mode keys, verified keys cached for the default key_cache_seconds, and with no cache, where
every request reads the key from SQLite). Issue 14's target: keys on within 1 ms p50 of off.

    .venv/bin/python -m benchmarks.auth_bench

The servers run side by side and are called in turn, call by call, so drift of a shared
machine falls on each alike; every figure is the median (p99 beside it) of the same number of
calls on one connection per server."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from .stats import summary_ms

CLI = str(Path(sys.executable).with_name("agent-router"))
WARM_CALLS = 30
CALLS = 600
TEXTS = [f"write a python function number {n} that parses a json config file" for n in range(50)]
SERVERS = {  # label -> auth section
    "auth off (mode none, loopback)": {"mode": "none"},
    "API keys (mode keys, key_cache_seconds 5)": {"mode": "keys"},
    "API keys, no cache (a SQLite read per request)": {"mode": "keys", "key_cache_seconds": 0},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_file(folder: Path, auth: dict[str, Any], db_url: str) -> Path:
    data = yaml.safe_load(resources.files("agent_router").joinpath("default_config.yaml").read_text())
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({**data, "auth": auth, "memory": {"url": db_url}}))
    return path


def new_key(db_url: str) -> str:
    command = [CLI, "keys", "create", "--tenant", "bench", "--db", db_url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return next(line.split(":", 1)[1].strip() for line in done.stdout.splitlines() if line.startswith("key:"))


def started(folder: Path, config: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with open(folder / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen(
            [CLI, "serve", "--http", "--port", str(port), "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((folder / "stderr.log").read_text()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not open its port")


@asynccontextmanager
async def connected(port: int, key: str | None) -> AsyncIterator[Client]:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client,
    ):
        yield client


async def route(client: Client, n: int) -> float:
    started_at = time.perf_counter()
    result = await client.call_tool("route_turn", {"messages": [{"role": "user", "content": TEXTS[n % 50]}]})
    elapsed = time.perf_counter() - started_at
    assert not result.is_error, result.content
    return elapsed


async def measure(ports: dict[str, tuple[int, str | None]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label in ports}
    async with AsyncExitStack() as stack:
        clients = {}
        for label, (port, key) in ports.items():
            clients[label] = await stack.enter_async_context(connected(port, key))
        for client in clients.values():
            for n in range(WARM_CALLS):
                await route(client, n)
        order = list(clients.items())
        for n in range(CALLS):
            shift = n % len(order)  # each server first in turn
            for label, client in order[shift:] + order[:shift]:
                times[label].append(await route(client, n))
    return times


def main() -> None:
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="auth-bench-") as tmp:
        try:
            ports: dict[str, tuple[int, str | None]] = {}
            for i, (label, auth) in enumerate(SERVERS.items()):
                folder = Path(tmp) / str(i)
                folder.mkdir()
                db_url = f"sqlite+aiosqlite:///{folder / 'memory.db'}"
                key = None if auth["mode"] == "none" else new_key(db_url)
                proc, port = started(folder, config_file(folder, auth, db_url))
                procs.append(proc)
                ports[label] = (port, key)
            times = asyncio.run(measure(ports))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    off_p50, _ = summary_ms(times[next(iter(SERVERS))])
    lines = [
        f"route_turn over streamable HTTP, one connection per server, {CALLS} calls each after "
        f"{WARM_CALLS} to warm up, the servers called in turn (each first in turn).",
        "",
        "| server | p50 | p99 | p50 minus auth off |",
        "|---|---|---|---|",
    ]
    for label, seconds in times.items():
        p50, p99 = summary_ms(seconds)
        lines.append(f"| {label} | {p50:.2f} ms | {p99:.2f} ms | {p50 - off_p50:+.2f} ms |")
    lines += ["", "Target (issue 14): API keys within 1 ms p50 of auth off."]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
