"""Authentication of `serve --http` with API keys (mode keys): no token, a bad one or a revoked
one gets 401 with WWW-Authenticate; a good key reaches the tools and carries its identity; Host
and Origin headers are checked; /metrics needs a key too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from processes import CLI, config_file, free_port
from routers import RouterHttp

TURN = {"messages": [{"role": "user", "content": "Write a Python function that parses ISO dates."}]}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_request_without_a_token_gets_401(router_http: RouterHttp) -> None:
    assert_unauthorized(await router_http.post(None))


@pytest.mark.parametrize(
    "token",
    [
        "not-a-key",
        "ark_0123456789abcdef_forgedforgedforgedforgedforgedforgedforge",
        "eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJhY21lIiwicm9sZSI6ImFkbWluIn0.",  # alg none
    ],
)
async def test_request_with_a_bad_token_gets_401(router_http: RouterHttp, token: str) -> None:
    assert_unauthorized(await router_http.post(token))


async def test_a_key_sent_with_another_scheme_gets_401(router_http: RouterHttp) -> None:
    response = await router_http.post(None, authorization=f"Basic {router_http.keys['admin']}")
    assert_unauthorized(response)


async def test_a_key_with_one_character_changed_gets_401(router_http: RouterHttp) -> None:
    key = router_http.keys["acme"]
    assert_unauthorized(await router_http.post(key[:-1] + ("A" if key[-1] != "A" else "B")))


async def test_a_good_key_reaches_the_tools(router_http: RouterHttp) -> None:
    async with router_http.client(router_http.keys["acme"]) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"route_turn", "call_tool", "select_tools"} <= names
        routed = await client.call_tool("route_turn", TURN)
    assert not routed.is_error, routed.content
    assert routed.structured_content["model"]


async def test_a_revoked_key_is_refused_on_its_next_request(router_http: RouterHttp) -> None:
    key_id, key = router_http.new_key("acme")
    async with router_http.client(key) as client:
        assert not (await client.call_tool("route_turn", TURN)).is_error
    router_http.keys_cli("revoke", key_id)
    # The fixture's server caches verified keys for 0 s; tests/auth covers the cache itself.
    assert_unauthorized(await router_http.post(key))


async def test_metrics_need_a_key(router_http: RouterHttp) -> None:
    async with httpx.AsyncClient(base_url=router_http.base, timeout=60) as http:
        refused = await http.get("/metrics")
        forged = await http.get("/metrics", headers={"authorization": "Bearer ark_forged"})
        allowed = await http.get(
            "/metrics", headers={"authorization": f"Bearer {router_http.keys['acme-operator']}"}
        )
    assert_unauthorized(refused)
    assert_unauthorized(forged)
    assert "agent_router_" not in refused.text
    assert allowed.status_code == 200
    assert "agent_router_routes_total" in allowed.text


async def test_a_host_header_not_allowed_is_rejected(router_http: RouterHttp) -> None:
    """DNS rebinding: a page of evil.example resolving to the server's address sends its own
    Host; even with a valid key the server does not answer it."""
    response = await router_http.post(router_http.keys["acme"], host="evil.example")
    assert response.status_code == 421
    allowed = await router_http.post(router_http.keys["acme"])
    assert allowed.status_code == 200


async def test_an_origin_not_allowed_is_rejected(router_http: RouterHttp) -> None:
    response = await router_http.post(router_http.keys["acme"], origin="http://evil.example")
    assert response.status_code == 403


async def test_an_agent_key_cannot_pick_another_agents_policy(router_http: RouterHttp) -> None:
    """The key's role reaches the Caller: an agent may not choose agent_id, an operator may."""
    action = {"action": {"type": "click", "x": 10, "y": 10}, "agent_id": "someone-else"}
    async with router_http.client(router_http.keys["acme"]) as agent:
        refused = await agent.call_tool("check_action", action)
    async with router_http.client(router_http.keys["acme-operator"]) as operator:
        allowed = await operator.call_tool("check_action", action)
    assert refused.is_error
    assert "agent_id" in refused.content[0].text
    assert not allowed.is_error, allowed.content
    assert allowed.structured_content["decision"] in {"allow", "confirm", "deny"}


async def test_only_an_operator_key_states_the_users_profile(router_http):
    """An agent that could declare its user 30 years old would pass every age rule."""
    action = {"action": {"type": "click", "x": 10, "y": 10}, "profile": {"age": 30}}
    async with router_http.client(router_http.keys["acme"]) as agent:
        refused = await agent.call_tool("check_action", action)
    async with router_http.client(router_http.keys["acme-operator"]) as operator:
        allowed = await operator.call_tool("check_action", action)
    assert refused.is_error and "profile" in refused.content[0].text
    assert not allowed.is_error, allowed.content


def serve_refused(config: Path, *args: str, code: int = 2) -> str:
    """Start `serve --http` expecting it to refuse to start; its stderr."""
    done = subprocess.run(
        [CLI, "serve", "--http", "--config", str(config), "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code, done.stderr
    return done.stderr


def test_mode_none_refuses_to_bind_off_loopback(tmp_path: Path) -> None:
    config = config_file(tmp_path / "config.yaml", auth={"mode": "none"})
    stderr = serve_refused(config, "--host", "0.0.0.0")
    assert "auth.mode" in stderr
    assert "loopback" in stderr and "'0.0.0.0'" in stderr


def test_mode_keys_refuses_to_start_without_memory(tmp_path: Path) -> None:
    config = config_file(tmp_path / "config.yaml", memory={"enabled": False})
    stderr = serve_refused(config)
    assert "auth.mode" in stderr and "memory.enabled" in stderr


def test_mode_keys_refuses_to_start_when_memory_does_not_open(tmp_path: Path) -> None:
    """The database fails at start (its folder is a file): no server that would accept no key,
    or every key, but an exit saying why (uvicorn's start-up failure, exit 3)."""
    (tmp_path / "not-a-folder").write_text("")
    memory = {"url": f"sqlite+aiosqlite:///{tmp_path / 'not-a-folder' / 'memory.db'}"}
    stderr = serve_refused(config_file(tmp_path / "config.yaml", memory=memory), code=3)
    assert "auth.mode keys checks API keys in the memory database, which did not open" in stderr
