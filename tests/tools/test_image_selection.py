"""Images in a turn reach tool selection through CLIP, through a real MCP client session. The
CLIP model is the small randomly initialised one (tests/conftest.py): its matches mean nothing,
so the tests check that the ranking follows them, computed here from the same towers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from builders import data_url, noise_photo, user
from mcp import Client

from agent_router.app import App
from agent_router.config import parse_config
from agent_router.embeddings import AsyncEncoder, ClipEncoder, Encoders
from agent_router.images import load_images
from agent_router.server import build_server
from agent_router.tools.gateway import Gateway
from agent_router.tools.texts import embed_text
from agent_router.turns import parse_messages

TOOLS = [
    ("draw_chart", "Plot a bar chart of numbers."),
    ("read_invoice", "Extract the totals of a scanned invoice."),
    ("crop_photo", "Crop a photo to a region."),
    ("translate_menu", "Translate a restaurant menu."),
    ("click_button", "Click a button on the screen."),
]


def image_turn(text: str = "") -> list[dict]:
    return [user(text, data_url(noise_photo()))]


async def clip_app(app: App, tiny_clip_section: dict[str, str], cache: Path, image_weight: float) -> App:
    data = app.config.model_dump(mode="json")
    data["encoders"]["clip"] = tiny_clip_section
    data["encoders"]["ocr"]["enabled"] = False
    data["tools"] = {
        "inline": [{"name": n, "description": d, "server": "media"} for n, d in TOOLS],
        "cache_dir": str(cache),
        "image_weight": image_weight,
    }
    config = parse_config(data)
    assert config.encoders.clip is not None
    tower = ClipEncoder(config.encoders.clip, app.encoders.placement)
    clip = AsyncEncoder(tower, key=lambda image: image.sha256, max_batch=8, cache_size=0)
    encoders = Encoders(app.encoders.placement, app.encoders.text, clip, None)
    text = app.encoders.text.encoder
    gateway = Gateway(config.tools, text.encode, text.name, clip=(tower.name, tower.encode_text))
    await gateway.start()
    return App(config, encoders, app.router, tools=gateway)


@pytest_asyncio.fixture(scope="module")
async def with_clip(app: App, tiny_clip_section, tmp_path_factory) -> AsyncIterator[App]:
    built = await clip_app(app, tiny_clip_section, tmp_path_factory.mktemp("clip-vectors"), 0.5)
    yield built
    await closed(built)


async def closed(built: App) -> None:
    """Its gateway and CLIP encoder; the text encoder is the shared app's."""
    assert built.tools is not None and built.encoders.clip is not None
    await built.tools.aclose()
    built.encoders.clip.close()


def expected_matches(built: App, turn: list[dict]) -> dict[str, float]:
    """Each tool's CLIP cosine to the turn's image, from the towers directly."""
    tower = built.encoders.clip_model
    assert tower is not None
    (image,) = tower.encode(load_images(parse_messages(turn), 10_000_000, 50_000_000))
    gateway = built.tools
    assert gateway is not None
    texts = {t.name: embed_text(t) for t in gateway.index.tools}
    vectors = dict(zip(texts, tower.encode_text(list(texts.values())), strict=True))
    return {name: float(np.dot(image, v)) for name, v in vectors.items()}


async def select(built: App, turn: list[dict], k: int = 5) -> dict:
    async with Client(build_server(app=built)) as client:
        result = await client.call_tool("select_tools", {"messages": turn, "k": k})
    assert not result.is_error, result.content
    return result.structured_content


async def test_an_image_alone_is_matched_to_tools_through_clip(with_clip: App) -> None:
    turn = image_turn()
    picked = await select(with_clip, turn)
    expected = expected_matches(with_clip, turn)
    got = {t["name"]: t["image"] for t in picked["tools"]}
    assert got.keys() == expected.keys()
    for name, cosine in got.items():
        assert cosine == pytest.approx(expected[name], abs=1e-4)
    # No text: the images alone order the tools.
    assert [t["name"] for t in picked["tools"]] == sorted(expected, key=expected.get, reverse=True)


async def test_with_text_the_image_match_moves_the_ranking_by_its_weight(
    with_clip: App, app: App, tiny_clip_section, tmp_path: Path
) -> None:
    turn = image_turn("I need to do something with this")
    blind = await clip_app(app, tiny_clip_section, tmp_path, 0.0)
    try:
        without = await select(blind, turn)
    finally:
        await closed(blind)
    seeing = await select(with_clip, turn)
    expected = expected_matches(with_clip, turn)
    floor = float(np.median(list(expected.values())))
    spread = {n: max(0.0, (c - floor) / (max(expected.values()) - floor)) for n, c in expected.items()}
    base = {t["name"]: t["score"] for t in without["tools"]}
    for tool in seeing["tools"]:
        assert tool["score"] == pytest.approx(base[tool["name"]] + 0.5 * spread[tool["name"]], abs=1e-4)


async def test_without_clip_an_image_without_text_is_a_clear_error(gateway_app: App) -> None:
    async with Client(build_server(app=gateway_app)) as client:
        result = await client.call_tool("select_tools", {"messages": image_turn()})
    assert result.is_error
    message = result.content[0].text
    assert "messages" in message and "encoders.clip is not set" in message
