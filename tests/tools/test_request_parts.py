"""Requests of several sentences: split into parts, and each part gets its own tools."""

from __future__ import annotations

import numpy as np
import pytest

from agent_router.app import App
from agent_router.tools.catalog import from_definition
from agent_router.tools.index import LEAD, ToolIndex, _diversified
from agent_router.tools.query import query_parts, request_texts
from agent_router.tools.vectors import VectorStore


def test_sentences_become_parts_and_single_sentences_stay_whole() -> None:
    assert query_parts("Convert 5000 yen to dollars. Then, how far is Paris from Lyon?") == [
        "Convert 5000 yen to dollars.",
        "Then, how far is Paris from Lyon?",
    ]
    assert query_parts("Set x=data['a']. and a radius of 3.5 m, e.g. for a pipe") == []  # one sentence
    assert query_parts("one request only") == []
    assert request_texts("one request only") == ["one request only"]
    many = " ".join(f"Step {i} here." for i in range(20))
    parts = query_parts(many, max_parts=8)
    assert len(parts) == 7 and " ".join(parts) == many  # neighbours joined, nothing lost


TOOLS = [
    ("finance", "convert_currency", "Convert an amount of money from one currency to another"),
    ("finance", "exchange_rate_history", "Historical exchange rates between two currencies"),
    ("finance", "currency_symbols", "List currency codes and their symbols"),
    ("maps", "driving_directions", "Driving directions between two places avoiding tolls"),
    ("nature", "turtle_population", "Population count of turtle species on an island"),
]


@pytest.fixture(scope="module")
def index(app: App, tmp_path_factory: pytest.TempPathFactory) -> ToolIndex:
    encoder = app.encoders.text.encoder
    built = ToolIndex(lexical_weight=0.3)
    tools = [from_definition({"name": n, "description": d}, s, "t") for s, n, d in TOOLS]
    built.rebuild(tools, VectorStore(tmp_path_factory.mktemp("vectors"), encoder.name), encoder.encode)
    return built


def test_each_part_gets_its_tool_before_seconds_of_any(app: App, index: ToolIndex) -> None:
    request = (
        "Convert 5000 euros to US dollars and show the currency rate. Then plan a drive from "
        "Boston to New York without tolls. Finally, how many turtles live on Galapagos?"
    )
    vectors = np.stack(app.encoders.text.encoder.encode(request_texts(request)))
    top3 = [r.tool.name for r in index.search(vectors, request, 3)]
    assert set(top3) == {"convert_currency", "driving_directions", "turtle_population"}
    scores = [r.score for r in index.search(vectors, request, 5)]
    assert scores == sorted(scores, reverse=True)
    only_maps = index.search(vectors, request, 5, servers=["maps"])
    assert [r.tool.name for r in only_maps] == ["driving_directions"]


def test_rows_must_match_the_request_texts(app: App, index: ToolIndex) -> None:
    request = "Convert euros. Then drive to Boston."
    (vector,) = app.encoders.text.encoder.encode([request])
    assert index.search(vector, request, 2)  # the request's vector alone: no parts
    with pytest.raises(ValueError, match="request_texts"):
        index.search(np.stack([vector, vector]), request, 2)


def test_after_the_lead_picks_the_whole_request_weighs_more() -> None:
    """Once each step has its tool, the rest of the set goes to what the whole task needs (issue
    16): a tool the whole request wants comes before a second tool for a step already served."""
    fused = np.array(
        [  # columns: the whole request, then its three parts
            [0.5, 1.0, 0.1, 0.1],  # 0: step 1's tool
            [0.5, 0.1, 1.0, 0.1],  # 1: step 2's tool
            [0.5, 0.1, 0.1, 1.0],  # 2: step 3's tool
            [1.0, 0.45, 0.45, 0.45],  # 3: what the task as a whole needs
            [0.2, 0.1, 0.1, 0.95],  # 4: a second tool for step 3
        ],
        np.float32,
    )
    rows, _ = _diversified(fused, 5)
    assert LEAD == 3 and set(rows[:3].tolist()) == {0, 1, 2}
    assert rows.tolist()[3:] == [3, 4]
