"""`serve --http --stateless`: a request of the older protocol that carries no session (no
initialize before it, as when another replica answered the handshake) is answered, where the
default server asks for the session it expects."""

from __future__ import annotations

import httpx
from processes import LOOPBACK_NO_AUTH, config_file, serve_http, stop

LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2025-06-18",
}


async def test_only_a_stateless_server_answers_an_older_request_without_a_session(
    tmp_path,  # noqa: ANN001
    http_server: str,
) -> None:
    config = config_file(tmp_path / "config.yaml", auth=LOOPBACK_NO_AUTH)
    proc, port = serve_http(tmp_path / "stderr.log", "--config", str(config), "--stateless")
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            stateless = await http.post(f"http://127.0.0.1:{port}/mcp", json=LIST_TOOLS, headers=HEADERS)
            stateful = await http.post(http_server, json=LIST_TOOLS, headers=HEADERS)
    finally:
        stop(proc)
    assert stateless.status_code == 200 and "route_turn" in stateless.text
    assert stateful.status_code == 400, stateful.text
