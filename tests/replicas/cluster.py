"""Three real `agent-router serve --http` replicas behind a real HAProxy, sharing one
PostgreSQL database and Redis (imported by tests/replicas and benchmarks/replicas_bench.py).

Each replica: auth mode keys (key_cache_seconds 0: a key made after the start works at
once), memory in the shared database, state.redis_url for the rate limits. HAProxy balances
round robin, checks /readyz every second (a replica busy with a load answers it slowly, so
`timeout check 5s` and two misses before it is taken out), and retries a request whose server
went away on another one (`retry-on conn-failure empty-response`, `option redispatch`)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from processes import CLI, config_file, free_port, start_http, wait_for_port

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"

HAPROXY = """\
global
    maxconn 2048
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response 503
frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    # Clients of the older handshake get a session id from the replica that answered their
    # initialize: their later requests go to it (clients of 2026-07-28 send none).
    stick-table type string len 128 size 100k expire 30m
    stick store-response res.hdr(mcp-session-id)
    stick match req.hdr(mcp-session-id)
    option httpchk GET /readyz
    timeout check 5s
    default-server inter 1s fall 2 rise 1
{servers}
"""


def missing_parts() -> str | None:
    """Why the cluster cannot run here, or None."""
    if shutil.which("haproxy") is None:
        return "haproxy is not installed (Debian's package; .ci/run installs it)"
    import socket

    for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return f"{name} is not reachable at 127.0.0.1:{port} (.ci/run starts it)"
    return None


async def create_database() -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty PostgreSQL database."""
    name = f"ar_replicas_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Replica:
    proc: subprocess.Popen
    port: int
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


@dataclass
class Cluster:
    folder: Path
    db_name: str
    db_url: str
    config: Path
    replicas: list[Replica] = field(default_factory=list)
    balancers: list[subprocess.Popen] = field(default_factory=list)
    lb_port: int = 0

    @property
    def url(self) -> str:
        """The MCP endpoint through HAProxy."""
        return f"http://127.0.0.1:{self.lb_port}/mcp"

    def start_replicas(self, count: int) -> None:
        """`count` replicas started at once (they migrate the empty database together)."""
        logs = [self.folder / f"replica-{len(self.replicas) + i}.log" for i in range(count)]
        started = [start_http(log_file, "--config", str(self.config)) for log_file in logs]
        for log_file, (proc, port) in zip(logs, started, strict=True):
            wait_for_port(proc, port, log_file)
            self.replicas.append(Replica(proc, port, log_file))

    def start_balancer(self, count: int | None = None) -> int:
        """HAProxy in front of the first `count` replicas (all by default); its port. The
        first one started is the cluster's `url`."""
        port = free_port()
        chosen = self.replicas[:count]
        servers = "\n".join(f"    server r{i} 127.0.0.1:{r.port} check" for i, r in enumerate(chosen))
        config = self.folder / f"haproxy-{port}.cfg"
        config.write_text(HAPROXY.format(port=port, servers=servers))
        log = open(self.folder / f"haproxy-{port}.log", "wb")  # noqa: SIM115 - the process holds it
        self.balancers.append(subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=log))
        wait_until_ready(f"http://127.0.0.1:{port}/readyz")
        self.lb_port = self.lb_port or port
        return port

    def keys(self, *args: str) -> str:
        done = subprocess.run(
            [CLI, "keys", *args, "--db", self.db_url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def new_key(self, tenant: str) -> str:
        out = self.keys("create", "--tenant", tenant, "--role", "agent")
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("key:"))

    def stop(self) -> None:
        for replica in self.replicas:
            if replica.proc.poll() is None:
                replica.proc.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                replica.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                replica.proc.kill()
        for balancer in self.balancers:
            balancer.terminate()
            balancer.wait(timeout=30)


def cluster_config(folder: Path, db_url: str, **sections: Any) -> Path:
    return config_file(
        folder / "config.yaml",
        memory={"url": db_url},
        auth={"mode": "keys", "key_cache_seconds": 0},
        state={"redis_url": REDIS_URL, "key_prefix": f"ar-test-{uuid.uuid4().hex[:8]}:"},
        **sections,
    )


def wait_until_ready(url: str, *, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {limit_s:g} s")


@asynccontextmanager
async def keyed_client(url: str, key: str, *, mode: str = "auto") -> AsyncIterator[Client]:
    """An mcp.Client over streamable HTTP whose every request carries the key: by default on
    protocol 2026-07-28 (every request stands alone); mode "legacy" speaks the older
    handshake, whose session lives in the replica that answered it."""
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {key}"}) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


def turn(text: str, session_id: str, turn_id: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], "session_id": session_id, "turn_id": turn_id}
