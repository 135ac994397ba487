"""The attacker's view of the router: a REAL `agent-router serve --http` process with API keys,
as a team would run it, for every test in tests/security/.

Fixture `router_http` (session-scoped: the server starts once, a few seconds) yields a
RouterHttp:

- `url`: the MCP endpoint, http://127.0.0.1:PORT/mcp; `base`: http://127.0.0.1:PORT (for
  /metrics and raw requests with httpx).
- `keys`: name -> secret of keys made with `agent-router keys create` before the start:
  "acme" (tenant acme, role agent), "globex" (tenant globex, role agent), "acme-operator"
  (tenant acme, role operator), "admin" (tenant acme, role admin).
- `post(key, **headers)`: a raw MCP request (httpx.Response), for statuses and headers.
- `client(key)`: `async with router_http.client(key) as c:` gives a connected `mcp.Client`
  sending `Authorization: Bearer key`; `client(None)` sends no header (the server answers 401,
  so connecting fails: send raw requests with httpx to look at the 401 itself).
- `new_key(tenant, role="agent", agent_id=None)` -> (id, secret): one more key, through the
  CLI; `keys_cli(*args)` runs `agent-router keys ...` on the same database.
- `db_url`, `config_file`, `log_file`: the server's SQLite memory database, its config, its
  stderr.

The server's config: the built-in one, memory in a temporary SQLite file, auth mode keys with
key_cache_seconds 0 (a revoked key is refused on its next request), and one downstream tool
server, tests/tools/demo_server.py over stdio (echo, add_numbers, delete_records, ...), so that
select_tools and call_tool have something to attack.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from processes import CLI, config_file, serve_http, stop

DEMO_SERVER = Path(__file__).parent.parent / "tools" / "demo_server.py"
KEYS = {
    "acme": ("acme", "agent"),
    "globex": ("globex", "agent"),
    "acme-operator": ("acme", "operator"),
    "admin": ("acme", "admin"),
}


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


@pytest.fixture(scope="session")
def router_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouterHttp]:
    folder = tmp_path_factory.mktemp("router-http")
    db_url = f"sqlite+aiosqlite:///{folder / 'memory.db'}"
    # Keys first: the CLI migrates the new database before the server opens it.
    keys = {
        name: created_key(keys_cli(db_url, "create", "--tenant", tenant, "--role", role, "--name", name))[1]
        for name, (tenant, role) in KEYS.items()
    }
    config = config_file(
        folder / "config.yaml",
        memory={"url": db_url},
        auth={"mode": "keys", "key_cache_seconds": 0},
        tools={
            "servers": [{"name": "demo", "command": sys.executable, "args": [str(DEMO_SERVER)]}],
            "connect_timeout_s": 30,
            "cache_dir": str(folder / "tool-vectors"),
        },
    )
    log_file = folder / "stderr.log"
    proc, port = serve_http(log_file, "--config", str(config))
    yield RouterHttp(f"http://127.0.0.1:{port}", keys, db_url, config, log_file)
    stop(proc)
