"""A request that repeats one a tool served before favours that tool, and only a repeat does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from agent_router.app import App
from agent_router.config.tools import ToolsSpec
from agent_router.tools.catalog import ToolEntry, from_definition
from agent_router.tools.index import ToolIndex
from agent_router.tools.past_queries import PastQueries
from agent_router.tools.vectors import VectorStore

# Near-twins, as in merged catalogs: which one an agent wants cannot be told from the text.
TWINS = [
    ("convert_currency", "Convert an amount of money from one currency to another."),
    ("currency_conversion", "Convert a value from one currency to another."),
    ("get_weather", "Current weather of a city."),
]
REPEATED = "Convert 500 US dollars to Canadian dollars."


def twins() -> list[ToolEntry]:
    return [from_definition({"name": n, "description": d}, "money", "t") for n, d in TWINS]


def built(app: App, tmp_path: Path, **spec: float) -> tuple[ToolIndex, Callable[[str], list[str]]]:
    encoder = app.encoders.text.encoder
    index = ToolIndex.configured(ToolsSpec(outcome_rate=0.0, **spec))
    index.rebuild(twins(), VectorStore(tmp_path, encoder.name), encoder.encode)

    def ranked(query: str) -> list[str]:
        (vector,) = encoder.encode([query])
        return [r.tool.name for r in index.search(vector, query, 3)]

    return index, ranked


def test_a_repeated_request_goes_to_the_tool_that_served_it(app: App, tmp_path: Path) -> None:
    index, ranked = built(app, tmp_path)
    cold = ranked(REPEATED)
    assert set(cold[:2]) == {"convert_currency", "currency_conversion"}
    served = cold[1]  # the twin that a cold index puts second
    (vector,) = app.encoders.text.encoder.encode([REPEATED])
    index.reinforce(f"money/{served}", vector)
    assert ranked(REPEATED)[0] == served
    (top,) = index.search(vector, REPEATED, 1)
    assert top.boost == pytest.approx(0.3, abs=1e-3)  # the whole weight: the very same request
    # Blame on the very same request cancels the success: the cold order comes back.
    index.reinforce(f"money/{served}", vector, -1.0)
    assert ranked(REPEATED) == cold


def test_a_request_that_is_no_repeat_is_left_alone(app: App, tmp_path: Path) -> None:
    index, ranked = built(app, tmp_path)
    unrelated = "What is the weather in Lyon tomorrow?"
    cold = {q: ranked(q) for q in (REPEATED, unrelated)}
    (vector,) = app.encoders.text.encoder.encode([unrelated])
    index.reinforce(f"money/{cold[REPEATED][1]}", vector)
    assert ranked(REPEATED) == cold[REPEATED]


def test_what_was_learned_survives_a_reindex(app: App, tmp_path: Path) -> None:
    index, ranked = built(app, tmp_path)
    served = ranked(REPEATED)[1]
    (vector,) = app.encoders.text.encoder.encode([REPEATED])
    index.reinforce(f"money/{served}", vector)
    fresh = ToolIndex.configured(ToolsSpec(outcome_rate=0.0), learned=index)
    encoder = app.encoders.text.encoder
    fresh.rebuild(twins(), VectorStore(tmp_path, encoder.name), encoder.encode)
    assert fresh.search(vector, REPEATED, 1)[0].tool.name == served


def test_repeat_weight_zero_turns_the_recall_off(app: App, tmp_path: Path) -> None:
    index, ranked = built(app, tmp_path, repeat_weight=0.0)
    cold = ranked(REPEATED)
    (vector,) = app.encoders.text.encoder.encode([REPEATED])
    index.reinforce(f"money/{cold[1]}", vector)
    assert ranked(REPEATED) == cold


def test_the_bonus_scales_with_closeness_and_the_oldest_entry_makes_room() -> None:
    past = PastQueries(threshold=0.5, weight=0.4, capacity=2)
    a, b, c = np.eye(3, dtype=np.float32)
    past.add("t/a", a, 1.0)
    assert list(past.bonus(a)) == ["t/a"] and np.isclose(past.bonus(a)["t/a"], 0.4)
    halfway = a + 0.8 * b  # cosine 0.78 with a: (0.78 - 0.5) / 0.5 of the weight
    assert np.isclose(past.bonus(halfway)["t/a"], 0.4 * (1 / np.sqrt(1.64) - 0.5) / 0.5)
    assert past.bonus(b) == {}
    past.add("t/a", a, 3.0)  # the same request again: one entry, its weight capped at 1
    assert len(past) == 1 and np.isclose(past.bonus(a)["t/a"], 0.4)
    past.add("t/b", b, -1.0)
    assert np.isclose(past.bonus(b)["t/b"], -0.4)
    past.add("t/c", c, 1.0)  # capacity 2: a, the oldest, makes room
    assert len(past) == 2 and past.bonus(a) == {}
