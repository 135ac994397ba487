"""The index: persistence by content hash, incremental re-sync, fusion and outcome learning."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent_router.app import App
from agent_router.tools.bm25 import BM25, tokenize
from agent_router.tools.catalog import ToolEntry, from_definition, name_words
from agent_router.tools.index import ToolIndex
from agent_router.tools.vectors import VectorStore

TOOLS = [
    ("weather", "get_weatherForecast", "Forecast of rain and temperature for a city"),
    ("weather", "get_air_quality", "Air pollution index of a city"),
    ("bank", "transfer_money", "Send money from one account to another"),
    ("bank", "list_transactions", "Recent transactions of an account"),
]


def catalog(description_suffix: str = "") -> list[ToolEntry]:
    return [
        from_definition(
            {
                "name": n,
                "description": d + (description_suffix if s == "bank" else ""),
                "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}},
            },
            s,
            "t",
        )
        for s, n, d in TOOLS
    ]


def test_name_words_splits_identifiers() -> None:
    assert name_words("get_weatherForecast") == "get weather forecast"
    assert name_words("parseJSONBody") == "parse json body"  # an acronym ends where a word starts
    assert name_words("SQLCompletion.makeProposals") == "sql completion make proposals"


def test_bm25_meets_plurals_and_identifiers_on_both_sides() -> None:
    assert tokenize("parseJSONBody of the categories") == ["parse", "json", "body", "category"]
    assert tokenize("searches matches boxes classes tools status") == [
        "search",
        "match",
        "box",
        "class",
        "tool",
        "statu",  # crude, but the same on both sides
    ]
    index = BM25.build([tokenize("get_category: one product category"), tokenize("send_mail: an email")])
    scores = index.scores(tokenize("list all Categories of JSON bodies"))
    assert scores[0] > 0 and scores[1] == 0


def test_restart_and_resync_embed_only_what_changed(app: App, tmp_path: Path) -> None:
    encoder = app.encoders.text.encoder
    store = VectorStore(tmp_path, encoder.name)
    ToolIndex().rebuild(catalog(), store, encoder.encode)
    assert store.embedded == len(TOOLS)  # one text per tool
    restarted = VectorStore(tmp_path, encoder.name)
    ToolIndex().rebuild(catalog(), restarted, encoder.encode)
    assert restarted.embedded == 0
    ToolIndex().rebuild(catalog(" (v2)"), restarted, encoder.encode)
    assert restarted.embedded == 2  # the two changed bank tools, nothing else


def test_fusion_and_filters(app: App, tmp_path: Path) -> None:
    encoder = app.encoders.text.encoder
    index = ToolIndex(lexical_weight=0.3)
    index.rebuild(catalog(), VectorStore(tmp_path, encoder.name), encoder.encode)
    query = "will it rain in Oslo tomorrow"
    (vector,) = encoder.encode([query])
    top = index.search(vector, query, 2)
    assert top[0].tool.name == "get_weatherForecast"
    assert top[0].score >= top[1].score
    only_bank = index.search(vector, query, 4, servers=["bank"])
    assert {r.tool.server for r in only_bank} == {"bank"}
    allowed = index.search(vector, query, 4, deny=["weather/get_weather*"])
    assert "get_weatherForecast" not in {r.tool.name for r in allowed}


def test_successful_calls_pull_the_tool_toward_the_query(app: App, tmp_path: Path) -> None:
    encoder = app.encoders.text.encoder
    index = ToolIndex(lexical_weight=0.0, outcome_rate=0.5)
    index.rebuild(catalog(), VectorStore(tmp_path, encoder.name), encoder.encode)
    query = "how much did I spend at the supermarket"
    (vector,) = encoder.encode([query])
    before = {r.tool.name: r.semantic for r in index.search(vector, query, 4)}
    assert index.reinforce("bank/list_transactions", vector)
    after = {r.tool.name: r.semantic for r in index.search(vector, query, 4)}
    assert after["list_transactions"] > before["list_transactions"]
    assert after["transfer_money"] == before["transfer_money"]
    assert not index.reinforce("bank/no_such_tool", vector)
    # A re-sync keeps what was learned.
    fresh = ToolIndex(lexical_weight=0.0, outcome_rate=0.5, learned=index.learned)
    fresh.rebuild(catalog(), VectorStore(tmp_path, encoder.name), encoder.encode)
    again = {r.tool.name: r.semantic for r in fresh.search(vector, query, 4)}
    assert np.isclose(again["list_transactions"], after["list_transactions"], atol=1e-5)
