"""Multi-step tasks: steps split off clauses, servers as context, companion lookups, and the step
each selected tool serves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent_router.app import App
from agent_router.config.tools import InlineTool, ToolsSpec
from agent_router.tools.catalog import ToolEntry, from_definition, index_text
from agent_router.tools.companions import companions, with_companions
from agent_router.tools.gateway import Gateway
from agent_router.tools.index import ToolIndex, above_floor
from agent_router.tools.query import query_parts, request_texts
from agent_router.tools.servers import TASK_SHARE, ServerMap
from agent_router.tools.vectors import VectorStore


def test_clauses_of_one_sentence_become_steps() -> None:
    assert query_parts("Find flights to London on May 5 and book a hotel there, then save the plan") == [
        "Find flights to London on May 5",
        "book a hotel there",
        "save the plan",
    ]
    assert query_parts("Check the grammar. After that, translate it into Spanish.") == [
        "Check the grammar.",
        "translate it into Spanish.",
    ]
    # "and" between nouns is no new step
    assert query_parts("Get the weather in Paris and Rome") == []


def tool(server: str, name: str, description: str, **params: str) -> ToolEntry:
    schema = {
        "type": "object",
        "properties": {p: {"type": "string", "description": d} for p, d in params.items()},
    }
    return from_definition({"name": name, "description": description, "inputSchema": schema}, server, "t")


SHOP = [
    tool("shop", "find_user_id_by_email", "Find a user id by email.", email="The email"),
    tool("shop", "get_order_details", "Get the status and details of an order.", order_id="The order id"),
    tool("shop", "exchange_items", "Exchange items of a delivered order.", order_id="The order id"),
    tool("shop", "cancel_subscription", "Cancel the newsletter.", email="The email"),
    tool("flights", "SearchAirport", "Search an airport by city name.", query="City"),
    tool(
        "flights",
        "FlightSearch",
        "Flights on a route.",
        originSkyId="The origin code can be extracted from the Search Airport API",
    ),
]


def test_companions_are_the_lookups_a_tool_takes_ids_from() -> None:
    links = companions(SHOP)
    names = [{SHOP[r].name for r in row} for row in links]
    assert names[2] == {"get_order_details"}  # order_id comes from the order lookup
    assert "exchange_items" in names[1]  # and the other way: get details -> act on it
    assert names[3] == set()  # an email is no identifier a lookup here gives
    assert names[5] == {"SearchAirport"}  # its parameter's description names the lookup


def test_companions_join_after_the_steps_and_only_when_they_score() -> None:
    links = [np.array([2]), np.array([], np.int32), np.array([0]), np.array([], np.int32)]
    scores = np.array([1.0, 0.9, 0.6, 0.8])
    one = np.zeros(4, np.int32)  # all on one server
    assert with_companions([0, 1, 3], links, scores, k=3, lead=1, servers=one) == [0, 2, 1]
    low = np.array([1.0, 0.9, 0.3, 0.8])  # under half the pick's score: stays out
    assert with_companions([0, 1, 3], links, low, k=3, lead=1, servers=one) == [0, 1, 3]
    # the lead pick's server first among the rest: 3 shares server 0 with 0, 1 does not
    two = np.array([0, 1, 0, 0])
    assert with_companions([0, 1, 3], links, low, k=3, lead=1, servers=two) == [0, 3, 1]


CATALOG = [
    ("museum", "search_collection", "Search the collection by keyword.", "artwork painting artist"),
    ("museum", "get_object", "Details of one object by its id.", "painting artwork"),
    ("museum", "list_exhibitions", "Exhibitions of paintings and artists now on show.", ""),
    ("web", "search_web", "Search the web for pages about a keyword.", ""),
    ("notes", "save_note", "Save a text note to a file.", ""),
]


def index_of(app: App, folder, spec: ToolsSpec) -> ToolIndex:
    encoder = app.encoders.text.encoder
    tools = [tool(s, n, f"{d} {extra}".strip(), keyword="what to look for") for s, n, d, extra in CATALOG]
    index = ToolIndex.configured(spec)
    index.rebuild(tools, VectorStore(folder, encoder.name), encoder.encode)
    return index


@pytest.fixture(scope="module")
def built(app: App, tmp_path_factory: pytest.TempPathFactory) -> ToolIndex:
    return index_of(app, tmp_path_factory.mktemp("vectors"), ToolsSpec())


def test_each_tool_says_which_step_it_serves(app: App, built: ToolIndex) -> None:
    request = "Search the museum collection for Starry Night and then save a note about it"
    vectors = np.stack(app.encoders.text.encoder.encode(request_texts(request)))
    ranked = built.search(vectors, request, 3)
    steps = {r.tool.name: r.step for r in ranked}
    assert steps["search_collection"] == 0 and steps["save_note"] == 1


def test_a_server_lends_its_context_to_its_tools(app: App, tmp_path_factory: pytest.TempPathFactory) -> None:
    request = "search for a painting by Monet"
    vector = np.stack(app.encoders.text.encoder.encode([request]))
    folder = tmp_path_factory.mktemp("both")
    top2 = {
        weight: [
            r.tool.server
            for r in index_of(app, folder, ToolsSpec(server_weight=weight)).search(vector, request, 2)
        ]
        for weight in (0.5, 0.0)
    }
    assert top2[0.5] == ["museum", "museum"]  # the museum's other tool rises with its server
    assert top2[0.0] == ["museum", "web"]


async def test_the_gateway_returns_the_steps_its_tools_serve(app: App, tmp_path: Path) -> None:
    encoder = app.encoders.text.encoder
    inline = [InlineTool(server=s, name=n, description=d) for s, n, d, _ in CATALOG]
    gateway = Gateway(ToolsSpec(inline=inline, cache_dir=tmp_path), encoder.encode, encoder.name)
    await gateway.start()
    request = "Search the museum collection for Starry Night and then save a note about it"
    vectors = np.stack(encoder.encode(request_texts(request)))
    picked = gateway.select(request, vectors, 3, max_tokens=4000)
    assert picked.steps == ["Search the museum collection for Starry Night", "save a note about it"]
    served = {r.tool.name: picked.steps[r.step] for r in picked.tools if r.step is not None}
    assert served["save_note"] == "save a note about it"
    whole = gateway.select(request, vectors[:1], 3, max_tokens=4000)  # the request's vector alone
    assert whole.steps == [] and all(r.step is None for r in whole.tools)
    await gateway.aclose()


def test_listed_values_are_read_by_bm25() -> None:
    units = tool("weather", "forecast", "The forecast for a city.", unit="Temperature unit")
    units.input_schema["properties"]["unit"]["enum"] = ["celsius", "fahrenheit"]
    assert index_text(units).endswith("Values: celsius fahrenheit")


def test_k_is_a_ceiling(app: App, built: ToolIndex) -> None:
    request = "search the museum collection for a painting"
    vector = np.stack(app.encoders.text.encoder.encode([request]))
    ranked = built.search(vector, request, 5)
    kept = above_floor(ranked, 0.4)
    best = max(r.score for r in ranked)
    assert 1 <= len(kept) < len(ranked) and all(r.score >= 0.4 * best for r in kept)
    assert above_floor(ranked, 0.0) == ranked


def test_a_step_inherits_a_share_of_the_server_the_whole_task_is_about() -> None:
    tools = [
        tool("shop", "modify_order_address", "Change the shipping address of a pending order."),
        tool("shop", "exchange_items", "Exchange items of a delivered order."),
        tool("maps", "add_address", "Save an address on the map."),
        tool("maps", "get_directions", "Directions between two places."),
    ]
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)  # shop one way, maps the other
    servers = ServerMap.build(tools, vectors)
    texts = ["exchange my order and change its address", "change its address"]
    request = np.array([[1, 0], [0, 1]], np.float32)  # the whole task is the shop's, the step the map's
    context = servers.context(request, texts, lexical=0.0, weight=0.5)
    assert context is not None
    np.testing.assert_allclose(context[:, 0], [0.5, 0.5, 0.0, 0.0], atol=1e-6)  # the whole: its own
    shop, maps = 0.5 * TASK_SHARE, 0.5 * (1 - TASK_SHARE)  # the step: mostly its own server
    np.testing.assert_allclose(context[:, 1], [shop, shop, maps, maps], atol=1e-6)
    assert maps > shop > 0
    assert servers.context(request, texts, lexical=0.0, weight=0.0) is None
