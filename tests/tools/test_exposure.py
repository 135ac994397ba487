"""tools.expose: downstream tools listed as the router's own, through a real MCP client session.
Calls take call_tool's path; the list follows the catalog and is announced when it changes."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest
import pytest_asyncio
from mcp import Client
from mcp.shared.subscriptions import ToolsListChanged

from agent_router.app import App
from agent_router.config import ConfigError, RouterConfig, parse_config
from agent_router.config.tools import ExposeSpec
from agent_router.server import build_server
from agent_router.surface.exposed import SESSION_META
from agent_router.tools.catalog import ToolEntry
from agent_router.tools.downstream import DownstreamError
from agent_router.tools.exposure import expose
from agent_router.tools.gateway import Gateway

SERVERS = ["time", "demo", "demo-http"]
LEFT_OUT = {"demo/hang", "demo/crash", "demo/pid"}  # exclude (hang, crash) and deny (pid)


@pytest.fixture(scope="module")
def expose_config(tools_config: RouterConfig, tmp_path_factory: pytest.TempPathFactory) -> RouterConfig:
    """A fresh demo server (this module adds a tool to it), time, and demo-http, which the
    'restricted' agent's policy blocks; exposed for that agent."""
    tools = tools_config.tools.model_dump(mode="json")
    tools.update(
        servers=[s for s in tools["servers"] if s["name"] in SERVERS],
        cache_dir=str(tmp_path_factory.mktemp("exposed-vectors")),
        deny=["demo/pid"],
        expose={
            "enabled": True,
            "servers": SERVERS,
            "exclude": ["demo/hang", "demo/crash"],
            "agent_id": "restricted",
        },
    )
    return RouterConfig.model_validate({**tools_config.model_dump(), "tools": tools})


@pytest_asyncio.fixture(scope="module")
async def exposed_app(gateway_app: App, expose_config: RouterConfig) -> AsyncIterator[App]:
    """Its own gateway; encoders, safety checker and session memory are gateway_app's."""
    text = gateway_app.encoders.text.encoder
    gateway = Gateway(expose_config.tools, text.encode, text.name)
    await gateway.start()
    yield App(
        expose_config,
        gateway_app.encoders,
        gateway_app.router,
        tools=gateway,
        safety=gateway_app.safety,
        memory=gateway_app.memory,
    )
    await gateway.aclose()


def catalog(app: App) -> list[ToolEntry]:
    assert app.tools is not None
    return app.tools.index.tools


async def names(client: Client) -> list[str]:
    return [t.name for t in (await client.list_tools(cache_mode="refresh")).tools]


async def test_off_by_default_the_router_lists_only_its_own_tools(client: Client) -> None:
    listed = await names(client)
    assert {"select_tools", "call_tool"} <= set(listed)
    assert not [n for n in listed if "__" in n]


async def test_exposed_list_matches_the_filter(exposed_app: App) -> None:
    expected = {
        f"{t.server}__{t.name}": t
        for t in catalog(exposed_app)
        if t.server in ("time", "demo") and t.key not in LEFT_OUT
    }
    assert {"time__get_current_time", "demo__echo", "demo__delete_records"} <= set(expected)
    async with Client(build_server(app=exposed_app)) as client:
        listed = (await client.list_tools()).tools
    own = {"select_tools", "call_tool", "route_turn"}
    assert own <= {t.name for t in listed}
    exposed = [t for t in listed if "__" in t.name]
    assert {t.name for t in exposed} == set(expected)
    servers = [t.name.split("__")[0] for t in exposed]
    assert servers == sorted(servers, key=SERVERS.index)  # in the order tools.expose names them
    for tool in exposed:
        entry = expected[tool.name]
        assert tool.description == entry.description
        assert tool.input_schema == entry.input_schema
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint == entry.hints.read_only
        assert tool.annotations.destructive_hint == entry.hints.destructive
    # Blocked for the agent (demo-http), denied (pid), excluded (hang): never listed.
    assert not {"demo-http__echo", "demo__pid", "demo__hang"} & {t.name for t in listed}


async def test_exposed_call_returns_the_downstream_result_and_is_recorded(
    exposed_app: App,
) -> None:
    session = f"s-{uuid.uuid4().hex[:10]}"
    arguments = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
    async with Client(build_server(app=exposed_app)) as client:
        via_router = await client.call_tool("time__convert_time", arguments, meta={SESSION_META: session})
        summed = await client.call_tool("demo__add_numbers", {"numbers": [1, 2, 3.5]})
    assert exposed_app.tools is not None
    direct = await exposed_app.tools.downstream["time"].call("convert_time", arguments, 10)
    assert not via_router.is_error
    assert via_router.content == direct.content
    assert summed.structured_content == {"total": 6.5, "count": 3}
    assert exposed_app.memory is not None
    (recorded,) = await exposed_app.memory.recent_tool_calls(session)
    assert (recorded.server, recorded.tool, recorded.error) == ("time", "convert_time", None)
    assert recorded.arguments == arguments


async def test_exposed_call_bad_arguments_name_the_field(exposed_app: App) -> None:
    session = f"s-{uuid.uuid4().hex[:10]}"
    async with Client(build_server(app=exposed_app)) as client:
        wrong_type = await client.call_tool(
            "demo__echo", {"text": "a", "times": "x"}, meta={SESSION_META: session}
        )
        missing = await client.call_tool("demo__echo", {"times": 2})
        destructive = await client.call_tool("demo__delete_records", {"table": "orders"})
    assert wrong_type.is_error and "arguments.times" in wrong_type.content[0].text
    assert missing.is_error and "'text' is a required property" in missing.content[0].text
    # The same safety check as call_tool: the restricted agent's policy asks first.
    assert destructive.is_error and "confirmation: '" in destructive.content[0].text
    assert exposed_app.memory is not None
    (recorded,) = await exposed_app.memory.recent_tool_calls(session)
    assert recorded.tool == "echo" and "arguments.times" in (recorded.error or "")


async def test_forbidden_tools_are_neither_listed_nor_callable(exposed_app: App) -> None:
    async with Client(build_server(app=exposed_app)) as client:
        for name in ("demo-http__echo", "demo__pid"):
            result = await client.call_tool(name, {"text": "x"})
            assert result.is_error and f"Unknown tool: {name}" in result.content[0].text
        # call_tool still refuses the blocked server for the agent the view is built for.
        refused = await client.call_tool(
            "call_tool",
            {"server": "demo-http", "name": "echo", "arguments": {"text": "x"}, "agent_id": "restricted"},
        )
    assert refused.is_error and "safety policy refuses demo-http/echo" in refused.content[0].text


async def test_exposed_set_follows_list_changed_and_reconnects(exposed_app: App) -> None:
    """The demo server adds a tool and says so; then it crashes and comes back without it.
    Each time the exposed list follows and subscribers hear tools/list_changed."""
    assert exposed_app.tools is not None
    demo = exposed_app.tools.downstream["demo"]
    async with Client(build_server(app=exposed_app)) as client:
        assert "demo__greet_visitor" not in await names(client)
        async with client.listen(tools_list_changed=True) as events:
            added = await client.call_tool("demo__add_greeter", {})
            assert added.content[0].text == "added"
            with anyio.fail_after(30):
                assert isinstance(await anext(events), ToolsListChanged)
            assert "demo__greet_visitor" in await names(client)
            greeted = await client.call_tool("demo__greet_visitor", {"name": "Ada"})
            assert greeted.content[0].text == "hello Ada"

            connects = demo.connects
            with pytest.raises(DownstreamError, match="went away"):
                await demo.call("crash", {}, 5)
            with anyio.fail_after(60):
                assert isinstance(await anext(events), ToolsListChanged)
            assert demo.connects > connects
            assert "demo__greet_visitor" not in await names(client)


def tool(server: str, name: str) -> ToolEntry:
    return ToolEntry(server, name, "", {"type": "object"})


def test_filter_options_on_the_real_catalog(exposed_app: App) -> None:
    tools = catalog(exposed_app)
    order = ["time", "demo", "demo-http"]

    def exposed(**spec) -> list[ToolEntry]:
        view = expose(
            tools,
            ExposeSpec(enabled=True, **spec),
            server_order=order,
            deny=[],
            blocked_servers=[],
            reserved=[],
        )
        return [t.tool for t in view.by_name.values()]

    everything = exposed()
    assert {t.server for t in everything} == set(order)
    assert all(t.hints.read_only for t in exposed(read_only=True))
    assert any(not t.hints.read_only for t in everything)
    assert {t.server for t in exposed(include=["time/*"])} == {"time"}
    assert {t.server for t in exposed(servers=["demo-http"])} == {"demo-http"}
    assert "demo/echo" not in {t.key for t in exposed(exclude=["demo/ech*"])}
    view = expose(
        tools,
        ExposeSpec(enabled=True, max_tools=2),
        server_order=order,
        deny=[],
        blocked_servers=[],
        reserved=[],
    )
    assert len(view.by_name) == 2 and view.left_out == len(everything) - 2
    blocked = expose(
        tools,
        ExposeSpec(enabled=True),
        server_order=order,
        deny=["time/*"],
        blocked_servers=["DEMO"],
        reserved=[],
    )
    assert {t.tool.server for t in blocked.by_name.values()} == {"demo-http"}


def test_names_keep_to_model_api_rules_and_never_collide() -> None:
    tools = [
        tool("db.main", "run query"),
        tool("a", "b__c"),
        tool("a__b", "c"),
        tool("x", "y" * 200),
        tool("x", "y" * 201),
        tool("inline", "select_tools"),
    ]
    servers = ["db.main", "a", "a__b", "x", "inline"]
    view = expose(
        tools,
        ExposeSpec(enabled=True, name="{tool}"),
        server_order=servers,
        deny=[],
        blocked_servers=[],
        reserved=["select_tools"],
    )
    prefixed = expose(
        tools,
        ExposeSpec(enabled=True),
        server_order=servers,
        deny=[],
        blocked_servers=[],
        reserved=["select_tools"],
    )
    for v in (view, prefixed):
        assert len(v.by_name) == len(tools)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", n) for n in v.by_name)
    assert "db_main__run_query" in prefixed.by_name
    assert "select_tools" not in view.by_name  # the router's own tool keeps its name


def test_config_errors_name_the_field(config: RouterConfig) -> None:
    base = config.model_dump(mode="json")
    for expose_section, needle in (
        ({"servers": ["nowhere"]}, "expose.servers[0]: 'nowhere' is not in tools.servers"),
        ({"name": "{server}"}, "use {tool}"),
        ({"name": "{tool}-{version}"}, "use {tool}"),
        ({"max_tools": 0}, "tools.expose.max_tools"),
    ):
        with pytest.raises(ConfigError, match=re.escape(needle)):
            parse_config({**base, "tools": {"expose": expose_section}})
