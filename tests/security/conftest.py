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

The same helpers for a server of a test's own (tests/security/routers.py):
`bearer_client(url, key)` and `post_mcp(url, token, **headers)`.

The server's config: the built-in one, memory in a temporary SQLite file, auth mode keys with
key_cache_seconds 0 (a revoked key is refused on its next request), and one downstream tool
server, tests/tools/demo_server.py over stdio (echo, add_numbers, delete_records, ...), so that
select_tools and call_tool have something to attack, not marked trusted; and one agent policy,
"elsewhere", allowed only a server named "other".
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import config_file, serve_http, stop
from routers import RouterHttp, created_key, keys_cli

DEMO_SERVER = Path(__file__).parent.parent / "tools" / "demo_server.py"
KEYS = {
    "acme": ("acme", "agent"),
    "globex": ("globex", "agent"),
    "acme-operator": ("acme", "operator"),
    "admin": ("acme", "admin"),
}


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
        safety={"agents": {"elsewhere": {"allowed_servers": ["other"]}}},
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
