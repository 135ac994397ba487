"""Trust a caller cannot forge, over the gateway: `confirm: true` and stated confirmations
count for nothing, a challenge confirms its one call once, allowed_servers shuts every other
server out of selection and calls, an untrusted server's hints do not skip the check, a tool
with an invalid schema is refused, and stdio servers see only the environment they declare."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from builders import challenge_in
from mcp import Client

from agent_router.app import App
from agent_router.config import RouterConfig
from agent_router.config.tools import HttpServerSpec, StdioServerSpec
from agent_router.errors import Refused
from agent_router.server import build_server
from agent_router.tools.catalog import ToolEntry
from agent_router.tools.downstream import DownstreamError, headers
from agent_router.tools.gateway import Gateway, check_arguments

HERE = Path(__file__).parent
DELETE = {"server": "demo", "name": "delete_records", "arguments": {"table": "orders"}}


def sid() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


async def test_confirm_true_counts_for_nothing(client: Client) -> None:
    for stated in ({"confirm": True}, {"confirmation": "yes"}, {"confirmation": "owner said ok"}):
        refused = await client.call_tool("call_tool", {**DELETE, **stated})
        assert refused.is_error, stated
        assert "deleted" not in refused.content[0].text


async def test_a_call_challenge_is_one_time_and_bound(client: Client) -> None:
    session = sid()
    asked = await client.call_tool("call_tool", {**DELETE, "session_id": session})
    token = challenge_in(asked.content[0].text)
    other_table = {**DELETE, "arguments": {"table": "users"}, "session_id": session}
    for wrong in (other_table, {**DELETE, "session_id": sid()}, {**DELETE, "agent_id": "restricted"}):
        refused = await client.call_tool("call_tool", {**wrong, "confirmation": token})
        assert refused.is_error and "deleted" not in refused.content[0].text
        assert "not issued for this action" in refused.content[0].text
    done = await client.call_tool("call_tool", {**DELETE, "session_id": session, "confirmation": token})
    assert done.content[0].text == "deleted all records of orders"
    again = await client.call_tool("call_tool", {**DELETE, "session_id": session, "confirmation": token})
    assert again.is_error and "already used" in again.content[0].text


async def test_allowed_servers_hides_and_refuses_the_others(client: Client) -> None:
    query = {"query": "repeat the text back", "k": 20}
    everyone = await client.call_tool("select_tools", query)
    assert "demo-http" in {t["server"] for t in everyone.structured_content["tools"]}
    allowlisted = await client.call_tool("select_tools", {**query, "agent_id": "allowlisted"})
    servers = {t["server"] for t in allowlisted.structured_content["tools"]}
    assert servers == {"demo"}
    call = {"server": "demo-http", "name": "echo", "arguments": {"text": "hi"}}
    refused = await client.call_tool("call_tool", {**call, "agent_id": "allowlisted"})
    assert refused.is_error
    assert "allowed_servers" in refused.content[0].text and refused.content[0].text != "hi"
    allowed = await client.call_tool("call_tool", {**call, "server": "demo", "agent_id": "allowlisted"})
    assert allowed.content[0].text == "hi"


def test_a_tool_with_an_invalid_schema_is_refused() -> None:
    broken = ToolEntry("demo", "odd", "", {"type": "objekt", "properties": {"a": {"type": 5}}})
    with pytest.raises(Refused, match="demo/odd has an invalid input schema"):
        check_arguments(broken, {"a": 1})


def test_header_values_name_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = HttpServerSpec(
        name="gh", url="https://example.test/mcp", headers={"Authorization": "Bearer ${GH_TOKEN}", "X": "1"}
    )
    monkeypatch.setenv("GH_TOKEN", "ghp_abc")
    assert headers(spec) == {"Authorization": "Bearer ghp_abc", "X": "1"}
    monkeypatch.delenv("GH_TOKEN")
    with pytest.raises(DownstreamError, match="GH_TOKEN"):
        headers(spec)


@pytest_asyncio.fixture
async def env_app(
    gateway_app: App, config: RouterConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[App]:
    """A gateway over the env server alone, not trusted, with no safety checker, started while
    the router's environment holds a model API key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-routersecret0123456789abcdef")
    monkeypatch.setenv("PASSED_ON", "by name")
    server = StdioServerSpec(
        name="env",
        command=sys.executable,
        args=[str(HERE / "env_server.py")],
        env={"DECLARED": "yes"},
        env_from=["PASSED_ON"],
    )
    spec = gateway_app.config.tools.model_copy(
        update={"servers": [server], "inline": [], "files": [], "cache_dir": tmp_path, "deny": []}
    )
    text = gateway_app.encoders.text.encoder
    gateway = Gateway(spec, text.encode, text.name)
    built = App(
        gateway_app.config.model_copy(update={"tools": spec}), gateway_app.encoders, gateway_app.router
    )
    built.tools = gateway
    await gateway.start()
    yield built
    await gateway.aclose()


async def test_untrusted_hints_and_declared_environment(env_app: App) -> None:
    assert env_app.tools is not None
    entry = env_app.tools.resolve("env", "environment")
    assert entry.hints.read_only and not entry.trusted and entry.counts_destructive
    async with Client(build_server(app=env_app)) as client:
        call = {"server": "env", "name": "environment"}
        asked = await client.call_tool("call_tool", call)
        assert asked.is_error and "marked destructive" in asked.content[0].text  # readOnlyHint ignored
        shown = await client.call_tool(
            "call_tool", {**call, "confirmation": challenge_in(asked.content[0].text)}
        )
    assert not shown.is_error
    seen = shown.structured_content or json.loads(shown.content[0].text)
    seen = seen.get("result", seen)
    assert seen["DECLARED"] == "yes" and seen["PASSED_ON"] == "by name"
    assert "OPENAI_API_KEY" not in seen
    assert set(seen) <= {
        "DECLARED",
        "PASSED_ON",
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
    }
