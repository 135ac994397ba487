"""Servers under attack and the ways to reach them: a bearer-token MCP client, raw MCP
requests for looking at refusals, and the keys CLI (imported by tests/security; see conftest.py
for the router_http fixture)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from processes import CLI

INITIALIZE = {  # the handshake of earlier protocol revisions: a request a server answers 200
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "attacker", "version": "1"},
    },
}


async def post_mcp(url: str, token: str | None, **headers: str) -> httpx.Response:
    """A raw MCP request with this bearer token (none: no Authorization header), so a test can
    look at the status and headers of a refusal; `headers` add or replace headers."""
    sent = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.post(url, json=INITIALIZE, headers={**sent, **headers})


@asynccontextmanager
async def bearer_client(url: str, key: str | None) -> AsyncIterator[Client]:
    """A connected mcp.Client over streamable HTTP whose every request carries the key."""
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def keys_cli(db_url: str, *args: str) -> str:
    """`agent-router keys ARGS --db db_url`; its stdout. Fails the test when it fails."""
    done = subprocess.run(
        [CLI, "keys", *args, "--db", db_url], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def created_key(output: str) -> tuple[str, str]:
    """(id, secret) from the output of `keys create`."""
    fields = dict(line.split(":", 1) for line in output.splitlines() if line.startswith(("id:", "key:")))
    return fields["id"].strip(), fields["key"].strip()


@dataclass
class RouterHttp:
    base: str
    keys: dict[str, str]
    db_url: str
    config_file: Path
    log_file: Path

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    async def post(self, key: str | None, **headers: str) -> httpx.Response:
        return await post_mcp(self.url, key, **headers)

    def client(self, key: str | None) -> AbstractAsyncContextManager[Client]:
        return bearer_client(self.url, key)

    def keys_cli(self, *args: str) -> str:
        return keys_cli(self.db_url, *args)

    def new_key(self, tenant: str, role: str = "agent", agent_id: str | None = None) -> tuple[str, str]:
        bound = () if agent_id is None else ("--agent-id", agent_id)
        return created_key(self.keys_cli("create", "--tenant", tenant, "--role", role, *bound))
